#!/usr/bin/env bash
# What goes wrong with TPM keys, each a clear message, a non-zero exit and nothing on stdout: no
# TPM reachable (naming what was tried, with none of the TSS's own log lines), the tpm2 provider
# not installed, a handle that does not exist, a key file made by another TPM, keys without the
# sign attribute, a key that does not match the certificate, a password needed without a
# terminal, a wrong password, and the TPM's dictionary-attack lockout. A wrong password is
# tried exactly once (the TPM's lockout counter says so), and a key that needs a password is
# never tried without one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tpm_lib.sh"
start_tpm tpm
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
PASSWORD=right-Pw-31
CHAIN=(--intermediates "$PKI/intermediates.pem")

tpm_key p256 "$WORK/p256.tss" && tpm_certificate "$WORK/p256.tss" tpm-p256 "$WORK/p256.crt" &&
  tpm_key rsa2048 "$WORK/rsa-pw.tss" "$PASSWORD" &&
  tpm_certificate "$WORK/rsa-pw.tss" tpm-rsa-pw "$WORK/rsa-pw.crt" "$PASSWORD" &&
  tpm_persistent_key 0x81000002 rsa2048 "$PASSWORD" &&
  tpm_certificate handle:0x81000002 tpm-handle "$WORK/handle.crt" "$PASSWORD" &&
  tpm_persistent_key 0x81000003 rsa2048 "" decrypt &&
  tpm_key_without_sign "$WORK/nosign.tss" ||
  { echo "could not make the TPM keys and their certificates"; exit 1; }
MAIN_TPM=$TPM_TCTI
start_tpm other-tpm
tpm_key p256 "$WORK/other-tpm.tss" &&
  tpm_certificate "$WORK/other-tpm.tss" tpm-other "$WORK/other-tpm.crt" ||
  { echo "could not make the key of the other TPM"; exit 1; }
stop_tpm
export TPM2OPENSSL_TCTI=$MAIN_TPM TPM2TOOLS_TCTI=$MAIN_TPM
unset TSS2_LOG  # the helper must keep the TSS quiet by itself
without_terminal

P256=(--certificate "$WORK/p256.crt" --private-key "$WORK/p256.tss" "${CHAIN[@]}" "${SESSION[@]}")
# expect_one_line_error DESCRIPTION EXPECTED ARGS...: expect_error, and stderr is that one line.
expect_one_line_error() {
  expect_error "$@"
  [ "$(wc -l <"$WORK/stderr")" -le 1 ] && pass "  one line on stderr, none of the TSS's own" ||
    fail "  one line on stderr, none of the TSS's own"
}

# Reaching the TPM.
dead_port=$(free_port_pair)
TPM2OPENSSL_TCTI=swtpm:host=127.0.0.1,port=$dead_port expect_one_line_error \
  "no TPM at TPM2OPENSSL_TCTI" \
  "no TPM could be reached through swtpm:host=127.0.0.1,port=$dead_port (TPM2OPENSSL_TCTI)" \
  credential-process "${P256[@]}"
unset TPM2OPENSSL_TCTI
TPM_DEVICE=$WORK/no-such-tpm expect_one_line_error "no TPM at TPM_DEVICE" \
  "no TPM could be reached through device:$WORK/no-such-tpm (TPM_DEVICE=$WORK/no-such-tpm)" \
  credential-process "${P256[@]}"
if [ -e /dev/tpmrm0 ] || [ -e /dev/tpm0 ]; then
  skip "no TPM through the TSS's defaults" "this machine has a TPM device"
else
  expect_one_line_error "no TPM through the TSS's defaults" \
    "no TPM could be reached through the TSS's default TCTIs (tabrmd, device:/dev/tpmrm0" \
    credential-process "${P256[@]}"
fi
export TPM2OPENSSL_TCTI=$MAIN_TPM
mkdir -p "$WORK/no-modules"
OPENSSL_MODULES=$WORK/no-modules expect_error "the tpm2 provider not installed: names the package" \
  "not installed (no $WORK/no-modules/tpm2.so); on Debian and Ubuntu: apt-get install tpm2-openssl" \
  credential-process "${P256[@]}"

# Keys the TPM cannot use for this.
expect_error "a handle that does not exist" \
  "TPM key --private-key handle:0x81000009 does not exist in the TPM reached through $MAIN_TPM" \
  credential-process --certificate "$WORK/p256.crt" --private-key handle:0x81000009 \
  --no-tpm-key-password "${SESSION[@]}"
