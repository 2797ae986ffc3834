#!/usr/bin/env bash
# An encrypted key file (encrypted PKCS#8, a password-protected PKCS#12) without --pkcs8-password:
# with a terminal the helper asks for the password there, once and without echo; a wrong answer
# is named as such; plain keys never cause a prompt; and without a terminal the error stays
# "... is encrypted; give its password with --pkcs8-password".
source "$(dirname "$0")/lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
PASSWORD=test-password
ANSWER_PROMPT=$SOURCE_DIR/tests/pkcs11/answer-prompt.py

# run_on_terminal ANSWER HELPER_ARGS...: runs the helper on a new pseudo-terminal (its /dev/tty),
# types ANSWER at the password prompt, and keeps everything the terminal showed (the prompt, the
# messages and the output, mixed) in STDOUT.
run_on_terminal() {
  local answer=$1
  shift
  python3 "$ANSWER_PROMPT" "Password for " "$answer" "$HELPER" "$@" >"$WORK/tty-output" 2>&1
  STATUS=$?
  STDOUT=$(tr -d '\r' <"$WORK/tty-output")
  STDERR=
}

# prompts_in_output: how many times the password was asked for.
prompts_in_output() { grep -o "Password for " <<<"$STDOUT" | wc -l; }

check() {
  if eval "$2"; then pass "$1"; else fail "$1"; fi
}

# Encrypted PKCS#8, PEM and DER.
for key in rsa2048.key.enc-pbkdf2.pem p256.key.enc-pbkdf2.der; do
  kind=${key%%.*}
  run_on_terminal "$PASSWORD" credential-process --certificate "$PKI/$kind.fullchain.pem" \
    --private-key "$PKI/$key" "${SESSION[@]}"
  check "$key: asked on the terminal, the answer opens the key" \
    '[ "$STATUS" -eq 0 ] && [[ "$STDOUT" == *"Password for --private-key $PKI/$key: "* ]] &&
     [[ "$STDOUT" == *"\"AccessKeyId\":\"ASIA"* ]]'
  check "$key: asked once" '[ "$(prompts_in_output)" -eq 1 ]'
  check "$key: the typed password is not echoed" '[[ "$STDOUT" != *"$PASSWORD"* ]]'
done

# PKCS#12 as --certificate alone, and as both files (still one question).
run_on_terminal "$PASSWORD" credential-process --certificate "$PKI/p256.p12" "${SESSION[@]}"
check "PKCS#12: asked on the terminal, the answer opens it" \
  '[ "$STATUS" -eq 0 ] && [[ "$STDOUT" == *"Password for --certificate $PKI/p256.p12: "* ]] &&
   [[ "$STDOUT" == *"\"AccessKeyId\":\"ASIA"* ]] && [[ "$STDOUT" != *"$PASSWORD"* ]]'
run_on_terminal "$PASSWORD" credential-process --certificate "$PKI/rsa2048.p12" \
  --private-key "$PKI/rsa2048.p12" "${SESSION[@]}"
check "PKCS#12 as --certificate and --private-key: asked once" \
  '[ "$STATUS" -eq 0 ] && [ "$(prompts_in_output)" -eq 1 ]'

# sign-string asks the same way.
run_on_terminal "$PASSWORD" sign-string --private-key "$PKI/p256.key.enc-scrypt.pem" --format text
check "sign-string: asked on the terminal, then signs" \
  '[ "$STATUS" -eq 0 ] && [ "$(prompts_in_output)" -eq 1 ] && grep -Eq "^[0-9a-f]{100,}$" <<<"$STDOUT"'

# Wrong answers.
run_on_terminal wrong-secret credential-process --certificate "$PKI/p256.fullchain.pem" \
  --private-key "$PKI/p256.key.enc-pbkdf2.pem" "${SESSION[@]}"
check "encrypted PKCS#8, wrong answer: the wrong-password error" \
  '[ "$STATUS" -ne 0 ] && [[ "$STDOUT" == *"wrong password for --private-key $PKI/p256.key.enc-pbkdf2.pem"* ]] &&
   [[ "$STDOUT" != *"wrong-secret"* ]] && [[ "$STDOUT" != *"AccessKeyId"* ]]'
run_on_terminal wrong-secret credential-process --certificate "$PKI/rsa2048.p12" "${SESSION[@]}"
check "PKCS#12, wrong answer: the wrong-password error" \
  '[ "$STATUS" -ne 0 ] && [[ "$STDOUT" == *"wrong password for --certificate $PKI/rsa2048.p12"* ]] &&
   [[ "$STDOUT" != *"wrong-secret"* ]]'

LONG=$(printf 'x%.0s' $(seq 1500))
run_on_terminal "$LONG" credential-process --certificate "$PKI/p256.fullchain.pem" \
  --private-key "$PKI/p256.key.enc-pbkdf2.pem" "${SESSION[@]}"
check "an answer longer than 1024 characters is refused, not truncated" \
  '[ "$STATUS" -ne 0 ] && [[ "$STDOUT" == *"what was entered is longer than 1024 characters"* ]] &&
   [[ "$STDOUT" != *"xxxxxxxxxx"* ]] && [[ "$STDOUT" != *"AccessKeyId"* ]]'

# Keys that need no password never prompt, even with a terminal.
for key in p256.key.pem rsa2048.key.traditional.der; do
  kind=${key%%.*}
  run_on_terminal "$PASSWORD" credential-process --certificate "$PKI/$kind.fullchain.pem" \
    --private-key "$PKI/$key" "${SESSION[@]}"
  check "$key: no prompt" '[ "$STATUS" -eq 0 ] && [ "$(prompts_in_output)" -eq 0 ]'
done
run_on_terminal "$PASSWORD" credential-process --certificate "$PKI/p256.nopass.p12" "${SESSION[@]}"
check "PKCS#12 without a password: no prompt" \
  '[ "$STATUS" -eq 0 ] && [ "$(prompts_in_output)" -eq 0 ]'
# --pkcs8-password given: no prompt.
run_on_terminal "$PASSWORD" credential-process --certificate "$PKI/p256.p12" \
  --pkcs8-password "$PASSWORD" "${SESSION[@]}"
check "--pkcs8-password given: no prompt" '[ "$STATUS" -eq 0 ] && [ "$(prompts_in_output)" -eq 0 ]'

# Without a terminal (a new session has no controlling terminal): today's error.
without_terminal
expect_error "no terminal, encrypted PKCS#8: the is-encrypted error" \
  "--private-key $PKI/p256.key.enc-pbkdf2.pem is encrypted; give its password with --pkcs8-password" \
  credential-process --certificate "$PKI/p256.fullchain.pem" \
  --private-key "$PKI/p256.key.enc-pbkdf2.pem" "${SESSION[@]}"
expect_error "no terminal, PKCS#12: the is-encrypted error" \
  "--certificate $PKI/p256.p12 is encrypted; give its password with --pkcs8-password" \
  credential-process --certificate "$PKI/p256.p12" "${SESSION[@]}"

finish
