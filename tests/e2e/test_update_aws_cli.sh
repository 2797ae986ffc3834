#!/usr/bin/env bash
# The AWS CLI reads what update wrote: `aws configure get`, and a signed call to a local STS
# (moto_server) with --profile. `aws configure set` and update take turns on the same file.
source "$(dirname "$0")/lib.sh"
command -v aws >/dev/null || { echo "SKIP: the aws CLI is not installed"; exit 77; }
command -v moto_server >/dev/null || { echo "SKIP: moto_server is not installed"; exit 77; }
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
IDENTITY=(--certificate "$PKI/rsa2048.fullchain.pem" --private-key "$PKI/rsa2048.key.pem")

moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$moto_port" >"$WORK/moto.log" 2>&1 &
EMULATOR_PIDS+=($!)
for _ in $(seq 100); do curl -s --noproxy '*' "http://127.0.0.1:$moto_port/" >/dev/null && break; sleep 0.1; done

printf '[profile ra]\nregion = us-east-1\n' >"$AWS_CONFIG_FILE"
printf '# hand-written\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n' \
  >"$AWS_SHARED_CREDENTIALS_FILE"

run_helper update --once --profile ra "${IDENTITY[@]}" "${SESSION[@]}"
[ "$STATUS" -eq 0 ] && pass "update --once --profile ra" || fail "update --once --profile ra"

written_key=$(python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); print(p["ra"]["aws_access_key_id"])' "$AWS_SHARED_CREDENTIALS_FILE")
cli_key=$(aws configure get aws_access_key_id --profile ra 2>&1)
[[ "$cli_key" == ASIA* ]] && [ "$cli_key" = "$written_key" ] &&
  pass "aws configure get reads the access key ($cli_key)" ||
  { STDERR=$cli_key; fail "aws configure get reads the access key"; }
expires=$(aws configure get x_security_token_expires --profile ra 2>&1)
[[ "$expires" =~ ^[0-9-]{10}T[0-9:]{8}Z$ ]] && pass "aws configure get reads the expiry ($expires)" ||
  { STDERR=$expires; fail "aws configure get reads the expiry"; }
[ "$(aws configure get aws_access_key_id --profile other 2>&1)" = AKIAOTHER ] &&
  pass "the other profile still reads the same" || fail "the other profile still reads the same"

aws sts get-caller-identity --profile ra --endpoint-url "http://127.0.0.1:$moto_port" \
  --debug >"$WORK/aws.out" 2>"$WORK/aws.debug"
STATUS=$?
STDOUT=$(cat "$WORK/aws.out")
STDERR=$(tail -20 "$WORK/aws.debug")
if [ "$STATUS" -eq 0 ] && grep -q '"Account"' "$WORK/aws.out" &&
  grep -q "Credential=$written_key/" "$WORK/aws.debug" && grep -q 'X-Amz-Security-Token' "$WORK/aws.debug"; then
  pass "aws sts get-caller-identity --profile ra signs with the written credentials"
else
  fail "aws sts get-caller-identity --profile ra signs with the written credentials"
fi

# The AWS CLI edits the same profile and another one; update keeps those edits, and the CLI
# keeps ours.
aws configure set region ap-south-1 --profile ra
aws configure set aws_access_key_id AKIANEWPROFILE --profile cli-made
run_helper update --once --profile ra "${IDENTITY[@]}" "${SESSION[@]}"
[ "$STATUS" -eq 0 ] && [ "$(aws configure get aws_access_key_id --profile cli-made)" = AKIANEWPROFILE ] &&
  [ "$(aws configure get region --profile ra)" = ap-south-1 ] &&
  [ "$(aws configure get aws_access_key_id --profile ra)" != "$written_key" ] &&
  pass "edits made by aws configure set survive an update" ||
  fail "edits made by aws configure set survive an update"
aws configure set aws_session_token changed-by-hand --profile other
key_after=$(aws configure get aws_access_key_id --profile ra)
[[ "$key_after" == ASIA* ]] && [ "$(aws configure get aws_session_token --profile other)" = changed-by-hand ] &&
  pass "update's lines survive aws configure set" || fail "update's lines survive aws configure set"

boto_out=$(python3 - <<'PY' 2>&1
import boto3
c = boto3.Session(profile_name="ra").get_credentials().get_frozen_credentials()
assert c.access_key.startswith("ASIA") and c.token, c.access_key
print("ok")
PY
)
[ "$boto_out" = ok ] && pass "boto3 reads the profile" || { STDERR=$boto_out; fail "boto3 reads the profile"; }
finish
