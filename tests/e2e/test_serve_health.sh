#!/usr/bin/env bash
# GET /healthz and GET /metrics of serve (issue 16). A serve --config with two bindings, each on
# its own emulator: "steady" (hour-long sessions) and "brief" (sessions of a few seconds, its
# emulator slow at first: its first CreateSession takes BRIEF_DELAY_MS). /healthz says 503 "pending" before brief's first credentials, 200 once
# both hold valid ones, and 503 with brief "expired" and "failing" after its emulator went away
# and its credentials ran out, steady still "ok". No token is needed, no credential is in the
# body, an Origin header is refused. /metrics is off unless asked for. A plain serve (no
# --config) answers /healthz with one binding named "default".
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

BRIEF_SECONDS=6
# Long enough for steady's first CreateSession to finish well before brief's even under the
# sanitizers on a busy machine (the check below waits up to 6 s for steady).
BRIEF_DELAY_MS=9000
start_emulator steady
STEADY_URL=$EMULATOR_URL
start_emulator brief --max-session-seconds "$BRIEF_SECONDS" --delay-ms "$BRIEF_DELAY_MS"
BRIEF_URL=$EMULATOR_URL
BRIEF_PID=${EMULATOR_PIDS[-1]}

TOKENS=$WORK/tokens
mkdir -p "$TOKENS"
CONFIG=$WORK/health.toml
cat >"$CONFIG" <<EOF
metrics = true

[defaults]
trust-anchor-arn = "$TRUST_ANCHOR_ARN"
profile-arn = "$PROFILE_ARN"
role-arn = "$ROLE_ARN"
certificate = "$PKI/rsa2048.fullchain.pem"
private-key = "$PKI/rsa2048.key.pem"

[[binding]]
name = "steady"
endpoint = "$STEADY_URL"
container-token-file = "$TOKENS/steady-token"

[[binding]]
name = "brief"
endpoint = "$BRIEF_URL"
container-token-file = "$TOKENS/brief-token"
EOF

# health: GET /healthz (no token); sets HTTP_STATUS and HTTP_BODY.
health() { http_request "${SERVE_URL}healthz" "$@"; }

# health_is STATUS EXPRESSION: the last answer has that HTTP status and the Python EXPRESSION is
# true of its JSON body `d` (with `b(name)` the binding of that name).
health_is() {
  python3 -c '
import json, sys
status, expression, code, body = sys.argv[1:5]
d = json.loads(body)
def b(name):
    found = [x for x in d["bindings"] if x["name"] == name]
    assert len(found) == 1, (name, d)
    return found[0]
assert code == status, (code, d)
assert eval(expression), d' "$1" "$2" "$HTTP_STATUS" "$HTTP_BODY" 2>/dev/null
}

# no_credentials_in_body: nothing that looks like a credential field or an access key.
no_credentials_in_body() {
  [[ "$HTTP_BODY" != *AccessKeyId* && "$HTTP_BODY" != *SecretAccessKey* &&
    "$HTTP_BODY" != *Token* && "$HTTP_BODY" != *ASIA* ]]
}

# metric NAME BINDING: the value of that series in the last /metrics answer ("" if absent).
metric() {
  sed -n "s/^$1{binding=\"$2\"} //p" <<<"$HTTP_BODY"
}

# --- before brief's first credentials ---
# --refresh-before-expiry (the test hook of refresh_test_hook.cpp): brief's 6-second sessions are
# refreshed 3 s before they end instead of 30 s after they began (the floor of the real policy).
"$HELPER" serve --config "$CONFIG" --port 0 --refresh-before-expiry 3 >"$WORK/serve.out" \
  2>"$WORK/serve.err" &
SERVE_PID=$!
EMULATOR_PIDS+=("$SERVE_PID")
SERVE_ERR=$WORK/serve.err
wait_for_bindings "$SERVE_PID" "$SERVE_ERR" "steady brief"
STATUS=$?
STDERR=$(cat "$SERVE_ERR")
check "serve --config with two bindings starts (within 2 s of a slow CreateSession)" \
  test "$STATUS" = 0
[ "$STATUS" = 0 ] || finish  # every check below needs it running
# steady's first CreateSession runs beside brief's slow one; wait for it rather than assume it
# finished (under ASan on a shared machine it can take a few seconds).
wait_until 6 bash -c 'curl -s --noproxy "*" "$1" | grep -q "\"name\":\"steady\",\"status\":\"ok\""' _ \
  "${SERVE_URL}healthz" || fail "steady holds credentials within 6 s"
health
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "/healthz before brief's first credentials: 503 unavailable, brief pending, steady ok" \
  health_is 503 'd["status"] == "unavailable" and b("brief")["status"] == "pending" and b("steady")["status"] == "ok"'
check "  no credentials in the body" no_credentials_in_body
http_request "${SERVE_URL}metrics"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "  /metrics (metrics = true): brief not valid, no seconds until expiration" \
  test "$HTTP_STATUS" = 200 -a "$(metric rolesanywhere_credentials_valid brief)" = 0 \
  -a -z "$(metric rolesanywhere_credentials_seconds_until_expiration brief)"

# --- healthy ---
set_faults '{"delay_ms":0}'  # for brief's emulator (EMULATOR_URL is the last one started)
wait_until 15 bash -c 'curl -s --noproxy "*" -o /dev/null -w "%{http_code}" "$1" | grep -qx 200' _ \
  "${SERVE_URL}healthz"
