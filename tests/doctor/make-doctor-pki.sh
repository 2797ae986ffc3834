#!/usr/bin/env bash
# Generates the certificates and chains doctor is tested on: good ones, ones that only deserve a
# warning, and broken ones with exactly one fault each (every problem issue 15 lists that a
# certificate, chain or trust anchor can have), and a manifest naming what doctor must say and
# what the emulator must do with each.
#
#   tests/doctor/make-doctor-pki.sh OUTDIR
#
# OUTDIR/cases, one case per line, fields separated by '|':
#   name|verdict|id|emulator|certificate|key|intermediates|anchor|crl|phrase
# verdict: ok, warning or problem: doctor's verdict on check `id` (and its exit status: 1 for a
# problem, else 0; a problem case has no other problem, a warning case no problem). emulator:
# accept or reject (what the emulator must answer a request signed with it), or none when the
# emulator cannot judge it (a CRL: it takes none). Files are relative to OUTDIR, '-' for none.
# phrase: words doctor's readable text must contain for that check.
#
# Keys are P-256 unless a case is about the key, so the whole set takes a few seconds. Every run
# makes new keys; nothing here is a real secret.
set -euo pipefail

out=${1:?usage: make-doctor-pki.sh OUTDIR}
mkdir -p "$out"
cd "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

new_key() { # new_key KIND FILE: an unencrypted PKCS#8 PEM key
  case $1 in
    rsa*) openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:${1#rsa}" -out "$2" ;;
    p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
    secp256k1) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$2" ;;
    *) echo "unknown key kind $1" >&2; return 1 ;;
  esac
}

