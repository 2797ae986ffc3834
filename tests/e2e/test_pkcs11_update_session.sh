#!/usr/bin/env bash
# update's refresh loop over a token key keeps one logged-in session: several refreshes, one
# C_Login and no new sessions, counted by OpenSC's pkcs11-spy between the helper and SoftHSM2.
# (serve builds on the same CredentialSource, so it shares this behaviour.)
source "$(dirname "$0")/lib.sh"
source "$SOURCE_DIR/tests/pkcs11/token.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
FILE=$AWS_SHARED_CREDENTIALS_FILE
[ -e "$SPY" ] || { echo "skip: OpenSC's pkcs11-spy is not installed ($SPY)"; exit 77; }

key_in_file() {
  python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); print(p["token"]["aws_access_key_id"])' "$FILE" 2>/dev/null
}
wait_for_new_key() { # wait_for_new_key OLD: until the file holds another key (20 s at most)
  for _ in $(seq 200); do
    local now
    now=$(key_in_file) && [ -n "$now" ] && [ "$now" != "$1" ] && { echo "$now"; return 0; }
    sleep 0.1
  done
  return 1
}

with_spy "$WORK/spy.log"
"$REAL_HELPER" update --profile token --session-duration 900 --refresh-before-expiry 898 \
  --certificate "$TOKEN;object=p256;type=cert?pin-value=$USER_PIN" --pkcs11-lib "$SPY" \
  "${SESSION[@]}" </dev/null >"$WORK/loop.out" 2>"$WORK/loop.err" &
LOOP=$!

keys=()
previous=
for round in 1 2 3 4; do
  if next=$(wait_for_new_key "$previous"); then
    keys+=("$next")
    previous=$next
  else
    break
  fi
done
kill -TERM "$LOOP" 2>/dev/null
wait "$LOOP" 2>/dev/null
STDOUT=$(cat "$WORK/loop.out")
STDERR=$(tail -5 "$WORK/loop.err")

[ "${#keys[@]}" -eq 4 ] && pass "update over a token key wrote 4 successive credentials" ||
  fail "update over a token key wrote 4 successive credentials (got ${#keys[@]})"
logins=$(spy_count "$WORK/spy.log" C_Login)
[ "$logins" = 1 ] && pass "one login served every refresh ($logins C_Login)" ||
  fail "one login served every refresh ($logins C_Login)"
signatures=$(( $(spy_count "$WORK/spy.log" C_Sign) + $(spy_count "$WORK/spy.log" C_SignFinal) ))
sessions=$(spy_count "$WORK/spy.log" C_OpenSession)
[ "$signatures" -ge 4 ] && [ "$sessions" -lt "$signatures" ] &&
  pass "$signatures signatures on $sessions session(s) opened, not one per signature" ||
  fail "$signatures signatures on $sessions session(s) opened, not one per signature"
expect_no_pin_leak "the PIN is not in the loop's output" "$USER_PIN"

finish
