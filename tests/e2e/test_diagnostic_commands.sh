#!/usr/bin/env bash
# sign-string, read-certificate-data and version, in aws_signing_helper's output formats, checked
# against what the openssl command line computes independently.
source "$(dirname "$0")/lib.sh"

# The fixed string: prefix || "1" || SHA256("IAM RA" || public key bytes).
fixed_string() { # fixed_string KEY OUT
  local key=$1 out=$2 pub=$WORK/pub.bin
  if openssl pkey -in "$key" -noout -text 2>/dev/null | grep -q 'Private-Key: ([0-9]* bit, 2 primes)'; then
    openssl rsa -in "$key" -RSAPublicKey_out -outform DER -out "$pub" 2>/dev/null
  else
    # The SubjectPublicKeyInfo ends with the uncompressed point 04||X||Y.
    local size
    size=$(openssl pkey -in "$key" -pubout -outform DER | wc -c)
    case $size in 91) n=65 ;; 120) n=97 ;; 158) n=133 ;; *) n=0 ;; esac
    openssl pkey -in "$key" -pubout -outform DER | tail -c "$n" >"$pub"
  fi
  { printf 'AWS Roles Anywhere Credential Helper Signing Test1'
    { printf 'IAM RA'; cat "$pub"; } | openssl dgst -sha256 -binary; } >"$out"
}

for kind in rsa2048 p256 p384 p521; do
  fixed_string "$PKI/$kind.key.pem" "$WORK/fixed.bin"
  openssl pkey -in "$PKI/$kind.key.pem" -pubout -out "$WORK/pub.pem"
  for digest in SHA256 SHA384 SHA512; do
    run_helper sign-string --private-key "$PKI/$kind.key.pem" --digest "$digest" --format bin
    cp "$WORK/stdout" "$WORK/sig.bin"
    if [ "$STATUS" -eq 0 ] && [ -z "$STDERR" ] &&
      openssl dgst "-${digest,,}" -verify "$WORK/pub.pem" -signature "$WORK/sig.bin" "$WORK/fixed.bin" >/dev/null; then
      pass "sign-string $kind $digest verifies with openssl"
    else
      fail "sign-string $kind $digest verifies with openssl"
    fi
  done
done

# Formats: json is the default (a quoted hex string), text is bare hex; neither ends in a newline.
run_helper sign-string --private-key "$PKI/rsa2048.key.pem"
json_sig=$STDOUT
run_helper sign-string --private-key "$PKI/rsa2048.key.pem" --format text
[[ "$json_sig" == "\"$STDOUT\"" && "$STDOUT" =~ ^[0-9a-f]{512}$ ]] &&
  pass "json and text formats of a (deterministic) RSA signature" || fail "json and text formats"
last_byte=$(tail -c1 "$WORK/stdout" | od -An -tx1 | tr -d ' \n')
[ -n "$last_byte" ] && [ "$last_byte" != 0a ] && pass "no trailing newline" || fail "no trailing newline"
run_helper sign-string --certificate "$PKI/rsa2048.nopass.p12" --format text
[ "$STATUS" -eq 0 ] && [[ "$json_sig" == "\"$STDOUT\"" ]] && pass "sign-string with a PKCS#12 file" ||
  fail "sign-string with a PKCS#12 file"
expect_error "bad --format" "--format" sign-string --private-key "$PKI/rsa2048.key.pem" --format xml
expect_error "bad --digest" "--digest" sign-string --private-key "$PKI/rsa2048.key.pem" --digest MD5
expect_error "sign-string without a key" "--private-key" sign-string
expect_error "sign-string with a key that is not the certificate's" "does not match" \
  sign-string --certificate "$PKI/p256.crt.pem" --private-key "$PKI/rsa2048.key.pem"
run_helper sign-string --certificate "$PKI/rsa2048.crt.pem" --private-key "$PKI/rsa2048.key.pem" --format text
[ "$STATUS" -eq 0 ] && [[ "$json_sig" == "\"$STDOUT\"" ]] && pass "sign-string with the matching certificate" ||
  fail "sign-string with the matching certificate"