# `openssl ca`, because only it sets arbitrary validity dates; one database for every CA here,
# which also makes the CRL of the revocation case.
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
default_crl_days = 30
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
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[not_ca_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[no_cert_sign_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[self_signed_not_ca_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyCertSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_no_key_usage_ext]
basicConstraints = critical, CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_key_encipherment_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
: > "$work/index.txt"

ago() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
an_hour_ago=$(ago '-1 hour')
ten_years=$(ago '+10 years')

# issue CN KEY ISSUER ISSUER_KEY EXTENSIONS OUT [START END [MORE openssl ca FLAGS...]]
# ISSUER "self" makes it self-signed; EXTENSIONS "none" makes an X.509 v1 certificate. Valid from
# an hour ago for 30 days unless START/END say otherwise.
issue() {
  local cn=$1 key=$2 issuer=$3 issuer_key=$4 ext=$5 cert_out=$6
  local start=${7:-$an_hour_ago} end=${8:-$(ago '+30 days')}
  shift 6; shift $(($# < 2 ? $# : 2))
  echo "7$(openssl rand -hex 15 | cut -c2-)" > "$work/serial"
  openssl req -new -key "$key" -subj "/O=rolesanywhere-helper doctor tests/CN=$cn" -out "$work/req.csr"
  local signer=(-cert "$issuer" -keyfile "$issuer_key")
  [ "$issuer" = self ] && signer=(-selfsign -keyfile "$key")
  local extensions=(-extensions "$ext")
  [ "$ext" = none ] && extensions=()
  openssl ca -batch -notext -config "$work/ca.cnf" "${signer[@]}" "${extensions[@]}" \
    -startdate "$start" -enddate "$end" "$@" -in "$work/req.csr" -out "$cert_out" \
    2>"$work/ca.log" || { cat "$work/ca.log" >&2; return 1; }
}

# issue_with_serial CN KEY ISSUER ISSUER_KEY SERIAL OUT: `openssl x509`, which takes any serial
# (openssl ca picks its own).
issue_with_serial() {
  local cn=$1 key=$2 issuer=$3 issuer_key=$4 serial=$5 cert_out=$6
  openssl req -new -key "$key" -subj "/O=rolesanywhere-helper doctor tests/CN=$cn" -out "$work/req.csr"
  openssl x509 -req -in "$work/req.csr" -CA "$issuer" -CAkey "$issuer_key" -set_serial "$serial" \
    -days 30 -extfile "$work/ca.cnf" -extensions leaf_ext -out "$cert_out" 2>"$work/x509.log" ||
    { cat "$work/x509.log" >&2; return 1; }
}

cases=()
# case NAME VERDICT ID EMULATOR CERT KEY INTERMEDIATES ANCHOR CRL PHRASE
case_line() { local IFS='|'; cases+=("$*"); }

# --- the hierarchies ---
new_key p256 root.key
issue "Doctor Root CA" root.key self "" root_ext root.pem "$an_hour_ago" "$ten_years"
new_key p256 int.key
issue "Doctor Intermediate CA" int.key root.pem root.key intermediate_ext int.pem "$an_hour_ago" "$ten_years"
new_key p256 mid.key
issue "Doctor Mid CA" mid.key root.pem root.key ca_ext mid.pem "$an_hour_ago" "$ten_years"
new_key p256 sub.key
issue "Doctor Sub CA" sub.key mid.pem mid.key ca_ext sub.pem "$an_hour_ago" "$ten_years"
new_key p256 other-root.key
issue "Doctor Other Root CA" other-root.key self "" root_ext other-root.pem "$an_hour_ago" "$ten_years"
new_key p256 leaf.key
new_key p256 other.key

# --- good ---
issue good-p256 leaf.key int.pem int.key leaf_ext good-p256.pem
case_line good-p256 ok chain.anchor accept good-p256.pem leaf.key int.pem root.pem - "reaches the trust anchor"
new_key rsa2048 rsa2048.key
issue good-rsa2048 rsa2048.key int.pem int.key leaf_ext good-rsa2048.pem
cat good-rsa2048.pem int.pem > good-rsa2048.fullchain.pem
case_line good-rsa2048-fullchain ok leaf.key accept good-rsa2048.fullchain.pem rsa2048.key - root.pem - "RSA 2048 bits"
issue good-direct leaf.key root.pem root.key leaf_ext good-direct.pem
case_line good-direct ok chain.anchor accept good-direct.pem leaf.key - root.pem - "directly"
case_line good-anchor-is-intermediate ok chain.anchor accept good-p256.pem leaf.key - int.pem - "Doctor Intermediate CA directly"
issue good-no-key-usage leaf.key int.pem int.key leaf_no_key_usage_ext good-no-key-usage.pem
case_line good-no-key-usage ok leaf.key_usage accept good-no-key-usage.pem leaf.key int.pem root.pem - "no keyUsage extension"

# --- a warning, still accepted ---
case_line warn-unneeded-intermediate warning chain.unneeded accept good-direct.pem leaf.key int.pem root.pem - "not on the path"
issue deep leaf.key sub.pem sub.key leaf_ext deep.pem
cat mid.pem sub.pem > mid-then-sub.pem
case_line warn-chain-order warning chain.order accept deep.pem leaf.key mid-then-sub.pem root.pem - "leaf to root is"
issue expiring leaf.key int.pem int.key leaf_ext expiring.pem "$an_hour_ago" "$(ago '+2 days')"
case_line warn-expiring-soon warning leaf.validity accept expiring.pem leaf.key int.pem root.pem - "days left"

# --- one fault each ---
issue leaf-ca leaf.key int.pem int.key leaf_ca_ext leaf-ca.pem
case_line leaf-ca problem leaf.ca reject leaf-ca.pem leaf.key int.pem root.pem - "CA:TRUE"
issue leaf-v1 leaf.key int.pem int.key none leaf-v1.pem
case_line leaf-v1 problem leaf.version reject leaf-v1.pem leaf.key int.pem root.pem - "X.509 v1"
issue leaf-no-digital-signature leaf.key int.pem int.key leaf_key_encipherment_ext leaf-no-digital-signature.pem
case_line leaf-no-digital-signature problem leaf.key_usage reject leaf-no-digital-signature.pem leaf.key int.pem root.pem - "without digitalSignature"
issue leaf-sha1 leaf.key int.pem int.key leaf_ext leaf-sha1.pem "$an_hour_ago" "$(ago '+30 days')" -md sha1
case_line leaf-sha1 problem leaf.algorithm reject leaf-sha1.pem leaf.key int.pem root.pem - "ecdsa-with-SHA1"
new_key rsa1024 rsa1024.key
issue leaf-rsa1024 rsa1024.key int.pem int.key leaf_ext leaf-rsa1024.pem
case_line leaf-rsa1024 problem leaf.key reject leaf-rsa1024.pem rsa1024.key int.pem root.pem - "RSA 1024 bits"
new_key secp256k1 secp256k1.key
issue leaf-secp256k1 secp256k1.key int.pem int.key leaf_ext leaf-secp256k1.pem
case_line leaf-secp256k1 problem leaf.key reject leaf-secp256k1.pem secp256k1.key int.pem root.pem - "EC secp256k1"
issue leaf-expired leaf.key int.pem int.key leaf_ext leaf-expired.pem "$(ago '-60 days')" "$(ago '-30 days')"
case_line leaf-expired problem leaf.validity reject leaf-expired.pem leaf.key int.pem root.pem - "expired on"
issue leaf-not-yet-valid leaf.key int.pem int.key leaf_ext leaf-not-yet-valid.pem "$(ago '+30 days')" "$(ago '+60 days')"
case_line leaf-not-yet-valid problem leaf.validity reject leaf-not-yet-valid.pem leaf.key int.pem root.pem - "not valid until"
issue_with_serial leaf-serial-negative leaf.key int.pem int.key -5 leaf-serial-negative.pem
case_line leaf-serial-negative problem leaf.serial reject leaf-serial-negative.pem leaf.key int.pem root.pem - "is not positive"
issue_with_serial leaf-serial-long leaf.key int.pem int.key "0x7f$(openssl rand -hex 20)" leaf-serial-long.pem
case_line leaf-serial-long problem leaf.serial reject leaf-serial-long.pem leaf.key int.pem root.pem - "allows at most 20"
case_line key-mismatch problem key.match reject good-p256.pem other.key int.pem root.pem - "does not match"
case_line missing-intermediate problem chain.anchor reject good-p256.pem leaf.key - root.pem - "missing issuer O=rolesanywhere-helper doctor tests,CN=Doctor Intermediate CA"
issue leaf-other leaf.key other-root.pem other-root.key leaf_ext leaf-other.pem
cat leaf-other.pem other-root.pem > leaf-other.fullchain.pem
case_line wrong-trust-anchor problem chain.anchor reject leaf-other.fullchain.pem leaf.key - root.pem - "which is not the trust anchor"
new_key p256 not-ca.key
issue "Doctor Not A CA" not-ca.key root.pem root.key not_ca_ext not-ca.pem "$an_hour_ago" "$ten_years"
issue leaf-under-not-ca leaf.key not-ca.pem not-ca.key leaf_ext leaf-under-not-ca.pem
case_line intermediate-not-ca problem chain.ca reject leaf-under-not-ca.pem leaf.key not-ca.pem root.pem - "is not a CA"
new_key p256 no-cert-sign.key
issue "Doctor No CertSign CA" no-cert-sign.key root.pem root.key no_cert_sign_ext no-cert-sign.pem "$an_hour_ago" "$ten_years"
issue leaf-under-no-cert-sign leaf.key no-cert-sign.pem no-cert-sign.key leaf_ext leaf-under-no-cert-sign.pem
case_line intermediate-without-keycertsign problem chain.ca reject leaf-under-no-cert-sign.pem leaf.key no-cert-sign.pem root.pem - "lacks keyCertSign"
# An impostor: a CA of the intermediate's name with another key signs the leaf.
new_key p256 impostor.key
issue "Doctor Intermediate CA" impostor.key self "" root_ext impostor.pem "$an_hour_ago" "$ten_years"
issue leaf-by-impostor leaf.key impostor.pem impostor.key leaf_ext leaf-by-impostor.pem
case_line bad-signature problem chain.signatures reject leaf-by-impostor.pem leaf.key int.pem root.pem - "does not verify with the key of"
new_key p256 below-pathlen.key
issue "Doctor Below Pathlen CA" below-pathlen.key int.pem int.key ca_ext below-pathlen.pem "$an_hour_ago" "$ten_years"
issue leaf-too-deep leaf.key below-pathlen.pem below-pathlen.key leaf_ext leaf-too-deep.pem
cat below-pathlen.pem int.pem > below-pathlen-chain.pem
case_line path-length-exceeded problem chain.path_length reject leaf-too-deep.pem leaf.key below-pathlen-chain.pem root.pem - "pathlen:0"
new_key p256 expired-int.key
issue "Doctor Expired Intermediate CA" expired-int.key root.pem root.key intermediate_ext expired-int.pem "$(ago '-60 days')" "$(ago '-1 day')"
issue leaf-under-expired leaf.key expired-int.pem expired-int.key leaf_ext leaf-under-expired.pem
case_line intermediate-expired problem chain.validity reject leaf-under-expired.pem leaf.key expired-int.pem root.pem - "Doctor Expired Intermediate CA expired on"
new_key p256 sha1-int.key
issue "Doctor SHA1 Intermediate CA" sha1-int.key root.pem root.key intermediate_ext sha1-int.pem "$an_hour_ago" "$ten_years" -md sha1
issue leaf-under-sha1 leaf.key sha1-int.pem sha1-int.key leaf_ext leaf-under-sha1.pem
case_line intermediate-sha1 problem chain.algorithm reject leaf-under-sha1.pem leaf.key sha1-int.pem root.pem - "is signed with ecdsa-with-SHA1"
new_key p256 anchor-not-ca.key
issue "Doctor Anchor Not A CA" anchor-not-ca.key self "" self_signed_not_ca_ext anchor-not-ca.pem "$an_hour_ago" "$ten_years"
issue leaf-under-anchor-not-ca leaf.key anchor-not-ca.pem anchor-not-ca.key leaf_ext leaf-under-anchor-not-ca.pem
case_line trust-anchor-not-ca problem anchor.ca reject leaf-under-anchor-not-ca.pem leaf.key - anchor-not-ca.pem - "is not a CA"
new_key p256 expired-root.key
issue "Doctor Expired Root CA" expired-root.key self "" root_ext expired-root.pem "$(ago '-2 years')" "$(ago '-1 day')"
issue leaf-under-expired-root leaf.key expired-root.pem expired-root.key leaf_ext leaf-under-expired-root.pem
case_line trust-anchor-expired problem anchor.validity reject leaf-under-expired-root.pem leaf.key - expired-root.pem - "Doctor Expired Root CA expired on"
issue leaf-revoked leaf.key int.pem int.key leaf_ext leaf-revoked.pem
openssl ca -batch -config "$work/ca.cnf" -cert int.pem -keyfile int.key -revoke leaf-revoked.pem 2>"$work/ca.log" ||
  { cat "$work/ca.log" >&2; exit 1; }
openssl ca -batch -config "$work/ca.cnf" -cert int.pem -keyfile int.key -gencrl -out int.crl.pem 2>"$work/ca.log" ||
  { cat "$work/ca.log" >&2; exit 1; }
case_line revoked problem revocation none leaf-revoked.pem leaf.key int.pem root.pem int.crl.pem "is revoked since"
case_line not-revoked ok revocation accept good-p256.pem leaf.key int.pem root.pem int.crl.pem "not revoked"

printf '%s\n' "${cases[@]}" > cases
chmod 600 ./*.key
