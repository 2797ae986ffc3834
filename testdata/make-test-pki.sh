#!/usr/bin/env bash
# Generates a throwaway test PKI: a root CA, an intermediate, an untrusted CA, and leaf
# certificates with keys of every type and in every file format the helper reads, plus the
# broken ones the failure tests need. Every run makes new keys; nothing here is a real secret.
#
#   testdata/make-test-pki.sh OUTDIR
#   testdata/make-test-pki.sh --short-lived OUTDIR FILE SECONDS
#       one more leaf from an existing OUTDIR, written to FILE (a path; relative to OUTDIR): for
#       rsa2048.key.pem, CN "short-lived", issued by the intermediate, valid from an hour ago
#       until SECONDS from now (expiry tests)
#
# Password for every encrypted file: "test-password".
set -euo pipefail

short_lived=
if [ "${1:-}" = --short-lived ]; then
  short_lived=${3:?usage: make-test-pki.sh --short-lived OUTDIR FILE SECONDS}
  lifetime=${4:?usage: make-test-pki.sh --short-lived OUTDIR FILE SECONDS}
  shift
fi
out=${1:?usage: make-test-pki.sh OUTDIR}
mkdir -p "$out"
cd "$out"
password=test-password
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

new_key() { # new_key KIND FILE: an unencrypted PKCS#8 PEM key
  case $1 in
    rsa*) openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:${1#rsa}" -out "$2" ;;
    p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
    p384) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
    p521) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$2" ;;
    ed25519) openssl genpkey -quiet -algorithm ED25519 -out "$2" ;;
    *) echo "unknown key kind $1" >&2; return 1 ;;
  esac
}

# A minimal `openssl ca` set-up, because only `ca` can set arbitrary validity dates (OpenSSL 3.0's
# x509 -req cannot), which the expired / not-yet-valid fixtures need.
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
[root_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[intermediate_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_leaf_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
: > "$work/index.txt"

# issue SUBJECT_CN KEY ISSUER_CERT ISSUER_KEY EXTENSION OUT [START END]
# Without START/END the certificate is valid from an hour ago for 30 days. Self-signed when
# ISSUER_CERT is "self". Serials are random 128-bit numbers, as real CAs use.
issue() {
  local cn=$1 key=$2 issuer_cert=$3 issuer_key=$4 ext=$5 cert_out=$6
  local start=${7:-$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)} end=${8:-$(date -u -d '+30 days' +%Y%m%d%H%M%SZ)}
  echo "7$(openssl rand -hex 15 | cut -c2-)" > "$work/serial"
  openssl req -new -key "$key" -subj "/O=rolesanywhere-helper tests/CN=$cn" -out "$work/req.csr"
  local signer=(-cert "$issuer_cert" -keyfile "$issuer_key")
  [ "$issuer_cert" = self ] && signer=(-selfsign -keyfile "$key")
  openssl ca -batch -notext -config "$work/ca.cnf" "${signer[@]}" -extensions "$ext" \
    -startdate "$start" -enddate "$end" -in "$work/req.csr" -out "$cert_out" 2>"$work/ca.log" ||
    { cat "$work/ca.log" >&2; return 1; }
}

if [ -n "$short_lived" ]; then
  issue short-lived rsa2048.key.pem intermediate-ca.pem intermediate-ca.key leaf_ext \
    "$short_lived" "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" \
    "$(date -u -d "+$lifetime seconds" +%Y%m%d%H%M%SZ)"
  exit 0
fi

ten_years=$(date -u -d '+10 years' +%Y%m%d%H%M%SZ)
an_hour_ago=$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)

new_key p384 root-ca.key
issue "Test Root CA" root-ca.key self "" root_ext root-ca.pem "$an_hour_ago" "$ten_years"
new_key p256 intermediate-ca.key
issue "Test Intermediate CA" intermediate-ca.key root-ca.pem root-ca.key intermediate_ext \
  intermediate-ca.pem "$an_hour_ago" "$ten_years"
cp intermediate-ca.pem intermediates.pem
new_key rsa2048 other-ca.key
issue "Untrusted Other CA" other-ca.key self "" root_ext other-ca.pem "$an_hour_ago" "$ten_years"

