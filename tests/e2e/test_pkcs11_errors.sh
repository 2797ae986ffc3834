#!/usr/bin/env bash
# Every way a PKCS#11 set-up goes wrong gives a clear error naming the flag and what to do, and
# the PIN is never shown. A wrong PIN is tried exactly once: each failure counts towards locking
# the token.
source "$(dirname "$0")/lib.sh"
source "$SOURCE_DIR/tests/pkcs11/token.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
PIN="pin-value=$USER_PIN"
WRONG_PIN=wrong-Pin-4Zt

# A wrong PIN: one C_Login, then a clear error; the PIN never appears.
with_spy "$WORK/spy-wrong-pin.log"
expect_error "wrong PIN from the URI" "wrong PIN for PKCS#11 token '$TOKEN_LABEL'" \
  credential-process --certificate "$TOKEN;object=p256?pin-value=$WRONG_PIN" --pkcs11-lib "$SPY" \
  "${SESSION[@]}"
expect_no_pin_leak "the wrong PIN is not shown" "$WRONG_PIN"
logins=$(spy_count "$WORK/spy-wrong-pin.log" C_Login)
[ "$logins" = 1 ] && pass "a wrong PIN is tried once, never retried ($logins C_Login)" ||
  fail "a wrong PIN is tried once, never retried ($logins C_Login)"
printf '%s\n' "$WRONG_PIN" >"$WORK/wrong-pin"
expect_error "wrong PIN from pin-source" "the PIN from --private-key was refused" \
  credential-process --certificate "$PKI/p256.crt.pem" \
  --private-key "$TOKEN;object=p256?pin-source=file:$WORK/wrong-pin" "${SESSION[@]}"
expect_error "a PIN file that does not exist" "the PIN file $WORK/absent does not exist" \
  credential-process --certificate "$TOKEN;object=p256?pin-source=file:$WORK/absent" "${SESSION[@]}"

# No PIN anywhere and no terminal to ask on.
expect_error "no PIN and no terminal" "there is no terminal to ask for it" \
  credential-process --certificate "$TOKEN;object=p256" "${SESSION[@]}"
[[ "$STDERR" == *"pin-source=file:"* ]] && pass "the no-terminal error says how to give the PIN" ||
  fail "the no-terminal error says how to give the PIN"

# Objects that are not there, or are there several times.
expect_error "missing certificate" "no certificate matches --certificate $TOKEN;object=nothere" \
  credential-process --certificate "$TOKEN;object=nothere?$PIN" "${SESSION[@]}"
expect_error "missing key (hybrid)" "no private key on PKCS#11 token '$TOKEN_LABEL'" \
  credential-process --certificate "$PKI/p256.crt.pem" --private-key "$TOKEN;object=nothere?$PIN" \
  "${SESSION[@]}"
expect_error "a URI matching several certificates lists them" "certificates match --certificate $TOKEN?" \
  credential-process --certificate "$TOKEN?$PIN" "${SESSION[@]}"
[[ "$STDERR" == *";id=%02;object=p256;type=cert"* && "$STDERR" == *";object=rsa2048;type=cert"* ]] &&
  pass "the certificate ambiguity lists a URI for each match" ||
  fail "the certificate ambiguity lists a URI for each match"
expect_error "a URI matching two keys lists them" "2 private keys match --private-key $TOKEN;object=dup" \
  credential-process --certificate "$PKI/p256.crt.pem" --private-key "$TOKEN;object=dup?$PIN" \
  "${SESSION[@]}"
[[ "$STDERR" == *"id=%20;object=dup;type=private"* && "$STDERR" == *"id=%21;object=dup;type=private"* ]] &&
  pass "the key ambiguity lists a URI for each key" || fail "the key ambiguity lists a URI for each key"

# The key must belong to the certificate.
expect_error "key and certificate do not match (RSA key, EC certificate)" "does not match the certificate" \
  credential-process --certificate "$PKI/p256.crt.pem" --private-key "$TOKEN;object=rsa2048?$PIN" \
  "${SESSION[@]}"
expect_error "mismatch found by a test signature when the token hides the public key" \
  "does not match the certificate" \
  credential-process --certificate "$PKI/p384.crt.pem" --private-key "$TOKEN;id=%20?$PIN" "${SESSION[@]}"

# Tokens, modules and URIs that are wrong.
expect_error "no token matches" "no PKCS#11 token matches --certificate pkcs11:token=no-such-token" \
  credential-process --certificate "pkcs11:token=no-such-token?$PIN" "${SESSION[@]}"
expect_error "a module that does not exist" "cannot load the PKCS#11 module /nonexistent/module.so" \
  credential-process --certificate "$TOKEN;object=p256?$PIN" --pkcs11-lib /nonexistent/module.so \
  "${SESSION[@]}"
expect_error "a module name p11-kit does not know" "no module named 'no-such-module'" \
  credential-process --certificate "$TOKEN;object=p256?$PIN&module-name=no-such-module" "${SESSION[@]}"
expect_error "an attribute RFC 7512 does not define" "'colour' is not an attribute this tool knows" \
  credential-process --certificate "$TOKEN;colour=blue?$PIN" "${SESSION[@]}"
expect_error "type=certificate is named, with the type that selects a certificate" \
  "type=certificate is not a PKCS#11 object type; use type=cert for a certificate" \
  credential-process --certificate "$TOKEN;object=p256;type=certificate?$PIN" "${SESSION[@]}"
