#!/usr/bin/env bash
# Produces the SigV4-X509 golden vectors in this folder WITHOUT using our C++ code, so that the
# unit tests (tests/unit/test_sigv4x509_golden.cpp) compare our signer against an independent
# derivation:
#   - the canonical requests are written out literally below, following the AWS document
#     "The IAM Roles Anywhere authentication signing process" (SigV4 canonicalisation);
#   - the strings to sign hash them with `openssl dgst -sha256`;
#   - the RSA signature is made with `openssl dgst -sha256 -sign` (PKCS#1 v1.5 is deterministic,
#     so the whole Authorization header is pinned); ECDSA is randomised, so only its canonical
#     request and string to sign are pinned and the test verifies the signature it makes.
#
# Usage: make-golden.sh            recompute the vectors from the committed keys/certificates
#        make-golden.sh --new-keys also generate new keys and certificates first (then every
#                                  vector changes; commit them all together)
#
# THE KEYS HERE ARE TEST-ONLY. They are committed on purpose so the vectors are reproducible;
# they protect nothing and must never be trusted anywhere.
#
# The request inputs below (time, region, serials, path, query, headers, body) are repeated in
# the unit test; if one side changes, the test fails rather than silently passing.
set -euo pipefail
cd "$(dirname "$0")"

AMZ_DATE=20240517T093015Z   # 2024-05-17T09:30:15Z
SCOPE_DATE=20240517
REGION=eu-central-1
HOST=rolesanywhere.eu-central-1.amazonaws.com
RSA_SERIAL_HEX=1B3C5D7E9F0A2B4C6D8E0F1A2B3C4D5E
EC_SERIAL_HEX=7F000001
# As the official helper sends them: ARNs escaped, parameters in name order.
QUERY='profileArn=arn%3Aaws%3Arolesanywhere%3Aeu-central-1%3A123456789012%3Aprofile%2F0c3f4b59-2a77-4a4e-9c6e-0f6d1b3e8a21&roleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fgolden-test-role&trustAnchorArn=arn%3Aaws%3Arolesanywhere%3Aeu-central-1%3A123456789012%3Atrust-anchor%2F7d2e9a10-5b3c-4f8e-a1d4-6c9b2e7f3a05'
BODY='{"durationSeconds":3600}'
TEST_ONLY_BANNER='TEST KEY ONLY - committed on purpose for golden vectors - NEVER TRUST OR REUSE'

make_keys() {
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  # A throwaway CA (its key is not kept) so that the RSA vector carries a realistic chain.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$tmp/ca.key" -subj "/CN=golden test CA (test only)" -days 36500 \
    -set_serial 0x01 -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -out test-only-ca.crt.pem
  for kind in rsa2048 p256; do
    if [ "$kind" = rsa2048 ]; then
      openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/$kind.key" 2>/dev/null
      serial=$RSA_SERIAL_HEX
    else
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/$kind.key" 2>/dev/null
      serial=$EC_SERIAL_HEX
    fi
    { echo "$TEST_ONLY_BANNER"; cat "$tmp/$kind.key"; } > "test-only-$kind.key.pem"
    openssl pkey -in "$tmp/$kind.key" -pubout -out "test-only-$kind.pub.pem"
    openssl req -new -key "$tmp/$kind.key" -subj "/CN=golden-$kind (test only)" -out "$tmp/$kind.csr"
    openssl x509 -req -in "$tmp/$kind.csr" -CA test-only-ca.crt.pem -CAkey "$tmp/ca.key" \
      -set_serial "0x$serial" -days 36500 -extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n') \
      -out "test-only-$kind.crt.pem" 2>/dev/null
  done
}

der_b64() { openssl x509 -in "$1" -outform DER | base64 -w0; }
hex_to_decimal() { python3 -c "print(int('$1', 16))"; }

# canonical_request CERT_B64 CHAIN_B64(or empty)
canonical_request() {
  local signed="content-type;host;x-amz-date;x-amz-x509"
  printf 'POST\n/sessions\n%s\n' "$QUERY"
  printf 'content-type:application/json\n'
  printf 'host:%s\n' "$HOST"
  printf 'x-amz-date:%s\n' "$AMZ_DATE"
  printf 'x-amz-x509:%s\n' "$1"
  if [ -n "$2" ]; then
    printf 'x-amz-x509-chain:%s\n' "$2"
    signed="$signed;x-amz-x509-chain"
  fi
  printf '\n%s\n' "$signed"
  printf '%s' "$BODY" | openssl dgst -sha256 -r | cut -d' ' -f1 | tr -d '\n'
}

string_to_sign() {  # ALGORITHM CANONICAL_FILE
  printf '%s\n%s\n%s\n' "$1" "$AMZ_DATE" "$SCOPE_DATE/$REGION/rolesanywhere/aws4_request"
  openssl dgst -sha256 -r "$2" | cut -d' ' -f1 | tr -d '\n'
}

[ "${1:-}" = --new-keys ] && make_keys

der_b64 test-only-rsa2048.crt.pem > rsa2048.crt.b64
der_b64 test-only-p256.crt.pem > p256.crt.b64
der_b64 test-only-ca.crt.pem > chain.b64
hex_to_decimal "$RSA_SERIAL_HEX" | tr -d '\n' > rsa2048.serial
hex_to_decimal "$EC_SERIAL_HEX" | tr -d '\n' > p256.serial
# The serials must be the certificates' own.
for kind in rsa2048 p256; do
  cert_serial=$(openssl x509 -in "test-only-$kind.crt.pem" -noout -serial | cut -d= -f2)
  [ "$(hex_to_decimal "$cert_serial")" = "$(cat $kind.serial)" ] || { echo "serial mismatch: $kind" >&2; exit 1; }
done

# RSA: with a chain. Everything pinned, signature included.
canonical_request "$(cat rsa2048.crt.b64)" "$(cat chain.b64)" > rsa2048.canonical-request.txt
string_to_sign AWS4-X509-RSA-SHA256 rsa2048.canonical-request.txt > rsa2048.string-to-sign.txt
signature=$(openssl dgst -sha256 -sign test-only-rsa2048.key.pem rsa2048.string-to-sign.txt | xxd -p | tr -d '\n')
printf 'AWS4-X509-RSA-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' \
  "$(cat rsa2048.serial)" "$SCOPE_DATE/$REGION/rolesanywhere/aws4_request" \
  "content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain" "$signature" > rsa2048.authorization.txt

# ECDSA: without a chain (so no X-Amz-X509-Chain header). The signature is random: only the
# part of the Authorization header before it is pinned.
canonical_request "$(cat p256.crt.b64)" "" > p256.canonical-request.txt
string_to_sign AWS4-X509-ECDSA-SHA256 p256.canonical-request.txt > p256.string-to-sign.txt
printf 'AWS4-X509-ECDSA-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=' \
  "$(cat p256.serial)" "$SCOPE_DATE/$REGION/rolesanywhere/aws4_request" \
  "content-type;host;x-amz-date;x-amz-x509" > p256.authorization-prefix.txt
# Self-check of the vectors: the ECDSA string to sign must be signable and verifiable by openssl.
openssl dgst -sha256 -sign test-only-p256.key.pem -out /dev/stdout p256.string-to-sign.txt |
  openssl dgst -sha256 -verify test-only-p256.pub.pem -signature /dev/stdin p256.string-to-sign.txt >/dev/null
echo "golden vectors written to $(pwd)"
