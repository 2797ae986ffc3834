#!/usr/bin/env bash
# credential-process with keys and certificates on a SoftHSM2 token, against the verifying
# emulator: token only and hybrid (certificate file + token key), through p11-kit-proxy and
# through --pkcs11-lib, PINs from the URI and from pin-source, and how the key of a certificate
# is found (same id, same label, same public key).
source "$(dirname "$0")/lib.sh"
source "$SOURCE_DIR/tests/pkcs11/token.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
PIN="pin-value=$USER_PIN"
SOURCE="pin-source=file:$PIN_FILE"

for object in rsa2048 p256; do
  expect_credentials "token only through p11-kit-proxy: $object (key found by the certificate's id)" \
    --certificate "$TOKEN;object=$object;type=cert?$PIN" "${SESSION[@]}"
  expect_credentials "token only through --pkcs11-lib: $object with pin-source" \
    --certificate "$TOKEN;object=$object?$SOURCE" --pkcs11-lib "$SOFTHSM_MODULE" "${SESSION[@]}"
  expect_credentials "hybrid through p11-kit-proxy: $object certificate file and token key" \
    --certificate "$PKI/$object.crt.pem" --private-key "$TOKEN;object=$object;type=private?$PIN" \
    --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"
  expect_credentials "hybrid through --pkcs11-lib: $object with the chain in the certificate file" \
    --certificate "$PKI/$object.fullchain.pem" --private-key "$TOKEN;object=$object?$SOURCE" \
    --pkcs11-lib "$SOFTHSM_MODULE" "${SESSION[@]}"
done

expect_credentials "p384: key found by the certificate's label (ids differ)" \
  --certificate "$TOKEN;object=p384;type=cert?$PIN" "${SESSION[@]}"
expect_credentials "rsa4096: key found by the certificate's public key (ids and labels differ)" \
  --certificate "$TOKEN;object=rsa4096-cert?$PIN" "${SESSION[@]}"
expect_credentials "hybrid: a --private-key URI naming only the certificate finds its key" \
  --certificate "$PKI/rsa4096.crt.pem" --private-key "$TOKEN;object=rsa4096-cert;type=cert?$PIN" \
  --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"
expect_credentials "hybrid: EC key whose public half the token hides is checked by a signature" \
  --certificate "$PKI/p384.fullchain.pem" --private-key "$TOKEN;id=%04?$PIN" "${SESSION[@]}"
expect_credentials "token selected by serial, objects by id" \
  --certificate "pkcs11:serial=$TOKEN_SERIAL;id=%02;type=cert?$PIN" "${SESSION[@]}"
expect_credentials "module-path in the URI" \
  --certificate "$TOKEN;object=p256;type=cert?$PIN&module-path=$SOFTHSM_MODULE" "${SESSION[@]}"
expect_credentials "module-name in the URI (p11-kit's name for SoftHSM2)" \
  --certificate "$TOKEN;object=p256;type=cert?$PIN&module-name=softhsm2" "${SESSION[@]}"
SLOT_ID=$(($(pkcs11-tool --module "$SOFTHSM_MODULE" --list-token-slots 2>/dev/null |
  sed -n 's/^Slot [0-9]* (\(0x[0-9a-f]*\)).*/\1/p' | head -1)))
expect_credentials "slot-id with --pkcs11-lib (slot $SLOT_ID)" \
  --certificate "pkcs11:slot-id=$SLOT_ID;object=rsa2048;type=cert?$PIN" \
  --pkcs11-lib "$SOFTHSM_MODULE" "${SESSION[@]}"
expect_credentials "a URI copied from read-certificate-data works as is" \
  --certificate "pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=$TOKEN_SERIAL;token=$TOKEN_LABEL;id=%01;object=rsa2048;type=cert?$PIN" \
  "${SESSION[@]}"

# The chain comes from the token, and only from certificates that issue the leaf: the token
# also holds the root, an unrelated CA and other leaves, none of which may travel.
run_helper credential-process --certificate "$TOKEN;object=p256;type=cert?$PIN" --debug "${SESSION[@]}"
if [ "$STATUS" -eq 0 ] && [[ "$STDERR" == *"chain: 1 certificate(s)"* ]] &&
  [[ "$STDERR" == *"intermediate: subject \"O=rolesanywhere-helper tests,CN=Test Intermediate CA\""* ]] &&
  [[ "$STDERR" != *"Test Root CA\", issuer"* ]] && [[ "$STDERR" != *"Other"* ]]; then
  pass "the chain is exactly the intermediate that issued the leaf"
else
  fail "the chain is exactly the intermediate that issued the leaf"
fi
expect_no_pin_leak "--debug never shows the PIN" "$USER_PIN"

# Every credential-process success above (all but the check of the PIN) was a session the
# emulator verified and issued.
issued=$(emulator_stat sessions_issued)
[ "$issued" -eq "$((PASSED - 1))" ] && pass "the emulator verified and issued exactly those $issued sessions" ||
  fail "the emulator issued $issued sessions for $((PASSED - 1)) successes"

finish