for kind in rsa2048 rsa3072 rsa4096 p256 p384 p521; do
  new_key "$kind" "$kind.key.pem"
  issue "workload-$kind" "$kind.key.pem" intermediate-ca.pem intermediate-ca.key leaf_ext "$kind.crt.pem"
  openssl x509 -in "$kind.crt.pem" -outform DER -out "$kind.crt.der"
  cat "$kind.crt.pem" intermediate-ca.pem > "$kind.fullchain.pem"
  issue "workload-$kind-direct" "$kind.key.pem" root-ca.pem root-ca.key leaf_ext "direct-$kind.crt.pem"
done

# Every private-key file format, for one RSA and one EC key.
for kind in rsa2048 p256; do
  openssl pkey -in "$kind.key.pem" -outform DER -out "$kind.key.pkcs8.der"
  # PKCS#1 for RSA ("RSA PRIVATE KEY"), SEC1 for EC ("EC PRIVATE KEY"): `openssl ec` writes
  # SEC1 by default, `openssl rsa` needs -traditional.
  if [ "$kind" = rsa2048 ]; then traditional=(rsa -traditional); else traditional=(ec); fi
  openssl "${traditional[@]}" -in "$kind.key.pem" -out "$kind.key.traditional.pem" 2>/dev/null
  openssl "${traditional[@]}" -in "$kind.key.pem" -outform DER -out "$kind.key.traditional.der" 2>/dev/null
  openssl pkcs8 -topk8 -in "$kind.key.pem" -v2 aes-256-cbc -v2prf hmacWithSHA256 \
    -passout "pass:$password" -out "$kind.key.enc-pbkdf2.pem"
  openssl pkcs8 -topk8 -in "$kind.key.pem" -v2 aes-256-cbc -v2prf hmacWithSHA256 \
    -passout "pass:$password" -outform DER -out "$kind.key.enc-pbkdf2.der"
  openssl pkcs8 -topk8 -in "$kind.key.pem" -v2 aes-128-cbc -scrypt \
    -passout "pass:$password" -out "$kind.key.enc-scrypt.pem"
  openssl pkcs12 -export -inkey "$kind.key.pem" -in "$kind.crt.pem" -certfile intermediate-ca.pem \
    -name "workload-$kind" -passout "pass:$password" -out "$kind.p12"
  openssl pkcs12 -export -inkey "$kind.key.pem" -in "$kind.crt.pem" -certfile intermediate-ca.pem \
    -name "workload-$kind" -passout pass: -out "$kind.nopass.p12"
done

# Certificates the service must refuse, and keys the helper must refuse.
issue "expired" rsa2048.key.pem intermediate-ca.pem intermediate-ca.key leaf_ext expired.crt.pem \
  "$(date -u -d '-60 days' +%Y%m%d%H%M%SZ)" "$(date -u -d '-30 days' +%Y%m%d%H%M%SZ)"
issue "not-yet-valid" rsa2048.key.pem intermediate-ca.pem intermediate-ca.key leaf_ext notyet.crt.pem \
  "$(date -u -d '+30 days' +%Y%m%d%H%M%SZ)" "$(date -u -d '+60 days' +%Y%m%d%H%M%SZ)"
issue "untrusted" rsa2048.key.pem other-ca.pem other-ca.key leaf_ext untrusted.crt.pem
issue "ca-leaf" p256.key.pem intermediate-ca.pem intermediate-ca.key ca_leaf_ext ca-leaf.crt.pem
new_key rsa1024 rsa1024.key.pem
issue "weak-rsa1024" rsa1024.key.pem intermediate-ca.pem intermediate-ca.key leaf_ext rsa1024.crt.pem
new_key ed25519 ed25519.key.pem
issue "ed25519" ed25519.key.pem intermediate-ca.pem intermediate-ca.key leaf_ext ed25519.crt.pem
printf 'this is not a certificate\n' > garbage.pem

# A TLS server certificate for the local emulator (127.0.0.1, ::1, localhost), so HTTPS and
# AWS_CA_BUNDLE are tested too. RSA because libmicrohttpd's GnuTLS takes it everywhere.
new_key rsa2048 server.key.pem
issue "localhost" server.key.pem root-ca.pem root-ca.key server_ext server.crt.pem

chmod 600 ./*.key* ./*.p12
