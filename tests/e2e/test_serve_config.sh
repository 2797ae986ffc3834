#!/usr/bin/env bash
# serve --config: several roles from one process (issue 16). Three bindings against an emulator
# that serves three roles: "web" and "api" share one identity (the same certificate and key
# files), "batch" has another key and also answers IMDSv2. Each client gets only its own
# binding's credentials (the emulator's session list tells which role an access key was issued
# for), another binding's token is refused, a binding the service refuses at start is left out
# while the others are served, SIGHUP adds, removes and changes bindings and keeps the unchanged
# ones' credentials, a file that no longer parses keeps the running configuration, and the AWS
# SDK for JavaScript v3 (container provider) and botocore (IMDS) read their bindings.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

ROLE_WEB=arn:aws:iam::123456789012:role/fleet-web
ROLE_API=arn:aws:iam::123456789012:role/fleet-api
ROLE_BATCH=arn:aws:iam::123456789012:role/fleet-batch
start_emulator emulator --role-arn "$ROLE_WEB" --role-arn "$ROLE_API" --role-arn "$ROLE_BATCH"

# write_config FILE BINDING...: a config file with the emulator in [defaults] and the bindings
# named (each a function below printing its [[binding]] table); TOKENS is the token directory.
write_config() {
  local file=$1
  shift
  {
    echo "[defaults]"
    echo "trust-anchor-arn = \"$TRUST_ANCHOR_ARN\""
    echo "profile-arn = \"$PROFILE_ARN\""
    echo "endpoint = \"$EMULATOR_URL\""
    for binding in "$@"; do
      echo
      "binding_$binding"
    done
  } >"$file"
}
binding_web() {
  cat <<EOF
[[binding]]
name = "web"
certificate = "$PKI/rsa2048.fullchain.pem"
private-key = "$PKI/rsa2048.key.pem"
role-arn = "$ROLE_WEB"
container-token-file = "$TOKENS/web-token"
EOF
}
binding_api() {
  cat <<EOF
[[binding]]
name = "api"
certificate = "$PKI/rsa2048.fullchain.pem"
private-key = "$PKI/rsa2048.key.pem"
role-arn = "$ROLE_API"
container-token-file = "$TOKENS/api-token"
EOF
}
binding_batch() {
  cat <<EOF
[[binding]]
name = "batch"
certificate = "$PKI/p256.fullchain.pem"
private-key = "$PKI/p256.key.pem"
role-arn = "$ROLE_BATCH"
container-token-file = "$TOKENS/batch-token"
imds = true
EOF
}
# batch changed: another role (the emulator's default one), still answering IMDS.
binding_batch_changed() {
  binding_batch | sed "s|^role-arn = .*|role-arn = \"$ROLE_ARN\"|"
}
binding_extra() {
  cat <<EOF
[[binding]]
name = "extra"
certificate = "$PKI/p256.fullchain.pem"
private-key = "$PKI/p256.key.pem"
role-arn = "$ROLE_WEB"
container-token-file = "$TOKENS/extra-token"
container-path = "/creds/extra"
EOF
}

# start_config_serve NAME CONFIG BINDING_NAMES [serve flags]: starts serve --config on a free
# port and waits until each binding named (space-separated) has its start-up line or its
# "left out" line. Sets SERVE_PID, SERVE_ERR, SERVE_PORT, SERVE_URL. Returns 1 when serve exited
# or the lines did not come.
start_config_serve() {
  local name=$1 config=$2 names=$3
  shift 3
  SERVE_ERR=$WORK/$name.err
  SERVE_OUT=$WORK/$name.out
  # --announce-after (a test hook): the start-up lines wait for every first CreateSession's
  # outcome however slow a sanitizer build is, instead of 2 s, so each binding is served or left
  # out when they appear.
  "$HELPER" serve --config "$config" --port 0 --announce-after 20 "$@" >"$SERVE_OUT" \
    2>"$SERVE_ERR" &
  SERVE_PID=$!
  EMULATOR_PIDS+=("$SERVE_PID")
  wait_for_bindings "$SERVE_PID" "$SERVE_ERR" "$names"
}

