#!/usr/bin/env bash
# Real clients of serve: boto3/botocore with AWS_EC2_METADATA_SERVICE_ENDPOINT (IMDSv2) and with
# AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, each calling a
# local STS (moto_server) with the credentials the emulator issued through serve.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
python3 -c 'import boto3' 2>/dev/null || { echo "SKIP: boto3 is not installed"; exit 77; }
command -v moto_server >/dev/null || { echo "SKIP: moto_server is not installed"; exit 77; }
start_emulator emulator

moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$moto_port" >"$WORK/moto.log" 2>&1 &
EMULATOR_PIDS+=($!)
for _ in $(seq 100); do curl -s "http://127.0.0.1:$moto_port/" >/dev/null && break; sleep 0.1; done

start_serve serve --container-token-file "$WORK/container-token"
token=$(imds_token)
imds_credentials "$token"
served_key=$(json_field AccessKeyId)
container_uri=$(sed -n 's/^export AWS_CONTAINER_CREDENTIALS_FULL_URI=//p' "$SERVE_ERR")
token_file=$(sed -n 's/^export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=//p' "$SERVE_ERR")
check "container mode prints its export lines" test -n "$container_uri" -a -s "$token_file"
check "the container token file is private (0600)" test "$(stat -c %a "$token_file")" = 600

# Each run is a fresh process with only the variables of one provider, so botocore's default
# chain can find the credentials in that one place only.
run_boto3() {  # PROVIDER_NAME ENV...
  local provider=$1
  shift
  env -i PATH="$PATH" HOME="$WORK" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    AWS_DEFAULT_REGION=us-east-1 "$@" python3 - "$moto_port" "$provider" <<'PY'
import sys, boto3
port, provider = sys.argv[1], sys.argv[2]
session = boto3.Session()
credentials = session.get_credentials()
assert credentials is not None, "no credentials found"
assert credentials.method == provider, credentials.method
frozen = credentials.get_frozen_credentials()
assert frozen.access_key.startswith("ASIA") and frozen.secret_key and frozen.token
identity = session.client("sts", endpoint_url=f"http://127.0.0.1:{port}").get_caller_identity()
assert identity["Account"], identity
print(frozen.access_key)
PY
}

STDOUT=$(run_boto3 iam-role AWS_EC2_METADATA_SERVICE_ENDPOINT="$SERVE_URL" 2>&1)
check "boto3 gets credentials through IMDSv2 and calls STS ($STDOUT)" test "$STDOUT" = "$served_key"

STDOUT=$(run_boto3 container-role AWS_CONTAINER_CREDENTIALS_FULL_URI="$container_uri" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$token_file" AWS_EC2_METADATA_DISABLED=true 2>&1)
check "boto3 gets credentials through the container path and calls STS ($STDOUT)" \
  test "$STDOUT" = "$served_key"

STDOUT=$(run_boto3 container-role AWS_CONTAINER_CREDENTIALS_FULL_URI="$container_uri" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token AWS_EC2_METADATA_DISABLED=true 2>&1)
check "a wrong container token gets no credentials, but botocore's 401 error" \
  bash -c '[[ "$1" != *ASIA* && "$1" == *"Received non 200 response 401 from container metadata"* ]]' \
  _ "$STDOUT"

check "moto_server logged the STS calls" test "$(grep -c 'POST / HTTP' "$WORK/moto.log")" -ge 2

stop_serve TERM
finish