expect_error "pin-value and pin-source together" "give pin-value or pin-source, not both" \
  credential-process --certificate "$TOKEN;object=p256?$PIN&pin-source=file:$PIN_FILE" "${SESSION[@]}"
expect_error "a token certificate with a key file" "the key must be on a token too" \
  credential-process --certificate "$TOKEN;object=p256?$PIN" --private-key "$PKI/p256.key.pem" \
  "${SESSION[@]}"
TPM2OPENSSL_TCTI=device:$WORK/no-tpm expect_error "a TPM handle goes to the TPM, not to PKCS#11" \
  "TPM" credential-process --certificate "$PKI/p256.crt.pem" --private-key handle:0x81000001 \
  "${SESSION[@]}"
expect_no_pin_leak "no message above showed the PIN" "$USER_PIN"

# p11-kit removes spaces and line breaks from a URI before reading it, so a pin-value spelt with
# them still sets the PIN; messages hide it all the same. An empty SoftHSM2 (no token at all)
# gives the message the review found.
mkdir -p "$WORK/no-tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\n' "$WORK/no-tokens" \
  >"$WORK/no-tokens.conf"
SOFTHSM2_CONF=$WORK/no-tokens.conf expect_error "no token: a pin-value spelt with a space is hidden" \
  "no PKCS#11 token matches --certificate pkcs11:object=x;pin-va lue=<hidden>" \
  credential-process --certificate "pkcs11:object=x;pin-va lue=SECRET-4Zt" \
  --pkcs11-lib "$SOFTHSM_MODULE" "${SESSION[@]}"
expect_no_pin_leak "the PIN spelt with a space is not shown" "SECRET-4Zt"
expect_error "a pin-value with a line break in its name and its value is hidden" \
  "no PKCS#11 token matches --certificate pkcs11:token=no-such-token;pin-va"$'\n'"lue=<hidden>" \
  credential-process --certificate "pkcs11:token=no-such-token;pin-va"$'\n'"lue=SECRET"$'\n'"-4Zt" \
  "${SESSION[@]}"
expect_no_pin_leak "no piece of that PIN is shown" "4Zt"
expect_error "a percent-encoded pin-value name is refused without showing its value" \
  "'pin%2Dvalue' is not an attribute this tool knows" \
  credential-process --certificate "$TOKEN;object=p256;pin%2Dvalue=SECRET-4Zt" "${SESSION[@]}"
expect_no_pin_leak "the value meant as a PIN is not shown" "SECRET-4Zt"
expect_error "a URI given without its flag is named with its PIN hidden" \
  "unexpected argument 'pkcs11:object=x;pin-va lue=<hidden>'" \
  credential-process "pkcs11:object=x;pin-va lue=SECRET-4Zt" "${SESSION[@]}"
expect_no_pin_leak "the stray URI's PIN is not shown" "SECRET-4Zt"

issued=$(emulator_stat sessions_issued)
[ "$issued" -eq 0 ] && pass "no failure reached CreateSession" || fail "$issued sessions were issued"

# While the helper runs, ps and /proc/PID/cmdline show its arguments: a PIN spelt the way p11-kit
# still reads it is blanked there too. The PIN is right (the token logs in and CreateSession is
# sent); the emulator then holds the answer so the process can be looked at while it waits.
start_emulator holding
HOLDING_EMULATOR_PID=${EMULATOR_PIDS[-1]}
read -ra HOLDING_SESSION <<<"$(session_flags)"
set_faults '{"delay_ms":600000}'
"$REAL_HELPER" credential-process --certificate "$TOKEN;object=p256?pin-va lue=$USER_PIN" \
  "--private-key=$TOKEN;object=p256;pin-value =${USER_PIN:0:3} ${USER_PIN:3}" \
  "${HOLDING_SESSION[@]}" </dev/null >"$WORK/held.out" 2>"$WORK/held.err" &
HELD_PID=$!
EMULATOR_PIDS+=("$HELD_PID")
requests_reached() { [ "$(emulator_stat requests)" -ge 1 ]; }
if wait_until 20 requests_reached; then
  pass "the token took the PINs spelt with spaces (CreateSession was sent)"
  tr '\0' ' ' <"/proc/$HELD_PID/cmdline" >"$WORK/held.cmdline"
  STDOUT=$(cat "$WORK/held.cmdline") STDERR=""
  expect_no_pin_leak "/proc/PID/cmdline does not keep the PIN" "$USER_PIN"
  expect_no_pin_leak "/proc/PID/cmdline does not keep the second half of the split PIN" \
    "${USER_PIN:3}"
  [[ "$STDOUT" == *"--certificate $TOKEN;object=p256?pin-va lue=*"* &&
    "$STDOUT" == *"--private-key=$TOKEN;object=p256;pin-value =*"* ]] &&
    pass "the rest of the arguments is left as it was" ||
    fail "the rest of the arguments is left as it was"
else
  STDERR=$(cat "$WORK/held.err")
  fail "the token took the PINs spelt with spaces (CreateSession was sent)"
fi
kill "$HELD_PID" 2>/dev/null
wait "$HELD_PID" 2>/dev/null
# Its handler sleeps out the held answer before it would stop: it has nothing more to show.
kill -KILL "$HOLDING_EMULATOR_PID" 2>/dev/null
STDOUT=$(cat "$WORK/held.out") STDERR=$(cat "$WORK/held.err")
expect_no_pin_leak "nor its output" "$USER_PIN"

finish