expect_error "a key file made by another TPM" \
  "other-tpm.tss cannot be loaded into the TPM reached through $MAIN_TPM (TPM2OPENSSL_TCTI): the TPM cannot unwrap it under the owner hierarchy's primary key" \
  credential-process --certificate "$WORK/other-tpm.crt" --private-key "$WORK/other-tpm.tss" \
  "${CHAIN[@]}" "${SESSION[@]}"
expect_error "a key file without the sign attribute" \
  "nosign.tss cannot sign: its sign attribute is not set" \
  credential-process --certificate "$WORK/p256.crt" --private-key "$WORK/nosign.tss" \
  "${SESSION[@]}"
expect_error "a handle without the sign attribute" \
  "TPM key --private-key handle:0x81000003 cannot sign (tpm:" \
  sign-string --private-key handle:0x81000003 --no-tpm-key-password
expect_error "a key that does not match the certificate" \
  "the TPM key --private-key $WORK/p256.tss does not match the certificate in --certificate $WORK/rsa-pw.crt" \
  credential-process --certificate "$WORK/rsa-pw.crt" --private-key "$WORK/p256.tss" \
  "${CHAIN[@]}" "${SESSION[@]}"
expect_error "sign-string: a key that does not match the certificate" "does not match the certificate" \
  sign-string --certificate "$WORK/rsa-pw.crt" --private-key "$WORK/p256.tss"

# Flags.
expect_error "--tpm-key-password with --no-tpm-key-password" "contradict each other" \
  credential-process --tpm-key-password x --no-tpm-key-password "${P256[@]}"
expect_error "a handle outside the persistent range" "handle:0x81xxxxxx" \
  credential-process --certificate "$WORK/p256.crt" --private-key handle:0x1234 "${SESSION[@]}"
expect_error "a handle as --certificate" "a TPM key is given with --private-key" \
  credential-process --certificate handle:0x81000002 --private-key "$WORK/p256.tss" "${SESSION[@]}"

# Passwords: never an empty one on a key that has one, a wrong one exactly once.
lockout=$(tpm_lockout_counter)
expect_error "a key file with a password, none given and no terminal" \
  "rsa-pw.tss has a password (its file says so) and there is no terminal to ask for it: give it with --tpm-key-password" \
  credential-process --certificate "$WORK/rsa-pw.crt" --private-key "$WORK/rsa-pw.tss" \
  "${CHAIN[@]}" "${SESSION[@]}"
expect_error "a handle, no password flag and no terminal" \
  "handle:0x81000002 may have a password (a handle does not say) and there is no terminal to ask for it: give it with --tpm-key-password, or --no-tpm-key-password when the key has none" \
  credential-process --certificate "$WORK/handle.crt" --private-key handle:0x81000002 \
  "${CHAIN[@]}" "${SESSION[@]}"
check "  neither was tried without a password (lockout counter still $lockout)" \
  test "$(tpm_lockout_counter)" -eq "$lockout"

expect_error "a wrong password for a key file" \
  "wrong password for TPM key --private-key $WORK/rsa-pw.tss" \
  credential-process --certificate "$WORK/rsa-pw.crt" --private-key "$WORK/rsa-pw.tss" \
  --tpm-key-password wrong-one "${CHAIN[@]}" "${SESSION[@]}"
check "  tried once (lockout counter $lockout -> $(tpm_lockout_counter))" \
  test "$(tpm_lockout_counter)" -eq $((lockout + 1))
[[ "$STDERR" != *wrong-one* ]] && pass "  the password is not in the message" ||
  fail "  the password is not in the message"
expect_error "a wrong password for an RSA handle, with --cache (which signs first)" \
  "wrong password for TPM key --private-key handle:0x81000002" \
  credential-process --cache-dir "$WORK/cache" --certificate "$WORK/handle.crt" \
  --private-key handle:0x81000002 --tpm-key-password wrong-two "${CHAIN[@]}" "${SESSION[@]}"
check "  tried once (lockout counter $((lockout + 1)) -> $(tpm_lockout_counter))" \
  test "$(tpm_lockout_counter)" -eq $((lockout + 2))

# swtpm allows three failures; the third puts it in lockout, and then even the right password
# is refused, in words that say why.
run_helper credential-process --certificate "$WORK/handle.crt" --private-key handle:0x81000002 \
  --tpm-key-password wrong-three "${CHAIN[@]}" "${SESSION[@]}"
expect_error "the TPM in dictionary-attack lockout" \
  "it is in dictionary-attack lockout after too many wrong passwords" \
  credential-process --certificate "$WORK/handle.crt" --private-key handle:0x81000002 \
  --tpm-key-password "$PASSWORD" "${CHAIN[@]}" "${SESSION[@]}"
expect_error "  which refuses keys without a password too (unless made with noDA)" \
  "dictionary-attack lockout" credential-process "${P256[@]}"

finish
