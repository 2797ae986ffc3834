#!/usr/bin/env bash
# The AWS SDK for JavaScript v3 (@aws-sdk/credential-providers from npm, pinned by
# tests/js/package-lock.json) obtains credentials from serve through the IMDSv2 path and through
# the container path (fromContainerMetadata and fromHttp).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed for the AWS SDK for JavaScript test (apt-get install nodejs npm)"
  exit 77
fi
JS_DIR=$SOURCE_DIR/tests/js
# npm ci installs exactly the locked versions; serialised, since ctest may run tests in parallel.
(
  flock 9
  if [ ! -d "$JS_DIR/node_modules/@aws-sdk/credential-providers" ]; then
    (cd "$JS_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1 ||
      { cat "$WORK/npm.log"; exit 1; }
  fi
) 9>"$WORK_ROOT/npm.lock" || { echo "npm ci failed in tests/js"; exit 1; }

start_emulator emulator
start_serve serve --container-token-file "$WORK/container-token"
token=$(imds_token)
imds_credentials "$token"
served_key=$(json_field AccessKeyId)
container_uri=$(sed -n 's/^export AWS_CONTAINER_CREDENTIALS_FULL_URI=//p' "$SERVE_ERR")
token_file=$(sed -n 's/^export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=//p' "$SERVE_ERR")

run_node() {  # MODE ENV...
  local mode=$1
  shift
  env -i PATH="$PATH" HOME="$WORK" "$@" node "$JS_DIR/client.mjs" "$mode" 2>&1
}
expected="{\"accessKeyId\":\"$served_key\",\"complete\":true}"

STDOUT=$(run_node imds AWS_EC2_METADATA_SERVICE_ENDPOINT="$SERVE_URL")
check "JS SDK v3 fromInstanceMetadata gets the served credentials" test "$STDOUT" = "$expected"

STDOUT=$(run_node container AWS_CONTAINER_CREDENTIALS_FULL_URI="$container_uri" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN="$(cat "$token_file")")
check "JS SDK v3 fromContainerMetadata gets them with the token" test "$STDOUT" = "$expected"

STDOUT=$(run_node http AWS_CONTAINER_CREDENTIALS_FULL_URI="$container_uri" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$token_file")
check "JS SDK v3 fromHttp gets them with the token file" test "$STDOUT" = "$expected"

STDOUT=$(run_node http AWS_CONTAINER_CREDENTIALS_FULL_URI="$container_uri" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN=not-the-token)
check "a wrong token gets no credentials, but the SDK's 401 error" \
  test "$STDOUT" = "http: CredentialsProviderError: Server responded with status: 401"

stop_serve TERM
finish