# binding_line NAME: its latest start-up line in SERVE_ERR.
binding_line() { grep "^binding $1: " "$SERVE_ERR" | tail -1; }
# binding_value NAME VARIABLE: a VARIABLE=value of that line.
binding_value() { binding_line "$1" | tr ' ' '\n' | sed -n "s|^$2=||p"; }

# container_get NAME [TOKEN]: GET the binding's container URI with TOKEN (default: the binding's
# own, from its token file) as the Authorization header. Sets HTTP_STATUS and HTTP_BODY.
container_get() {
  local uri token
  uri=$(binding_value "$1" AWS_CONTAINER_CREDENTIALS_FULL_URI)
  token=${2-$(cat "$(binding_value "$1" AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)")}
  http_request -H "Authorization: $token" "$uri"
}

# role_of_key ACCESS_KEY_ID: the role the emulator issued that access key for ("" if none).
role_of_key() {
  curl -s --noproxy '*' "$EMULATOR_URL/_emulator/stats" | python3 -c '
import json, sys
for session in json.load(sys.stdin)["sessions"]:
    if session["access_key_id"] == sys.argv[1]:
        print(session["role_arn"])' "$1"
}

# served_key NAME: sets SERVED_KEY to the AccessKeyId the binding's container path serves with
# its own token ("" when it serves none), and HTTP_STATUS and HTTP_BODY.
served_key() {
  container_get "$1"
  SERVED_KEY=
  [ "$HTTP_STATUS" != 200 ] || SERVED_KEY=$(json_field AccessKeyId)
}
# served_keys NAME...: "name=KEY ..." of each (KEY empty when none is served).
served_keys() {
  local name text=
  for name in "$@"; do
    served_key "$name"
    text+="$name=$SERVED_KEY "
  done
  SERVED_KEYS=${text% }
}
HTTP_STATUS= HTTP_BODY=

