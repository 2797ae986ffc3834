#!/usr/bin/env bash
# credential-process and sign-string with keys inside a software TPM (swtpm), through the tpm2
# OpenSSL provider, against the verifying emulator: RSA and EC TSS2 key files with and without a
# password, persistent handles, the TCTI from TPM2OPENSSL_TCTI and from aws_signing_helper's
# TPM_DEVICE (a swtpm unix socket); a silent stderr (the TSS's own log lines included), no
# password in --debug, no object left loaded in the TPM, the cache, and the TPM stack loaded only
# when a TPM key is used.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tpm_lib.sh"
start_tpm tpm
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
KEY_PASSWORD=tpm-Key-pw-4d
HANDLE_PASSWORD=handle-Pw-9z
CHAIN=(--intermediates "$PKI/intermediates.pem")

tpm_key rsa2048 "$WORK/rsa.tss" && tpm_certificate "$WORK/rsa.tss" tpm-rsa "$WORK/rsa.crt" &&
  tpm_key p256 "$WORK/p256.tss" && tpm_certificate "$WORK/p256.tss" tpm-p256 "$WORK/p256.crt" &&
  tpm_key p384 "$WORK/p384.tss" "$KEY_PASSWORD" &&
  tpm_certificate "$WORK/p384.tss" tpm-p384 "$WORK/p384.crt" "$KEY_PASSWORD" &&
  tpm_key rsa2048 "$WORK/rsa-pw.tss" "$KEY_PASSWORD" &&
  tpm_certificate "$WORK/rsa-pw.tss" tpm-rsa-pw "$WORK/rsa-pw.crt" "$KEY_PASSWORD" &&
  tpm_persistent_key 0x81000002 rsa2048 "$HANDLE_PASSWORD" &&
  tpm_certificate handle:0x81000002 tpm-handle-rsa "$WORK/handle2.crt" "$HANDLE_PASSWORD" &&
  tpm_persistent_key 0x81000003 p256 &&
  tpm_certificate handle:0x81000003 tpm-handle-p256 "$WORK/handle3.crt" ||
  { echo "could not make the TPM keys and their certificates"; exit 1; }
openssl x509 -in "$WORK/rsa-pw.crt" -outform DER -out "$WORK/rsa-pw.crt.der"
openssl asn1parse -in "$WORK/p256.tss" -out "$WORK/p256.tss.der" >/dev/null

# The helper is pointed at the TPM as a user would (TPM2OPENSSL_TCTI here), and the TSS's own
# log lines are left at their default: a silent stderr below means the helper silenced them.
unset TSS2_LOG
without_terminal
issued_before=$(emulator_stat sessions_issued)

expect_credentials "RSA 2048 TSS2 key file without a password" \
  --certificate "$WORK/rsa.crt" --private-key "$WORK/rsa.tss" "${CHAIN[@]}" "${SESSION[@]}"
expect_credentials "EC P-256 TSS2 key file without a password" \
  --certificate "$WORK/p256.crt" --private-key "$WORK/p256.tss" "${CHAIN[@]}" "${SESSION[@]}"
expect_credentials "EC P-256 TSS2 key file as DER" \
  --certificate "$WORK/p256.crt" --private-key "$WORK/p256.tss.der" "${CHAIN[@]}" "${SESSION[@]}"
expect_credentials "EC P-384 TSS2 key file with --tpm-key-password" \
  --certificate "$WORK/p384.crt" --private-key "$WORK/p384.tss" --tpm-key-password \
  "$KEY_PASSWORD" "${CHAIN[@]}" "${SESSION[@]}"
expect_credentials "RSA TSS2 key file with --tpm-key-password, DER certificate" \
  --certificate "$WORK/rsa-pw.crt.der" --private-key "$WORK/rsa-pw.tss" \
  --tpm-key-password="$KEY_PASSWORD" "${CHAIN[@]}" "${SESSION[@]}"
expect_credentials "a key file without a password ignores --tpm-key-password" \
  --certificate "$WORK/p256.crt" --private-key "$WORK/p256.tss" --tpm-key-password unused \
  "${CHAIN[@]}" "${SESSION[@]}"
expect_credentials "persistent handle with --tpm-key-password (RSA)" \
  --certificate "$WORK/handle2.crt" --private-key handle:0x81000002 \
  --tpm-key-password "$HANDLE_PASSWORD" "${CHAIN[@]}" "${SESSION[@]}"
expect_credentials "persistent handle with --no-tpm-key-password (EC)" \
  --certificate "$WORK/handle3.crt" --private-key handle:0x81000003 --no-tpm-key-password \
  "${CHAIN[@]}" "${SESSION[@]}"
issued=$(($(emulator_stat sessions_issued) - issued_before))
[ "$issued" -eq 8 ] && pass "the emulator verified and issued those 8 sessions" ||
  fail "the emulator verified and issued those 8 sessions (issued $issued)"

