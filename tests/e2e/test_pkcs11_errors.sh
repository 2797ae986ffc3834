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
expect_error "a PIN file that does not exist" "cannot read the PIN file $WORK/absent" \
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

issued=$(emulator_stat sessions_issued)
[ "$issued" -eq 0 ] && pass "no failure reached CreateSession" || fail "$issued sessions were issued"

finish
