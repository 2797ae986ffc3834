#!/usr/bin/env bash
# Real AWS clients read what we print: the AWS CLI and boto3 with credential_process in
# ~/.aws/config, calling a local STS (moto_server) with the credentials the emulator issued.
source "$(dirname "$0")/lib.sh"
command -v aws >/dev/null || { echo "SKIP: the aws CLI is not installed"; exit 77; }
command -v moto_server >/dev/null || { echo "SKIP: moto_server is not installed"; exit 77; }
python3 -c 'import boto3' 2>/dev/null || { echo "SKIP: boto3 is not installed"; exit 77; }
start_emulator emulator

moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$moto_port" >"$WORK/moto.log" 2>&1 &
EMULATOR_PIDS+=($!)
for _ in $(seq 100); do curl -s "http://127.0.0.1:$moto_port/" >/dev/null && break; sleep 0.1; done

cat >"$AWS_CONFIG_FILE" <<CONFIG
[profile roles-anywhere]
region = us-east-1
credential_process = "$HELPER" credential-process --certificate "$PKI/rsa2048.fullchain.pem" --private-key "$PKI/rsa2048.key.pem" --trust-anchor-arn $TRUST_ANCHOR_ARN --profile-arn $PROFILE_ARN --role-arn $ROLE_ARN --endpoint $EMULATOR_URL
CONFIG

issued_before=$(emulator_stat sessions_issued)
aws sts get-caller-identity --profile roles-anywhere --endpoint-url "http://127.0.0.1:$moto_port" \
  --debug >"$WORK/aws.out" 2>"$WORK/aws.debug"
STATUS=$?
STDOUT=$(cat "$WORK/aws.out")
STDERR=$(tail -20 "$WORK/aws.debug")
if [ "$STATUS" -eq 0 ] && grep -q '"Account"' "$WORK/aws.out"; then
  pass "aws sts get-caller-identity with credential_process"
else
  fail "aws sts get-caller-identity with credential_process"
fi
# The request to STS was signed with a key the emulator issued through our helper.
access_key=$(grep -o 'Credential=ASIA[A-Z0-9]*' "$WORK/aws.debug" | head -1 | cut -d= -f2)
[ -n "$access_key" ] && [ "$(emulator_stat sessions_issued)" -gt "$issued_before" ] &&
  pass "the CLI signed with issued credentials ($access_key)" ||
  fail "the CLI signed with issued credentials"
grep -q 'X-Amz-Security-Token' "$WORK/aws.debug" && pass "the CLI sent our session token" ||
  fail "the CLI sent our session token"

# The AWS CLI runs credential_process for every command: with --cache, two commands make one
# CreateSession.
export XDG_CACHE_HOME=$WORK/xdg-cache
cat >>"$AWS_CONFIG_FILE" <<CONFIG
[profile cached]
region = us-east-1
credential_process = "$HELPER" credential-process --cache --certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem" --trust-anchor-arn $TRUST_ANCHOR_ARN --profile-arn $PROFILE_ARN --role-arn $ROLE_ARN --endpoint $EMULATOR_URL
CONFIG
issued_before=$(emulator_stat sessions_issued)
cached_ok=0
for _ in 1 2; do
  aws sts get-caller-identity --profile cached --endpoint-url "http://127.0.0.1:$moto_port" \
    >"$WORK/aws-cached.out" 2>"$WORK/aws-cached.err" && grep -q '"Account"' "$WORK/aws-cached.out" &&
    cached_ok=$((cached_ok + 1))
done
STDERR=$(cat "$WORK/aws-cached.err")
check "two aws commands with a --cache profile both succeed" [ "$cached_ok" -eq 2 ]
check "  and make one CreateSession" [ "$(($(emulator_stat sessions_issued) - issued_before))" -eq 1 ]

# boto3 through the same profile.
run_out=$(python3 - <<'PY' 2>&1
import boto3
credentials = boto3.Session(profile_name="roles-anywhere").get_credentials().get_frozen_credentials()
assert credentials.access_key.startswith("ASIA"), credentials.access_key
assert credentials.token
print("ok")
PY
)
[ "$run_out" = ok ] && pass "boto3 reads the credentials" || { STDERR=$run_out; fail "boto3 reads the credentials"; }

finish