# A handle's password, asked on the terminal (no echo) when no flag says; a key file whose
# emptyAuth says it has one asks too.
ANSWER_PROMPT=$SOURCE_DIR/tests/pkcs11/answer-prompt.py
for key in handle:0x81000002 "$WORK/rsa-pw.tss"; do
  answer=$HANDLE_PASSWORD certificate=$WORK/handle2.crt
  [ "$key" = handle:0x81000002 ] || { answer=$KEY_PASSWORD certificate=$WORK/rsa-pw.crt; }
  python3 "$ANSWER_PROMPT" "Password for " "$answer" "$REAL_HELPER" credential-process \
    --certificate "$certificate" --private-key "$key" "${CHAIN[@]}" "${SESSION[@]}" \
    >"$WORK/tty-output" 2>&1
  STATUS=$?
  STDOUT=$(tr -d '\r' <"$WORK/tty-output")
  STDERR=
  if [ "$STATUS" -eq 0 ] && [[ "$STDOUT" == *"Password for TPM key --private-key $key: "* ]] &&
    [[ "$STDOUT" == *'"AccessKeyId":"ASIA'* ]] && [[ "$STDOUT" != *"$answer"* ]] &&
    [ "$(grep -o 'Password for ' <<<"$STDOUT" | wc -l)" -eq 1 ]; then
    pass "$key: its password asked once on the terminal, without echo"
  else
    fail "$key: its password asked once on the terminal, without echo"
  fi
done

# aws_signing_helper's TPM_DEVICE: a swtpm unix socket (or a device: its path).
FIRST_TPM=$TPM_TCTI
start_tpm socket-tpm socket
tpm_key p256 "$WORK/socket.tss" && tpm_certificate "$WORK/socket.tss" tpm-socket "$WORK/socket.crt" ||
  { echo "could not make the key in the socket TPM"; exit 1; }
unset TPM2OPENSSL_TCTI
TPM_DEVICE=$TPM_SOCKET expect_credentials "TPM_DEVICE naming a swtpm unix socket" \
  --certificate "$WORK/socket.crt" --private-key "$WORK/socket.tss" "${CHAIN[@]}" "${SESSION[@]}"
TPM2OPENSSL_TCTI=$FIRST_TPM TPM_DEVICE=$TPM_SOCKET expect_credentials \
  "TPM2OPENSSL_TCTI wins over TPM_DEVICE" --certificate "$WORK/p256.crt" \
  --private-key "$WORK/p256.tss" "${CHAIN[@]}" "${SESSION[@]}"
SOCKET_TPM=$TPM_TCTI
export TPM2OPENSSL_TCTI=$FIRST_TPM TPM2TOOLS_TCTI=$FIRST_TPM