health
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "/healthz once both hold credentials: 200 ok" \
  health_is 200 'd["status"] == "ok" and [x["name"] for x in d["bindings"]] == ["steady", "brief"]'
check "  each binding ok, with its expiration and seconds until then" \
  health_is 200 'all(x["status"] == "ok" and x["expiration"].endswith("Z") and isinstance(x["seconds_until_expiration"], int) and 0 <= x["seconds_until_expiration"] <= 3600 and not x.get("failing", False) for x in d["bindings"])'
check "  brief's seconds until expiration within its short sessions" \
  health_is 200 "b('brief')['seconds_until_expiration'] <= $BRIEF_SECONDS and b('steady')['seconds_until_expiration'] > 3000"
check "  no credentials in the body" no_credentials_in_body
health -H "Origin: http://evil.example"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "  with an Origin header: 403" test "$HTTP_STATUS" = 403
health -H "Host: attacker.example:$SERVE_PORT"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "  with a foreign Host header: refused (403)" test "$HTTP_STATUS" = 403
http_request "${SERVE_URL}metrics"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "/metrics: Prometheus text, both valid" \
  test "$HTTP_STATUS" = 200 -a "$(metric rolesanywhere_credentials_valid steady)" = 1 \
  -a "$(metric rolesanywhere_credentials_valid brief)" = 1
check "  every series per binding, each metric with # HELP and # TYPE" bash -c '
  for name in credentials_valid refreshes_total refresh_failures_total consecutive_refresh_failures credentials_seconds_until_expiration; do
    for binding in steady brief; do grep -qE "^rolesanywhere_$name\{binding=\"$binding\"\} [0-9.e+]+$" <<<"$1" || exit 1; done
    [ "$(grep -c "^# HELP rolesanywhere_$name " <<<"$1")" = 1 ] || exit 1
    [ "$(grep -c "^# TYPE rolesanywhere_$name " <<<"$1")" = 1 ] || exit 1
  done' _ "$HTTP_BODY"
check "  no credentials in it" no_credentials_in_body

# --- brief's emulator goes away: its credentials expire during the outage ---
kill "$BRIEF_PID"
wait "$BRIEF_PID" 2>/dev/null
wait_until $((BRIEF_SECONDS + 10)) bash -c \
  'curl -s --noproxy "*" "$1" | grep -q "\"expired\""' _ "${SERVE_URL}healthz"
health
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "/healthz after brief's credentials expired in an outage: 503 unavailable" \
  health_is 503 'd["status"] == "unavailable"'
check "  brief expired and failing, with its (past) expiration" \
  health_is 503 'b("brief")["status"] == "expired" and b("brief")["failing"] is True and "expiration" in b("brief")'
check "  steady still ok" health_is 503 'b("steady")["status"] == "ok" and not b("steady").get("failing", False)'
check "  no credentials in the body" no_credentials_in_body
http_request "${SERVE_URL}metrics"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "/metrics after the outage: brief not valid, failures counted, no seconds left" \
  test "$(metric rolesanywhere_credentials_valid brief)" = 0 \
  -a "$(metric rolesanywhere_consecutive_refresh_failures brief)" -ge 1 \
  -a "$(metric rolesanywhere_refresh_failures_total brief)" -ge 1 \
  -a -z "$(metric rolesanywhere_credentials_seconds_until_expiration brief)" \
  -a "$(metric rolesanywhere_credentials_valid steady)" = 1
check "  brief's refreshes counted" test "$(metric rolesanywhere_refreshes_total brief)" -ge 1
http_request -H "Authorization: $(cat "$TOKENS/steady-token")" \
  "http://127.0.0.1:$SERVE_PORT/v1/credentials/steady"
STDOUT="$HTTP_STATUS"
check "  steady's clients still get credentials" test "$HTTP_STATUS" = 200
stop_serve TERM

# --- a plain serve: one binding named "default"; /metrics only with --metrics ---
EMULATOR_URL=$STEADY_URL
start_serve plain
STATUS=$?
STDERR=$(cat "$SERVE_ERR")
check "a plain serve starts" test "$STATUS" = 0
wait_until 10 bash -c 'curl -s --noproxy "*" -o /dev/null -w "%{http_code}" "$1" | grep -qx 200' _ \
  "${SERVE_URL}healthz"
health
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "  /healthz: 200 with the one binding named default" \
  health_is 200 'd["status"] == "ok" and [x["name"] for x in d["bindings"]] == ["default"] and b("default")["status"] == "ok"'
http_request "${SERVE_URL}metrics"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "  /metrics off by default: 404" test "$HTTP_STATUS" = 404
check "  and no metrics in that answer" bash -c '[[ "$1" != *rolesanywhere_* ]]' _ "$HTTP_BODY"
stop_serve TERM

start_serve plain-metrics --metrics
http_request "${SERVE_URL}metrics"
STDOUT="$HTTP_STATUS $HTTP_BODY"
check "a plain serve with --metrics: /metrics 200 with binding=\"default\"" \
  test "$HTTP_STATUS" = 200 -a "$(metric rolesanywhere_credentials_valid default)" = 1
stop_serve TERM

finish
