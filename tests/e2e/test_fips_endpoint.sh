#!/usr/bin/env bash
# --use-fips-endpoint and AWS_USE_FIPS_ENDPOINT (issue 16), seen through --debug: the FIPS host
# of the trust anchor's region, the signing region unchanged, --endpoint winning, and aws-cn
# refused. Nothing leaves the machine: the request goes to a proxy on a closed local port, which
# fails at once, after the endpoint line.
source "$(dirname "$0")/lib.sh"
unset AWS_USE_FIPS_ENDPOINT
IDENTITY=(--certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem")
ARNS=(--trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN")
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export https_proxy=http://127.0.0.1:$closed_port

FIPS_LINE="CreateSession endpoint: https://rolesanywhere-fips.us-east-1.amazonaws.com (signing region us-east-1)"
PLAIN_LINE="CreateSession endpoint: https://rolesanywhere.us-east-1.amazonaws.com (signing region us-east-1)"

run_helper credential-process "${IDENTITY[@]}" "${ARNS[@]}" --with-proxy --debug --use-fips-endpoint
check "--use-fips-endpoint picks the FIPS host and keeps the signing region" \
  bash -c '[[ "$0" == *"$1"* ]] && [[ "$0" == *"host:rolesanywhere-fips.us-east-1.amazonaws.com"* ]]' \
  "$STDERR" "$FIPS_LINE"

for value in true TRUE True; do
  AWS_USE_FIPS_ENDPOINT=$value run_helper credential-process "${IDENTITY[@]}" "${ARNS[@]}" \
    --with-proxy --debug
  check "AWS_USE_FIPS_ENDPOINT=$value picks the FIPS host" \
    bash -c '[[ "$0" == *"$1"* ]]' "$STDERR" "$FIPS_LINE"
done
AWS_USE_FIPS_ENDPOINT=false run_helper credential-process "${IDENTITY[@]}" "${ARNS[@]}" \
  --with-proxy --debug
check "AWS_USE_FIPS_ENDPOINT=false keeps the regional host" \
  bash -c '[[ "$0" == *"$1"* ]]' "$STDERR" "$PLAIN_LINE"

start_emulator emulator
AWS_USE_FIPS_ENDPOINT=true expect_credentials "--endpoint wins over AWS_USE_FIPS_ENDPOINT" \
  "${IDENTITY[@]}" "${ARNS[@]}" --endpoint "$EMULATOR_URL"
expect_credentials "--endpoint wins over --use-fips-endpoint" \
  "${IDENTITY[@]}" "${ARNS[@]}" --endpoint "$EMULATOR_URL" --use-fips-endpoint

CN_ARNS=(--trust-anchor-arn arn:aws-cn:rolesanywhere:cn-north-1:123456789012:trust-anchor/a1
  --profile-arn arn:aws-cn:rolesanywhere:cn-north-1:123456789012:profile/p1
  --role-arn arn:aws-cn:iam::123456789012:role/Workload)
expect_error "aws-cn has no FIPS endpoint (flag)" \
  '--use-fips-endpoint: --trust-anchor-arn is in partition "aws-cn", where IAM Roles Anywhere has no FIPS endpoint' \
  credential-process "${IDENTITY[@]}" "${CN_ARNS[@]}" --use-fips-endpoint
AWS_USE_FIPS_ENDPOINT=true expect_error "aws-cn has no FIPS endpoint (environment)" \
  'AWS_USE_FIPS_ENDPOINT=true: --trust-anchor-arn is in partition "aws-cn"' \
  credential-process "${IDENTITY[@]}" "${CN_ARNS[@]}"

finish