# read-certificate-data.
for kind in rsa2048 p384; do
  run_helper read-certificate-data --certificate "$PKI/$kind.crt.pem"
  expected_serial=$(python3 -c "print(int('$(openssl x509 -in "$PKI/$kind.crt.pem" -noout -serial | cut -d= -f2)', 16))")
  expected_der=$(openssl x509 -in "$PKI/$kind.crt.pem" -outform DER | base64 -w0)
  if [ "$STATUS" -eq 0 ] && python3 - "$STDOUT" "$kind" "$expected_serial" "$expected_der" <<'PY'
import json, sys
out, kind, serial, der = sys.argv[1:]
data = json.loads(out, object_pairs_hook=lambda p: p)
assert [k for k, _ in data] == ["keyType", "certificateData", "serialNumber", "supportedAlgorithms"]
data = dict(data)
key = "RSA" if kind.startswith("rsa") else "EC"
assert data["keyType"] == key, data
assert data["serialNumber"] == serial, (data["serialNumber"], serial)
assert data["certificateData"] == der
assert data["supportedAlgorithms"] == [key + "SHA256", key + "SHA384", key + "SHA512"]
PY
  then pass "read-certificate-data $kind"; else fail "read-certificate-data $kind"; fi
done
expect_error "read-certificate-data of a missing file" "$WORK/none.pem" \
  read-certificate-data --certificate "$WORK/none.pem"

# --debug explains on stderr what was loaded and signed, leaves stdout as it was, and never shows
# the password.
run_helper sign-string --certificate "$PKI/rsa2048.crt.pem" --private-key "$PKI/rsa2048.key.pem" \
  --digest SHA384 --format text
plain_signature=$STDOUT
run_helper sign-string --certificate "$PKI/rsa2048.crt.pem" \
  --private-key "$PKI/rsa2048.key.enc-pbkdf2.pem" --pkcs8-password test-password --digest SHA384 \
  --format text --debug
serial=$(openssl x509 -in "$PKI/rsa2048.crt.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
if [ "$STATUS" -eq 0 ] && [ "$STDOUT" = "$plain_signature" ] &&
  [[ "$STDERR" == *"private key: RSA 2048 bits"* ]] && [[ "$STDERR" == *"CN=workload-rsa2048"* ]] &&
  [[ "$STDERR" == *"(hex $serial)"* ]] && [[ "$STDERR" == *"(82 bytes) with SHA384"* ]] &&
  [[ "$STDERR" != *test-password* ]]; then
  pass "sign-string --debug: key, certificate, digest and string length on stderr"
else
  fail "sign-string --debug: key, certificate, digest and string length on stderr"
fi
run_helper read-certificate-data --certificate "$PKI/p384.fullchain.pem"
plain_data=$STDOUT
run_helper read-certificate-data --certificate "$PKI/p384.fullchain.pem" --debug
if [ "$STATUS" -eq 0 ] && [ "$STDOUT" = "$plain_data" ] && [[ "$STDERR" == *"CN=workload-p384"* ]] &&
  [[ "$STDERR" == *"public key: EC secp384r1"* ]] && [[ "$STDERR" == *"serial "* ]]; then
  pass "read-certificate-data --debug: subject, serial and key on stderr"
else
  fail "read-certificate-data --debug: subject, serial and key on stderr"
fi

run_helper version
# Exactly "X.Y.Z\n", as aws_signing_helper prints it ($(...) would hide the newline).
[ "$STATUS" -eq 0 ] && python3 -c 'import re,sys; sys.exit(not re.fullmatch(rb"\d+\.\d+\.\d+\n", open(sys.argv[1],"rb").read()))' "$WORK/stdout" &&
  pass "version" || fail "version"
run_helper --help
[ "$STATUS" -eq 0 ] && [[ "$STDOUT" == *credential-process* ]] && pass "--help lists the commands" || fail "--help"
run_helper credential-process --help
[ "$STATUS" -eq 0 ] && [[ "$STDOUT" == *--trust-anchor-arn* ]] && pass "credential-process --help" ||
  fail "credential-process --help"
finish
