#!/usr/bin/env bash
# make-softhsm-token.sh OUTDIR PKI_DIR: builds a private SoftHSM2 token for the PKCS#11 tests.
#
# Writes OUTDIR/softhsm2.conf (point SOFTHSM2_CONF at it) and OUTDIR/tokens/, then initialises
# one token and imports keys and certificates from the test PKI (testdata/make-test-pki.sh) with
# pkcs11-tool. Nothing outside OUTDIR is touched: SoftHSM2 reads only the token directory named
# in SOFTHSM2_CONF, and p11-kit-proxy reaches it through Debian's system-wide softhsm2 module.
#
# Token "rolesanywhere-test" (user PIN ra-Pin-7Qx, SO PIN 12345678) holds:
#   id 01 "rsa2048"      RSA 2048 key and its certificate (same id and label)
#   id 02 "p256"         EC P-256 key and certificate (same id and label)
#   id 03 / 04 "p384"    EC P-384 certificate (id 03) and key (id 04): found by label
#   id 05 / 06           RSA 4096 certificate "rsa4096-cert" and key "rsa4096-key": found by
#                        public key only
#   id 07 "always-auth"  RSA 3072 key with CKA_ALWAYS_AUTHENTICATE and its certificate
#   id 10 "intermediate-ca", id 11 "root-ca", id 12 "other-ca": CA certificates; only the
#                        intermediate issues the leaves, so only it may travel as the chain
#   id 20 and 21 "dup"   two keys (P-256 and RSA 2048 again) with the same label: ambiguous
# OUTDIR/token.env holds TOKEN_LABEL, TOKEN_SERIAL, USER_PIN for the tests to source.
set -euo pipefail

OUT=${1:?usage: make-softhsm-token.sh OUTDIR PKI_DIR}
PKI=${2:?usage: make-softhsm-token.sh OUTDIR PKI_DIR}
MODULE=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
TOKEN_LABEL=rolesanywhere-test
USER_PIN=ra-Pin-7Qx
SO_PIN=12345678

command -v pkcs11-tool >/dev/null || { echo "pkcs11-tool (opensc) is not installed" >&2; exit 1; }
[ -e "$MODULE" ] || { echo "SoftHSM2 module $MODULE is not installed" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT/tokens" "$OUT/der"
cat >"$OUT/softhsm2.conf" <<EOF
directories.tokendir = $OUT/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export SOFTHSM2_CONF=$OUT/softhsm2.conf

p11() { pkcs11-tool --module "$MODULE" --token-label "$TOKEN_LABEL" --login --pin "$USER_PIN" "$@" >/dev/null; }

pkcs11-tool --module "$MODULE" --init-token --slot-index 0 --label "$TOKEN_LABEL" \
  --so-pin "$SO_PIN" >/dev/null
pkcs11-tool --module "$MODULE" --token-label "$TOKEN_LABEL" --login --login-type so \
  --so-pin "$SO_PIN" --init-pin --pin "$USER_PIN" >/dev/null

# import_key PEM ID LABEL [extra pkcs11-tool flags]
import_key() {
  local der=$OUT/der/key-$2.der
  openssl pkey -in "$1" -outform DER -out "$der"
  p11 --write-object "$der" --type privkey --id "$2" --label "$3" --usage-sign "${@:4}"
}
# import_cert PEM ID LABEL
import_cert() {
  local der=$OUT/der/cert-$2.der
  openssl x509 -in "$1" -outform DER -out "$der"
  p11 --write-object "$der" --type cert --id "$2" --label "$3"
}

import_key "$PKI/rsa2048.key.pem" 01 rsa2048
import_cert "$PKI/rsa2048.crt.pem" 01 rsa2048
import_key "$PKI/p256.key.pem" 02 p256
import_cert "$PKI/p256.crt.pem" 02 p256
import_cert "$PKI/p384.crt.pem" 03 p384
import_key "$PKI/p384.key.pem" 04 p384
import_cert "$PKI/rsa4096.crt.pem" 05 rsa4096-cert
import_key "$PKI/rsa4096.key.pem" 06 rsa4096-key
import_key "$PKI/rsa3072.key.pem" 07 always-auth --always-auth
import_cert "$PKI/rsa3072.crt.pem" 07 always-auth
import_cert "$PKI/intermediate-ca.pem" 10 intermediate-ca
import_cert "$PKI/root-ca.pem" 11 root-ca
import_cert "$PKI/other-ca.pem" 12 other-ca
import_key "$PKI/p256.key.pem" 20 dup
import_key "$PKI/rsa2048.key.pem" 21 dup

TOKEN_SERIAL=$(pkcs11-tool --module "$MODULE" --list-token-slots 2>/dev/null |
  awk -v label="$TOKEN_LABEL" '/token label/ { found = ($0 ~ label) } found && /serial num/ { print $NF; exit }')
[ -n "$TOKEN_SERIAL" ] || { echo "could not read the token's serial number" >&2; exit 1; }

cat >"$OUT/token.env" <<EOF
TOKEN_LABEL=$TOKEN_LABEL
TOKEN_SERIAL=$TOKEN_SERIAL
USER_PIN=$USER_PIN
EOF