# sign-string: signatures of aws_signing_helper's fixed string that the key's public half
# verifies (openssl pkeyutl -verify). The fixed string: prefix || "1" || SHA256("IAM RA" || the
# public key: PKCS#1 RSAPublicKey, or the EC point), i.e. the SubjectPublicKeyInfo's BIT STRING.
fixed_string() { # fixed_string PUBLIC_KEY_PEM OUT
  python3 - "$1" >"$2" <<'PY'
import base64, hashlib, sys
der = base64.b64decode("".join(l.strip() for l in open(sys.argv[1]) if not l.startswith("-----")))
def element(data, at):  # (tag, start of its contents, end)
    tag, length, at = data[at], data[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        length, at = int.from_bytes(data[at:at + count], "big"), at + count
    return tag, at, at + length
_, inside, _ = element(der, 0)            # SubjectPublicKeyInfo
_, _, after_algorithm = element(der, inside)
_, bits, end = element(der, after_algorithm)
sys.stdout.buffer.write(b"AWS Roles Anywhere Credential Helper Signing Test1" +
                        hashlib.sha256(b"IAM RA" + der[bits + 1:end]).digest())
PY
}
for case in "rsa.tss SHA256" "p256.tss SHA384" "p384.tss SHA512 $KEY_PASSWORD"; do
  read -r key digest password <<<"$case"
  pass_flags=()
  [ -z "$password" ] || pass_flags=(--tpm-key-password "$password")
  tpm_public_key "$WORK/$key" "$WORK/$key.pub" "$password"
  fixed_string "$WORK/$key.pub" "$WORK/fixed.bin"
  run_helper sign-string --private-key "$WORK/$key" "${pass_flags[@]}" --digest "$digest" \
    --format text
  xxd -r -p <<<"$STDOUT" >"$WORK/signature.bin"
  if [ "$STATUS" -eq 0 ] && [ -z "$STDERR" ] &&
    openssl pkeyutl -verify -pubin -inkey "$WORK/$key.pub" -rawin -digest "${digest,,}" \
      -in "$WORK/fixed.bin" -sigfile "$WORK/signature.bin" >/dev/null 2>&1; then
    pass "sign-string with $key and $digest: openssl pkeyutl -verify accepts the signature"
  else
    fail "sign-string with $key and $digest: openssl pkeyutl -verify accepts the signature"
  fi
done
run_helper sign-string --private-key handle:0x81000003 --no-tpm-key-password \
  --certificate "$WORK/handle3.crt" --format text
check "sign-string with a handle and its certificate" \
  bash -c '[ "$1" -eq 0 ] && grep -Eq "^[0-9a-f]{100,}$" <<<"$2"' _ "$STATUS" "$STDOUT"

# --debug: says the key is in the TPM and how it was reached, never the password.
run_helper credential-process --debug --certificate "$WORK/p384.crt" --private-key \
  "$WORK/p384.tss" --tpm-key-password "$KEY_PASSWORD" "${CHAIN[@]}" "${SESSION[@]}"
check "--debug says where the TPM key was loaded from" \
  bash -c '[ "$1" -eq 0 ] && grep -q "TPM: loaded TPM key --private-key .*p384.tss" "$2"' _ \
  "$STATUS" "$WORK/stderr"
check "  and never shows the password" bash -c '! grep -qF -- "$1" "$2"' _ "$KEY_PASSWORD" \
  "$WORK/stderr"

# Every process flushed what it loaded (no resource manager between the helper and swtpm, so
# a leaked object would stay until swtpm runs out of slots).
left=$(tpm_transient_objects) left_in_socket_tpm=$(TPM2TOOLS_TCTI=$SOCKET_TPM tpm_transient_objects)
check "no object left loaded in the TPMs ($left, $left_in_socket_tpm)" \
  test "$left" -eq 0 -a "$left_in_socket_tpm" -eq 0

# The cache: a TPM key has no private encoding to derive the entry key from; it takes the token
# route (an RSA signature, or an unencrypted entry for EC) and answers the second call.
for case in "rsa.tss rsa.crt" "p256.tss p256.crt"; do
  read -r key certificate <<<"$case"
  before=$(emulator_stat sessions_issued)
  run_helper credential-process --cache-dir "$WORK/cache" --certificate "$WORK/$certificate" \
    --private-key "$WORK/$key" "${CHAIN[@]}" "${SESSION[@]}"
  first_status=$STATUS first_stdout=$STDOUT first_stderr=$STDERR
  run_helper credential-process --cache-dir "$WORK/cache" --certificate "$WORK/$certificate" \
    --private-key "$WORK/$key" "${CHAIN[@]}" "${SESSION[@]}"
  made=$(($(emulator_stat sessions_issued) - before))
  if [ "$first_status" -eq 0 ] && [ -z "$first_stderr" ] && [ "$STATUS" -eq 0 ] &&
    [ -z "$STDERR" ] && [ "$STDOUT" = "$first_stdout" ] && [ "$made" -eq 1 ]; then
    pass "--cache with $key: the second call is answered from the cache"
  else
    fail "--cache with $key: the second call is answered from the cache ($made sessions)"
  fi
done
secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["SecretAccessKey"])' \
  "$(run_helper credential-process --cache-dir "$WORK/cache" --certificate "$WORK/rsa.crt" \
    --private-key "$WORK/rsa.tss" "${CHAIN[@]}" "${SESSION[@]}"; echo "$STDOUT")")
check "  the RSA key's entry is encrypted (its secret key is in no cache file)" \
  bash -c '[ -n "$1" ] && ! grep -rqF -- "$1" "$2"' _ "$secret" "$WORK/cache"

# The TPM stack (tpm2.so, libtss2) is loaded for a TPM key only.
LD_DEBUG=files LD_DEBUG_OUTPUT=$WORK/ld-file "$REAL_HELPER" credential-process \
  --certificate "$PKI/rsa2048.fullchain.pem" --private-key "$PKI/rsa2048.key.pem" \
  "${SESSION[@]}" >/dev/null 2>&1
LD_DEBUG=files LD_DEBUG_OUTPUT=$WORK/ld-tpm "$REAL_HELPER" credential-process \
  --certificate "$WORK/rsa.crt" --private-key "$WORK/rsa.tss" "${CHAIN[@]}" "${SESSION[@]}" \
  >/dev/null 2>&1
check "a file key loads neither tpm2.so nor libtss2" \
  bash -c 'grep -q "libc\.so" $1.* && ! grep -Eq "file=[^ ]*(tpm2\.so|libtss2)" $1.*' _ \
  "$WORK/ld-file"
check "  a TPM key loads both" \
  bash -c 'grep -Eq "file=[^ ]*tpm2\.so" $1.* && grep -Eq "file=[^ ]*libtss2-esys" $1.*' _ \
  "$WORK/ld-tpm"

finish
