#!/usr/bin/env bash
# A key with CKA_ALWAYS_AUTHENTICATE needs a context-specific login before every signature:
# --reuse-pin answers it with the user PIN; without it the helper asks on the terminal, and with
# no terminal it says so clearly.
source "$(dirname "$0")/lib.sh"
source "$SOURCE_DIR/tests/pkcs11/token.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
KEY="$TOKEN;object=always-auth?pin-value=$USER_PIN"

expect_credentials "--reuse-pin: token only" --certificate "$KEY" --reuse-pin "${SESSION[@]}"
expect_credentials "--reuse-pin: hybrid through --pkcs11-lib" \
  --certificate "$PKI/rsa3072.fullchain.pem" --private-key "$KEY" --reuse-pin \
  --pkcs11-lib "$SOFTHSM_MODULE" "${SESSION[@]}"

with_spy "$WORK/spy.log"
run_helper sign-string --private-key "$KEY" --reuse-pin --pkcs11-lib "$SPY"
if [ "$STATUS" -eq 0 ] && grep -q "userType = CKU_CONTEXT_SPECIFIC" "$WORK/spy.log"; then
  pass "sign-string with --reuse-pin logs in context-specifically before signing"
else
  fail "sign-string with --reuse-pin logs in context-specifically before signing"
fi

expect_error "without --reuse-pin and without a terminal: a clear error" "CKA_ALWAYS_AUTHENTICATE" \
  credential-process --certificate "$KEY" "${SESSION[@]}"
[[ "$STDERR" == *"--reuse-pin"* ]] && pass "the error suggests --reuse-pin" ||
  fail "the error suggests --reuse-pin"

# With a terminal (a pseudo-terminal that becomes the helper's /dev/tty), the helper asks for
# the key's PIN there, without echo, and signs. The terminal's output and the JSON are mixed.
python3 "$SOURCE_DIR/tests/pkcs11/answer-prompt.py" "PIN for key 'always-auth'" "$USER_PIN" \
  "$REAL_HELPER" credential-process --certificate "$KEY" "${SESSION[@]}" >"$WORK/tty-output" 2>&1
STATUS=$?
STDOUT=$(tr -d '\r' <"$WORK/tty-output")
STDERR=
if [ "$STATUS" -eq 0 ] && [[ "$STDOUT" == *"PIN for key 'always-auth' on PKCS#11 token"* ]] &&
  [[ "$STDOUT" == *'"AccessKeyId":"ASIA'* ]]; then
  pass "the key's PIN is asked on the terminal and the signature works"
else
  fail "the key's PIN is asked on the terminal and the signature works"
fi
expect_no_pin_leak "the typed PIN is not echoed" "$USER_PIN"

# The user PIN too is asked on the terminal when the URI has none.
python3 "$SOURCE_DIR/tests/pkcs11/answer-prompt.py" "PIN for PKCS#11 token" "$USER_PIN" \
  "$REAL_HELPER" credential-process --certificate "$TOKEN;object=p256" "${SESSION[@]}" \
  >"$WORK/tty-output" 2>&1
STATUS=$?
STDOUT=$(tr -d '\r' <"$WORK/tty-output")
if [ "$STATUS" -eq 0 ] && [[ "$STDOUT" == *'"AccessKeyId":"ASIA'* ]] && [[ "$STDOUT" != *"$USER_PIN"* ]]; then
  pass "the user PIN is asked on the terminal, without echo"
else
  fail "the user PIN is asked on the terminal, without echo"
fi

issued=$(emulator_stat sessions_issued)
[ "$issued" -eq 4 ] && pass "the emulator issued the 4 sessions above" ||
  fail "the emulator issued $issued sessions, expected 4"

finish
