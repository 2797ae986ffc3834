# Shared by the serve end-to-end tests (sourced after lib.sh): start `serve` on a free port,
# learn the port from its start-up lines, and talk IMDSv2 to it with curl.

SERVE_IDENTITY=(--certificate "$PKI/rsa2048.fullchain.pem" --private-key "$PKI/rsa2048.key.pem")

# start_serve NAME [serve flags]: starts `serve --port 0` with the emulator's session flags and
# the rsa2048 identity; waits for the export line. Sets SERVE_PID, SERVE_PORT, SERVE_URL and
# SERVE_ERR (its stderr). Returns 1 (SERVE_PID still set) when it exited instead.
# --announce-after (a test hook): the export line waits for the first CreateSession's outcome
# however slow a sanitizer build is, rather than 2 s, so checks made right after it see that
# outcome (credentials, or the service's failure) instead of a CreateSession still in flight.
start_serve() {
  local name=$1
  shift
  SERVE_ERR=$WORK/$name.err
  read -ra _session <<<"$(session_flags)"
  "$HELPER" serve --port 0 --announce-after 20 "${SERVE_IDENTITY[@]}" "${_session[@]}" "$@" \
    >"$WORK/$name.out" 2>"$SERVE_ERR" &
  SERVE_PID=$!
  EMULATOR_PIDS+=("$SERVE_PID")
  wait_for_serve_lines "$SERVE_PID" "$SERVE_ERR"
}

# wait_for_serve_lines PID STDERR_FILE: sets SERVE_PORT and SERVE_URL from the export line.
wait_for_serve_lines() {
  local pid=$1 err=$2
  SERVE_PORT=
  for _ in $(seq 300); do
    if grep -q '^export AWS_EC2_METADATA_SERVICE_ENDPOINT=' "$err" 2>/dev/null; then
      SERVE_URL=$(sed -n 's/^export AWS_EC2_METADATA_SERVICE_ENDPOINT=//p' "$err")
      SERVE_PORT=$(sed -n 's/^Local server started on port: //p' "$err")
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# imds_token [TTL]: a token from PUT /latest/api/token.
imds_token() {
  curl -s --noproxy '*' -X PUT -H "x-aws-ec2-metadata-token-ttl-seconds: ${1:-21600}" \
    "${SERVE_URL}latest/api/token"
}

# http_get PATH [curl args]: sets HTTP_STATUS and HTTP_BODY.
http_request() {
  local out
  out=$(curl -s --noproxy '*' -w '\n%{http_code}' "$@")
  HTTP_STATUS=${out##*$'\n'}
  HTTP_BODY=${out%$'\n'*}
}

# imds_credentials TOKEN: GET the role's credentials; sets HTTP_STATUS and HTTP_BODY.
imds_credentials() {
  http_request -H "x-aws-ec2-metadata-token: $1" \
    "${SERVE_URL}latest/meta-data/iam/security-credentials/rolesanywhere-test"
}

# credentials_unavailable: the last answer (HTTP_STATUS, HTTP_BODY) is the 503 with a JSON reason
# that stands for "no valid credentials", and holds no credential field.
credentials_unavailable() {
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert sys.argv[2]=="503" and d["Code"]=="CredentialsUnavailable" and "AccessKeyId" not in d, d' \
    "$HTTP_BODY" "$HTTP_STATUS"
}

# collect_successive_keys COUNT TOKEN: polls the credentials path (up to 15 s) until COUNT
# different access keys have been served one after another; sets KEYS to those seen.
collect_successive_keys() {
  local count=$1 token=$2 key
  KEYS=()
  for _ in $(seq 150); do
    imds_credentials "$token"
    key=$(json_field AccessKeyId)
    if [ -n "$key" ] && { [ ${#KEYS[@]} -eq 0 ] || [ "$key" != "${KEYS[-1]}" ]; }; then
      KEYS+=("$key")
    fi
    [ ${#KEYS[@]} -ge "$count" ] && return 0
    sleep 0.1
  done
  return 1
}

# json_field FIELD: a field of HTTP_BODY.
json_field() {
  python3 -c "import json,sys; print(json.loads(sys.argv[1])['$1'])" "$HTTP_BODY" 2>/dev/null
}

# stop_serve SIGNAL: sends it and waits; sets SERVE_EXIT.
stop_serve() {
  kill "-$1" "$SERVE_PID" 2>/dev/null
  wait "$SERVE_PID"
  SERVE_EXIT=$?
}

# wait_for_bindings PID STDERR_FILE NAMES: serve --config's start-up (or reload) lines, up to
# 15 s: the port line, and for each binding of NAMES its line or its "left out" line. Sets
# SERVE_PORT and SERVE_URL. Returns 1 when serve exited instead.
wait_for_bindings() {
  local pid=$1 err=$2 names=$3 binding all
  for _ in $(seq 300); do
    all=1
    SERVE_PORT=$(sed -n 's/^Local server started on port: //p' "$err" 2>/dev/null | tail -1)
    [ -n "$SERVE_PORT" ] || all=
    for binding in $names; do
      grep -q -e "^binding $binding: " -e "^rolesanywhere-helper: binding '$binding' left out: " \
        "$err" 2>/dev/null || all=
    done
    if [ -n "$all" ]; then
      SERVE_URL=http://127.0.0.1:$SERVE_PORT/
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
