#!/usr/bin/env bash
# serve over a token key refreshes several times on one logged-in session: one C_Login, no new
# session per signature, counted by OpenSC's pkcs11-spy between the helper and SoftHSM2; and the
# credentials it hands out change with every refresh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
source "$SOURCE_DIR/tests/pkcs11/token.sh"
[ -e "$SPY" ] || { echo "skip: OpenSC's pkcs11-spy is not installed ($SPY)"; exit 77; }
start_emulator emulator

with_spy "$WORK/spy.log"
SERVE_IDENTITY=(--certificate "$TOKEN;object=p256;type=cert?pin-value=$USER_PIN"
  --pkcs11-lib "$SPY")
# A 900 s session refreshed 898 s before expiry: a refresh every 2 seconds or so.
start_serve serve --debug --session-duration 900 --refresh-before-expiry 898 ||
  { STDERR=$(cat "$SERVE_ERR"); fail "serve started over the token key"; finish; }
pass "serve started over the token key"

collect_successive_keys 4 "$(imds_token)"
keys=("${KEYS[@]}")
stop_serve TERM
STDERR=$(tail -5 "$SERVE_ERR")

[ ${#keys[@]} -ge 4 ] && pass "serve handed out 4 successive credentials (${#keys[@]})" ||
  fail "serve handed out 4 successive credentials (got ${#keys[@]})"
[ "$SERVE_EXIT" -eq 0 ] && pass "SIGTERM stops it cleanly" || fail "SIGTERM stops it cleanly"
logins=$(spy_count "$WORK/spy.log" C_Login)
[ "$logins" = 1 ] && pass "one login served every refresh ($logins C_Login)" ||
  fail "one login served every refresh ($logins C_Login)"
signatures=$(($(spy_count "$WORK/spy.log" C_Sign) + $(spy_count "$WORK/spy.log" C_SignFinal)))
sessions=$(spy_count "$WORK/spy.log" C_OpenSession)
[ "$signatures" -ge 4 ] && [ "$sessions" -lt "$signatures" ] &&
  pass "$signatures signatures on $sessions session(s) opened, not one per signature" ||
  fail "$signatures signatures on $sessions session(s) opened, not one per signature"
grep -q "$USER_PIN" "$SERVE_ERR" && fail "the PIN is not in serve's --debug output" ||
  pass "the PIN is not in serve's --debug output"
finish
