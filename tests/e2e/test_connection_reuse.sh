#!/usr/bin/env bash
# serve and update load the identity once and keep one HTTPS connection to the service across
# refreshes: against the emulator over TLS, several refreshes (900-second sessions refreshed
# 898 s before expiry, so about every 2 s) arrive on a single connection, counted by the
# emulator's session_connections.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
start_emulator tls --tls-cert "$PKI/server.crt.pem" --tls-key "$PKI/server.key.pem"
export AWS_CA_BUNDLE=$PKI/root-ca.pem
REFRESH_EVERY_2S=(--session-duration 900 --refresh-before-expiry 898)

sessions_reached() { [ "$(emulator_stat sessions_issued)" -ge "$1" ]; }

# --- serve ---
start_serve serve "${REFRESH_EVERY_2S[@]}" ||
  { STDERR=$(cat "$SERVE_ERR"); fail "serve starts against the service over HTTPS"; finish; }
pass "serve starts against the service over HTTPS"
collect_successive_keys 4 "$(imds_token)"
keys=("${KEYS[@]}")
sessions=$(emulator_stat sessions_issued)
connections=$(emulator_stat session_connections)
stop_serve TERM
STDERR=$(tail -5 "$SERVE_ERR")
check "serve handed out 4 successive credentials (${#keys[@]})" test ${#keys[@]} -ge 4
check "its $sessions CreateSessions came over one HTTPS connection ($connections)" \
  test "$sessions" -ge 4 -a "$connections" = 1
check "serve stopped cleanly" test "$SERVE_EXIT" = 0

# --- update ---
before_sessions=$(emulator_stat sessions_issued)
before_connections=$(emulator_stat session_connections)
"$HELPER" update --profile reuse "${REFRESH_EVERY_2S[@]}" \
  --certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem" \
  $(session_flags) >"$WORK/update.out" 2>"$WORK/update.err" &
UPDATE_PID=$!
EMULATOR_PIDS+=("$UPDATE_PID")
check "update refreshes 3 times" wait_until 20 sessions_reached $((before_sessions + 3))
sessions=$(($(emulator_stat sessions_issued) - before_sessions))
connections=$(($(emulator_stat session_connections) - before_connections))
kill -TERM "$UPDATE_PID"
wait "$UPDATE_PID"
STATUS=$?
STDERR=$(tail -5 "$WORK/update.err")
check "update's $sessions CreateSessions came over one HTTPS connection ($connections)" \
  test "$connections" = 1
check "update stopped cleanly" test "$STATUS" = 0
check "the profile was written" grep -q '^\[reuse\]' "$AWS_SHARED_CREDENTIALS_FILE"
finish