# wait_for_role NAME ROLE: (up to 30 s) the binding serves credentials issued for ROLE; sets
# SERVED_KEY. A binding (re)started by SIGHUP may still be fetching its first credentials.
wait_for_role() {
  for _ in $(seq 300); do
    served_key "$1"
    [ -n "$SERVED_KEY" ] && [ "$(role_of_key "$SERVED_KEY")" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

TOKENS=$WORK/tokens
mkdir -p "$TOKENS"
CONFIG=$WORK/fleet.toml
write_config "$CONFIG" web api batch

# --- start-up ---
start_config_serve serve "$CONFIG" "web api batch"
STATUS=$?
STDERR=$(cat "$SERVE_ERR")
check "serve --config starts and prints a line for each of the three bindings" test "$STATUS" = 0
[ "$STATUS" = 0 ] || finish  # every check below needs it running
STDOUT=$(cat "$SERVE_OUT")
check "  nothing on stdout" test -z "$STDOUT"
check "  the port line" test -n "$SERVE_PORT"
for binding in web api batch; do
  uri=$(binding_value $binding AWS_CONTAINER_CREDENTIALS_FULL_URI)
  token_file=$(binding_value $binding AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)
  check "  $binding: the default container path" \
    test "$uri" = "http://127.0.0.1:$SERVE_PORT/v1/credentials/$binding"
  check "  $binding: the token file, absolute, created with mode 0600" \
    test "$token_file" = "$TOKENS/$binding-token" -a -s "$TOKENS/$binding-token" -a \
    "$(stat -c %a "$TOKENS/$binding-token" 2>/dev/null)" = 600
done
check "  only batch's line names the IMDS endpoint" \
  test "$(binding_value batch AWS_EC2_METADATA_SERVICE_ENDPOINT)" = "http://127.0.0.1:$SERVE_PORT/" \
  -a -z "$(binding_value web AWS_EC2_METADATA_SERVICE_ENDPOINT)" \
  -a -z "$(binding_value api AWS_EC2_METADATA_SERVICE_ENDPOINT)"
check "  the three tokens differ" \
  test "$(sort -u "$TOKENS"/{web,api,batch}-token | wc -l)" = 3

# --- each binding's own credentials, for its own role ---
declare -A KEY ROLE=([web]=$ROLE_WEB [api]=$ROLE_API [batch]=$ROLE_BATCH)
for binding in web api batch; do
  served_key $binding
  KEY[$binding]=$SERVED_KEY
  STDOUT="status $HTTP_STATUS, key ${KEY[$binding]}"
  check "$binding's path with its token serves credentials" test -n "${KEY[$binding]}"
  STDOUT="key ${KEY[$binding]} issued for '$(role_of_key "${KEY[$binding]}")'"
  check "  issued for $binding's role (${ROLE[$binding]##*/})" \
    test "$(role_of_key "${KEY[$binding]}")" = "${ROLE[$binding]}"
done
check "web and api (one shared identity) both work, with different keys" \
  test -n "${KEY[web]}" -a -n "${KEY[api]}" -a "${KEY[web]}" != "${KEY[api]}"

container_get web "$(cat "$TOKENS/api-token")"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "web's path with api's token: 401" test "$HTTP_STATUS" = 401
check "  and no credentials in the answer" bash -c '[[ "$1" != *ASIA* ]]' _ "$HTTP_BODY"
container_get api "$(cat "$TOKENS/batch-token")"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "api's path with batch's token: 401" test "$HTTP_STATUS" = 401
container_get batch ""
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "batch's path without a token: 401" test "$HTTP_STATUS" = 401

# --- IMDS: the batch binding only ---
imds_token_value=$(imds_token)
http_request -H "x-aws-ec2-metadata-token: $imds_token_value" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "IMDS lists batch's role name" test "$HTTP_STATUS" = 200 -a "$HTTP_BODY" = fleet-batch
http_request -H "x-aws-ec2-metadata-token: $imds_token_value" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/fleet-batch"
imds_key=$(json_field AccessKeyId)
STDOUT="$HTTP_STATUS key $imds_key, issued for '$(role_of_key "$imds_key")'"
check "  and serves credentials of batch's role" test "$(role_of_key "$imds_key")" = "$ROLE_BATCH"
http_request -H "x-aws-ec2-metadata-token: $imds_token_value" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/fleet-web"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "  another binding's role name is not an IMDS role: 404" test "$HTTP_STATUS" = 404

# --- real clients: the AWS SDK for JavaScript v3 (container) and botocore (IMDS) ---
JS_DIR=$SOURCE_DIR/tests/js
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  skip "JS SDK v3 reads its binding" "node and npm are not installed"
else
  (
    flock 9
    if [ ! -d "$JS_DIR/node_modules/@aws-sdk/credential-providers" ]; then
      (cd "$JS_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1 ||
        { cat "$WORK/npm.log"; exit 1; }
    fi
  ) 9>"$WORK_ROOT/npm.lock"
  run_node() {  # MODE ENV...
    local mode=$1
    shift
    env -i PATH="$PATH" HOME="$WORK" "$@" node "$JS_DIR/client.mjs" "$mode" 2>&1
  }
  STDOUT=$(run_node http \
    AWS_CONTAINER_CREDENTIALS_FULL_URI="$(binding_value web AWS_CONTAINER_CREDENTIALS_FULL_URI)" \
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$TOKENS/web-token")
  check "JS SDK v3 fromHttp reads web's binding with web's token file" \
    test "$STDOUT" = "{\"accessKeyId\":\"${KEY[web]}\",\"complete\":true}"
  STDOUT=$(run_node container \
    AWS_CONTAINER_CREDENTIALS_FULL_URI="$(binding_value api AWS_CONTAINER_CREDENTIALS_FULL_URI)" \
    AWS_CONTAINER_AUTHORIZATION_TOKEN="$(cat "$TOKENS/api-token")")
  check "JS SDK v3 fromContainerMetadata reads api's binding with api's token" \
    test "$STDOUT" = "{\"accessKeyId\":\"${KEY[api]}\",\"complete\":true}"
  STDOUT=$(run_node http \
    AWS_CONTAINER_CREDENTIALS_FULL_URI="$(binding_value api AWS_CONTAINER_CREDENTIALS_FULL_URI)" \
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$TOKENS/web-token")
  check "JS SDK v3 with web's token on api's path gets the 401" \
    test "$STDOUT" = "http: CredentialsProviderError: Server responded with status: 401"
fi

if ! python3 -c 'import botocore' 2>/dev/null; then
  skip "botocore reads the imds binding" "botocore is not installed"
else
  STDOUT=$(env -i PATH="$PATH" HOME="$WORK" AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_SERVICE_ENDPOINT="$SERVE_URL" \
    python3 - <<'PY' 2>&1
import botocore.session
credentials = botocore.session.get_session().get_credentials()
assert credentials is not None, "no credentials found"
assert credentials.method == "iam-role", credentials.method
frozen = credentials.get_frozen_credentials()
assert frozen.secret_key and frozen.token
print(frozen.access_key)
PY
  )
  check "botocore reads the imds binding (batch's role) over IMDSv2" \
    test "$(role_of_key "$STDOUT")" = "$ROLE_BATCH"
fi

# --- SIGHUP: api removed, batch changed (another role), extra added, web unchanged ---
write_config "$CONFIG" web batch_changed extra
lines_before=$(grep -c '^binding ' "$SERVE_ERR")
kill -HUP "$SERVE_PID"
wait_until 30 grep -q "^rolesanywhere-helper: reloaded " "$SERVE_ERR"
wait_for_bindings "$SERVE_PID" "$SERVE_ERR" "extra"
STDERR=$(cat "$SERVE_ERR")
check "SIGHUP: the reload line names what was added, removed, changed and kept" \
  grep -qxF "rolesanywhere-helper: reloaded $CONFIG: added extra; removed api; changed batch; unchanged web" \
  "$SERVE_ERR"
check "  still running" kill -0 "$SERVE_PID"
check "  the added binding's line is printed" \
  test "$(binding_value extra AWS_CONTAINER_CREDENTIALS_FULL_URI)" = "http://127.0.0.1:$SERVE_PORT/creds/extra"
check "  web's line is not printed again" \
  test "$(sed -n "$((lines_before + 1)),\$p" <(grep '^binding ' "$SERVE_ERR") | grep -c '^binding web: ')" = 0
wait_for_role extra "$ROLE_WEB"
STATUS=$?
STDOUT="$HTTP_STATUS key $SERVED_KEY, issued for '$(role_of_key "$SERVED_KEY")'"
check "  the added binding serves credentials of its role" test "$STATUS" = 0
served_key web
web_key_after=$SERVED_KEY
STDOUT="before ${KEY[web]}, after $web_key_after"
check "  the unchanged binding keeps its credentials (same AccessKeyId)" \
  test "$web_key_after" = "${KEY[web]}"
http_request -H "Authorization: $(cat "$TOKENS/api-token")" \
  "http://127.0.0.1:$SERVE_PORT/v1/credentials/api"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "  the removed binding's path: 404" test "$HTTP_STATUS" = 404
wait_for_role batch "$ROLE_ARN"
STATUS=$?
STDOUT="$HTTP_STATUS key $SERVED_KEY, issued for '$(role_of_key "$SERVED_KEY")'"
check "  the changed binding serves credentials of its new role" test "$STATUS" = 0
http_request -H "x-aws-ec2-metadata-token: $(imds_token)" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "  IMDS names the changed binding's new role" \
  test "$HTTP_STATUS" = 200 -a "$HTTP_BODY" = rolesanywhere-test

# --- SIGHUP with a file that no longer parses ---
cp "$CONFIG" "$WORK/fleet.good.toml"
printf '\n[[binding]\nname = "broken"\n' >>"$CONFIG"
broken_line=$(grep -n '^\[\[binding\]$' "$CONFIG" | cut -d: -f1)
kill -HUP "$SERVE_PID"
wait_until 10 grep -q "keeping the running configuration" "$SERVE_ERR"
STDERR=$(grep "keeping the running configuration" "$SERVE_ERR")
# FILE:LINE, or FILE:LINE:COLUMN as compilers write it (toml++ gives the column).
check "SIGHUP with a broken file: FILE:LINE: ...; keeping the running configuration" \
  grep -qE "^rolesanywhere-helper: $CONFIG:$broken_line(:[0-9]+)?: .*; keeping the running configuration\$" \
  <<<"$STDERR"
served_keys web extra batch
STDOUT=$SERVED_KEYS
check "  every binding still served, web with the same key" \
  grep -qE "^web=${KEY[web]} extra=ASIA[A-Z0-9]+ batch=ASIA[A-Z0-9]+\$" <<<"$SERVED_KEYS"
check "  still running" kill -0 "$SERVE_PID"
stop_serve TERM
STDERR=$(cat "$SERVE_ERR")
check "  stops cleanly on SIGTERM" test "$SERVE_EXIT" = 0

# --- one binding refused by the service at start: left out, the others served ---
set_faults "{\"refuse_roles\":[\"$ROLE_API\"]}"
TOKENS=$WORK/tokens-refused
mkdir -p "$TOKENS"
write_config "$WORK/refused.toml" web api batch
start_config_serve refused "$WORK/refused.toml" "web api batch"
STATUS=$?
STDERR=$(cat "$SERVE_ERR")
check "a binding refused at start: serve runs" test "$STATUS" = 0
check "  'binding 'api' left out: <reason>'" \
  grep -qE "^rolesanywhere-helper: binding 'api' left out: .+" "$SERVE_ERR"
check "  no start-up line for api" test -z "$(binding_line api)"
served_keys web batch
STDOUT=$SERVED_KEYS
check "  web and batch served" grep -qE "^web=ASIA[A-Z0-9]+ batch=ASIA[A-Z0-9]+\$" <<<"$SERVED_KEYS"
http_request -H "Authorization: $(cat "$TOKENS/api-token" 2>/dev/null)" \
  "http://127.0.0.1:$SERVE_PORT/v1/credentials/api"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "  api's path gets no credentials" bash -c '[ "$1" != 200 ] && [[ "$2" != *ASIA* ]]' _ \
  "$HTTP_STATUS" "$HTTP_BODY"
stop_serve TERM

# --- no binding can start: exit status 1 ---
TOKENS=$WORK/tokens-none
mkdir -p "$TOKENS"
write_config "$WORK/none.toml" api
"$HELPER" serve --config "$WORK/none.toml" --port 0 --announce-after 20 >"$WORK/stdout" \
  2>"$WORK/stderr" &
none_pid=$!
EMULATOR_PIDS+=("$none_pid")
if exits_within 30 "$none_pid"; then
  STDERR=$(cat "$WORK/stderr")
  STDOUT=$(cat "$WORK/stdout")
  check "no binding could start: exit status 1" test "$EXIT_STATUS" = 1
  check "  and api named as left out" grep -q "binding 'api' left out: " "$WORK/stderr"
else
  fail "no binding could start: still running after 30 s"
  kill "$none_pid" 2>/dev/null
fi
set_faults '{"refuse_roles":[]}'

# --- configuration errors at start ---
TOKENS=$WORK/tokens-errors
mkdir -p "$TOKENS"
write_config "$WORK/unknown.toml" web batch
sed -i 's/^role-arn = \(.*fleet-batch.*\)$/role-arn = \1\nrole-ann = "typo"/' "$WORK/unknown.toml"
typo_line=$(grep -n '^role-ann' "$WORK/unknown.toml" | cut -d: -f1)
expect_error "an unknown key: exit 1, FILE:LINE and the key named" \
  "$WORK/unknown.toml:$typo_line" serve --config "$WORK/unknown.toml" --port 0
check "  exit status 1" test "$STATUS" = 1
check "  the key named" bash -c '[[ "$1" == *role-ann* ]]' _ "$STDERR"

# The second "web" has its own token file and path: only the name is duplicated.
binding_web_again() {
  binding_web | sed -e "s|web-token|web2-token|" -e '$a container-path = "/v1/credentials/web2"'
}
write_config "$WORK/duplicate.toml" web web_again
second_line=$(grep -n '^name = "web"' "$WORK/duplicate.toml" | tail -1 | cut -d: -f1)
expect_error "a duplicate binding name: exit 1, FILE and the second name's line" \
  "$WORK/duplicate.toml:" serve --config "$WORK/duplicate.toml" --port 0
check "  exit status 1, and 'name' named" \
  bash -c '[ "$1" = 1 ] && [[ "$2" == *name* ]]' _ "$STATUS" "$STDERR"
STDOUT="line $second_line or $((second_line - 1)) of $WORK/duplicate.toml expected"
check "  the line is the second binding's (its name, or its [[binding]] header)" \
  bash -c '[[ "$1" == *"duplicate.toml:$2:"* || "$1" == *"duplicate.toml:$(($2 - 1)):"* ]]' _ \
  "$STDERR" "$second_line"

# A bad value of the file's top level names the file's line and key, not a flag never typed.
{ echo "port = 70000"; cat "$WORK/fleet.good.toml"; } >"$WORK/bad-port.toml"
expect_error "a top-level port out of range: FILE:1 and the key 'port' named" \
  "$WORK/bad-port.toml:1: key 'port': " serve --config "$WORK/bad-port.toml"
# The command line overrides the top level: --port 0 makes the file's bad port no matter.
start_config_serve override "$WORK/bad-port.toml" "web batch extra" --port 0
STATUS=$?
STDERR=$(cat "$SERVE_ERR")
check "  --port on the command line overrides the file's bad port: serve starts" test "$STATUS" = 0
[ "$STATUS" = 0 ] && stop_serve TERM
{ echo 'bind = "192.0.2.1"'; cat "$WORK/fleet.good.toml"; } >"$WORK/bad-bind.toml"
expect_error "a top-level bind off loopback: the file's key and the file's way out named" \
  "bind ($WORK/bad-bind.toml:1) 192.0.2.1 is not a loopback address" \
  serve --config "$WORK/bad-bind.toml" --port 0
check "  the way out is the file's allow-non-loopback" \
  bash -c '[[ "$1" == *"Add allow-non-loopback = true to the top level of $2"* ]]' _ "$STDERR" \
  "$WORK/bad-bind.toml"
expect_error "  --bind on the command line wins and is named as the flag" \
  "--bind 192.0.2.2 is not a loopback address" \
  serve --config "$WORK/bad-bind.toml" --port 0 --bind 192.0.2.2
check "  and the way out is the flag" \
  bash -c '[[ "$1" == *"Add --allow-non-loopback if that is intended"* ]]' _ "$STDERR"

expect_error "identity flags together with --config are an error" "--config" \
  serve --config "$CONFIG" --port 0 --role-arn "$ROLE_WEB"

# The example the package installs is a file serve reads: its bindings get as far as loading
# the certificate, which does not exist here.
expect_error "contrib/systemd/serve.toml.example reads; its bindings stop at the missing files" \
  "no binding could start" serve --config "$SOURCE_DIR/contrib/systemd/serve.toml.example" --port 0
check "  both bindings left out for the certificate file" \
  bash -c '[ "$(grep -c "left out: .*certificate.pem" <<<"$1")" = 2 ]' _ "$STDERR"

finish
