#!/usr/bin/env bash
# sign-string and read-certificate-data with pkcs11: URIs. RSA PKCS#1 v1.5 signatures are
# deterministic, so the token's signature must equal the one made with the same key from its
# file; EC signatures are checked with openssl against the certificate's public key.
source "$(dirname "$0")/lib.sh"
source "$SOURCE_DIR/tests/pkcs11/token.sh"
PIN="pin-value=$USER_PIN"

for digest in SHA256 SHA384 SHA512; do
  run_helper sign-string --private-key "$PKI/rsa2048.key.pem" --digest "$digest" --format text
  from_file=$STDOUT
  run_helper sign-string --private-key "$TOKEN;object=rsa2048?$PIN" --digest "$digest" --format text
  [ "$STATUS" -eq 0 ] && [ -n "$STDOUT" ] && [ "$STDOUT" = "$from_file" ] &&
    pass "sign-string rsa2048 $digest: the token signs exactly as the key file does" ||
    fail "sign-string rsa2048 $digest: the token signs exactly as the key file does"
done

# The fixed string: prefix || "1" || SHA256("IAM RA" || uncompressed EC point).
for kind in p256 p384; do
  point_length=$([ "$kind" = p256 ] && echo 65 || echo 97)
  openssl x509 -in "$PKI/$kind.crt.pem" -pubkey -noout >"$WORK/$kind.pub.pem"
  { printf 'AWS Roles Anywhere Credential Helper Signing Test1'
    { printf 'IAM RA'; openssl pkey -pubin -in "$WORK/$kind.pub.pem" -outform DER | tail -c "$point_length"; } |
      openssl dgst -sha256 -binary; } >"$WORK/fixed.bin"
  # p384's key hides its public half on this token: the certificate file supplies it.
  extra=()
  [ "$kind" = p384 ] && extra=(--certificate "$PKI/p384.crt.pem")
  run_helper sign-string --private-key "$TOKEN;object=$kind;type=private?$PIN" "${extra[@]}" \
    --digest SHA384 --format bin
  cp "$WORK/stdout" "$WORK/sig.bin"
  [ "$STATUS" -eq 0 ] && openssl dgst -sha384 -verify "$WORK/$kind.pub.pem" \
    -signature "$WORK/sig.bin" "$WORK/fixed.bin" >/dev/null &&
    pass "sign-string $kind from the token verifies with openssl" ||
    fail "sign-string $kind from the token verifies with openssl"
done
expect_error "sign-string: an EC key whose public half is hidden, without its certificate" \
  "give the key's certificate with --certificate" \
  sign-string --private-key "$TOKEN;object=p384;type=private?$PIN"
run_helper sign-string --certificate "$TOKEN;object=rsa4096-cert;type=cert?$PIN" --pkcs11-lib "$SOFTHSM_MODULE"
[ "$STATUS" -eq 0 ] && [[ "$STDOUT" =~ ^\"[0-9a-f]{1024}\"$ ]] &&
  pass "sign-string with a certificate URI signs with that certificate's key" ||
  fail "sign-string with a certificate URI signs with that certificate's key"

# read-certificate-data: each match with subject, issuer, serial, validity and its own URI.
run_helper read-certificate-data --certificate "$TOKEN;object=p256"
serial=$(openssl x509 -in "$PKI/p256.crt.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
fingerprint=$(openssl x509 -in "$PKI/p256.crt.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')
listed_uri=$(sed -n 's/^\tURI: //p' "$WORK/stdout")
if [ "$STATUS" -eq 0 ] && [ "$(head -1 "$WORK/stdout")" = "Matching identities" ] &&
  grep -q "^1) $fingerprint \"O=rolesanywhere-helper tests,CN=workload-p256\"$" "$WORK/stdout" &&
  grep -q "^	Issuer: O=rolesanywhere-helper tests,CN=Test Intermediate CA$" "$WORK/stdout" &&
  grep -q "^	Serial: [0-9]* (hex ${serial#0})$" "$WORK/stdout" &&
  grep -Eq "^	Valid: [0-9T:-]+Z to [0-9T:-]+Z$" "$WORK/stdout" &&
  [[ "$listed_uri" == "pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=$TOKEN_SERIAL;token=$TOKEN_LABEL;id=%02;object=p256;type=cert" ]]; then
  pass "read-certificate-data lists the certificate with subject, issuer, serial, validity and URI"
else
  fail "read-certificate-data lists the certificate with subject, issuer, serial, validity and URI"
fi
run_helper read-certificate-data --certificate "$TOKEN;type=cert" --pkcs11-lib "$SOFTHSM_MODULE"
count=$(grep -c '^	URI: ' "$WORK/stdout")
[ "$STATUS" -eq 0 ] && [ "$count" -eq 8 ] &&
  pass "read-certificate-data lists all 8 certificates on the token" ||
  fail "read-certificate-data lists all 8 certificates on the token (listed $count)"

# The listed URI is the exact one to use: the same certificate, from every subcommand.
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
expect_credentials "credential-process with the URI read-certificate-data printed" \
  --certificate "$listed_uri?$PIN" "${SESSION[@]}"
run_helper read-certificate-data --certificate "$listed_uri"
[ "$STATUS" -eq 0 ] && [ "$(grep -c '^	URI: ' "$WORK/stdout")" -eq 1 ] &&
  pass "the listed URI matches exactly one certificate" || fail "the listed URI matches exactly one certificate"

run_helper read-certificate-data --certificate "$TOKEN;object=nothere"
[ "$STATUS" -eq 0 ] && [ "$STDOUT" = "No matching identities" ] &&
  pass "read-certificate-data says when nothing matches" || fail "read-certificate-data says when nothing matches"
expect_error "read-certificate-data with a token that is not there" "no PKCS#11 token matches" \
  read-certificate-data --certificate "pkcs11:token=no-such-token"

finish
