#!/usr/bin/env bash
# serve against a failing service (the emulator's fault injection): a rejected certificate stops
# it at start; a service that is down or unreachable at start means 503 until it recovers; failed
# refreshes keep the old credentials in service, and fresh ones arrive once the service is back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"

# wait_for_status TOKEN STATUS SECONDS: polls the credentials path until it answers STATUS.
wait_for_status() {
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    imds_credentials "$1"
    [ "$HTTP_STATUS" = "$2" ] && return 0
    sleep 0.25
  done
  return 1
}

# 1. A certificate the trust anchor does not trust: no endpoint, a clear message, exit 1.
expect_error "a rejected certificate stops serve at start with the service's reason" \
  "AccessDeniedException" serve --port 0 --certificate "$PKI/untrusted.crt.pem" \
  --private-key "$PKI/rsa2048.key.pem" "${SESSION[@]}"
check "... and it never announced a port" bash -c '[[ "$1" != *"Local server started"* ]]' _ "$STDERR"
expect_error "an expired certificate stops serve at start" "expired" \
  serve --port 0 --certificate "$PKI/expired.crt.pem" --private-key "$PKI/rsa2048.key.pem" \
  "${SESSION[@]}"

# 2. The service answers 503 at start: serve anyway, 503 with a JSON reason, then recover.
set_faults '{"fail_count":100000,"fail_status":503}'
start_serve down-at-start || { STDERR=$(cat "$SERVE_ERR"); fail "serve starts while the service is down"; }
STDERR=$(cat "$SERVE_ERR")
check "it warns that there are no credentials yet" wait_until 10 grep -q "no credentials yet" "$SERVE_ERR"
token=$(imds_token)
imds_credentials "$token"
STDOUT=$HTTP_BODY
check "the credentials path answers 503 with a JSON error, not empty credentials" \
  credentials_unavailable
check "the role name is still listed meanwhile" bash -c \
  '[ "$(curl -s -H "x-aws-ec2-metadata-token: $1" "$2latest/meta-data/iam/security-credentials/")" = rolesanywhere-test ]' \
  _ "$token" "$SERVE_URL"
set_faults '{"fail_count":0}'
check "credentials are served once the service recovers" wait_for_status "$token" 200 20
STDERR=$(cat "$SERVE_ERR")
check "the recovery is reported" grep -q "credentials refreshed after the failures" "$SERVE_ERR"
stop_serve TERM

# 3. The service is unreachable at start (nothing listens): serve, then an emulator appears.
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SESSION_LATE=(--trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN"
  --endpoint "http://127.0.0.1:$free_port")
"$HELPER" serve --port 0 "${SERVE_IDENTITY[@]}" "${SESSION_LATE[@]}" 2>"$WORK/unreachable.err" &
SERVE_PID=$!
EMULATOR_PIDS+=("$SERVE_PID")
if wait_for_serve_lines "$SERVE_PID" "$WORK/unreachable.err"; then
  pass "serve starts while the service is unreachable"
else
  STDERR=$(cat "$WORK/unreachable.err")
  fail "serve starts while the service is unreachable"
fi
token=$(imds_token)
imds_credentials "$token"
check "503 while the service is unreachable" test "$HTTP_STATUS" = 503
"$EMULATOR" --port "$free_port" --ca "$PKI/root-ca.pem" --trust-anchor-arn "$TRUST_ANCHOR_ARN" \
  --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN" >"$WORK/late-emulator.log" 2>&1 &
EMULATOR_PIDS+=($!)
check "credentials are served once the service is reachable" wait_for_status "$token" 200 25
stop_serve TERM

# 4. Refreshes that fail: the old credentials stay in service while valid, new ones follow.
# A 900 s session refreshed 890 s before expiry: the first refresh ~10 s after start, time enough
# to take the first credentials and start the outage before it even on a slow sanitizer build.
start_serve refresh --session-duration 900 --refresh-before-expiry 890
token=$(imds_token)
imds_credentials "$token"
first_key=$(json_field AccessKeyId)
check "first credentials" test "$HTTP_STATUS" = 200 -a -n "$first_key"
issued_before=$(emulator_stat sessions_issued)
set_faults '{"fail_count":100000,"fail_status":500}'
wait_until 30 grep -q "refreshing credentials failed" "$SERVE_ERR" ||
  fail "a refresh failed within 30 s of the outage's start"
imds_credentials "$token"
STDOUT=$HTTP_BODY
STDERR=$(cat "$SERVE_ERR")
check "refreshes were attempted and failed" grep -q "refreshing credentials failed" "$SERVE_ERR"
check "a failure says the credentials served stay valid, and when the next attempt is" \
  grep -q "refreshing credentials failed: .*; the credentials served stay valid until .*; next attempt at " "$SERVE_ERR"
# Each refresh makes 3 attempts: more than 6 failed requests mean at least three failed refreshes.
faults_over() { [ "$(emulator_stat faults_injected)" -gt "$1" ]; }
check "several refreshes failed ($(emulator_stat faults_injected) failed requests)" wait_until 15 faults_over 6
check "the same failure repeated is said once, not at every retry" \
  test "$(grep -c "refreshing credentials failed" "$SERVE_ERR")" = 1
check "the old credentials are still served during the failures" \
  test "$HTTP_STATUS/$(json_field AccessKeyId)" = "200/$first_key"
set_faults '{"fail_count":0}'
deadline=$((SECONDS + 20))
while [ $SECONDS -lt $deadline ]; do
  imds_credentials "$token"
  [ "$HTTP_STATUS" = 200 ] && [ "$(json_field AccessKeyId)" != "$first_key" ] && break
  sleep 0.25
done
check "fresh credentials are served after the service recovers" \
  test "$HTTP_STATUS" = 200 -a "$(json_field AccessKeyId)" != "$first_key"
check "... issued by the service after the failures" \
  test "$(emulator_stat sessions_issued)" -gt "$issued_before"
stop_serve TERM
check "serve stopped cleanly" test "$SERVE_EXIT" = 0
check "the stop is said" grep -q "stopping on SIGTERM" "$SERVE_ERR"

# 5. Down at start, then the service answers and refuses the certificate: no credentials were ever
#    served, so serve stops with the service's reason, as it does when refused at once.
# Three 503s: every attempt of the first CreateSession (it retries twice itself).
set_faults '{"fail_count":3,"fail_status":503}'
TRUSTED_IDENTITY=("${SERVE_IDENTITY[@]}")
SERVE_IDENTITY=(--certificate "$PKI/untrusted.crt.pem" --private-key "$PKI/rsa2048.key.pem")
start_serve refused-after-outage
SERVE_IDENTITY=("${TRUSTED_IDENTITY[@]}")
check "serve announces while the service is down" test -n "$SERVE_PORT"
for _ in $(seq 200); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SERVE_PID" 2>/dev/null; then
  STDERR=$(cat "$SERVE_ERR")
  fail "a refusal after the outage stops serve (still running after 20 s)"
  stop_serve KILL
else
  wait "$SERVE_PID"
  STATUS=$?
  STDERR=$(cat "$SERVE_ERR")
  STDOUT=$(cat "$WORK/refused-after-outage.out")
  check "a refusal after the outage stops serve with exit 1" test "$STATUS" = 1
  check "... naming the service's reason last" \
    bash -c 'tail -1 "$1" | grep -q "^rolesanywhere-helper: AccessDeniedException"' _ "$SERVE_ERR"
  check "... after reporting the outage it retried" \
    grep -q "warning: no credentials yet (ServiceUnavailableException" "$SERVE_ERR"
  check "... with nothing on stdout" test -z "$STDOUT"
fi

finish
