#!/usr/bin/env bash
# Every bad input gives a clear message naming the flag or file, a non-zero exit, and nothing on
# stdout; and the service's refusals reach the user with their type and message.
source "$(dirname "$0")/lib.sh"
# No controlling terminal, or an encrypted key without --pkcs8-password would be asked for on
# the developer's terminal (test_key_password_prompt.sh tests the prompt).
without_terminal
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
CERT=(--certificate "$PKI/rsa2048.fullchain.pem")
KEY=(--private-key "$PKI/rsa2048.key.pem")

# Files.
expect_error "missing certificate file" "$WORK/nope.pem" \
  credential-process --certificate "$WORK/nope.pem" "${KEY[@]}" "${SESSION[@]}"
expect_error "missing key file" "$WORK/nope.key" \
  credential-process "${CERT[@]}" --private-key "$WORK/nope.key" "${SESSION[@]}"
expect_error "a directory is not a certificate" "$WORK" \
  credential-process --certificate "$WORK" "${KEY[@]}" "${SESSION[@]}"
: > "$WORK/empty.pem"
expect_error "empty certificate file" "$WORK/empty.pem" \
  credential-process --certificate "$WORK/empty.pem" "${KEY[@]}" "${SESSION[@]}"
expect_error "certificate file that is not a certificate" "$PKI/garbage.pem" \
  credential-process --certificate "$PKI/garbage.pem" "${KEY[@]}" "${SESSION[@]}"
expect_error "key file that is not a key" "$PKI/garbage.pem" \
  credential-process "${CERT[@]}" --private-key "$PKI/garbage.pem" "${SESSION[@]}"
expect_error "a certificate given as the key" "--private-key" \
  credential-process "${CERT[@]}" --private-key "$PKI/rsa2048.crt.pem" "${SESSION[@]}"
expect_error "missing intermediates file" "$WORK/nope-chain.pem" \
  credential-process "${CERT[@]}" "${KEY[@]}" --intermediates "$WORK/nope-chain.pem" "${SESSION[@]}"
expect_error "no certificate at all" "--certificate" credential-process "${SESSION[@]}"
# A pipe whose writer ends without writing is empty. (One that nothing ever writes to gives up
# after 10 s: tests/unit/test_identity_input_file.cpp checks that with a shorter limit.)
expect_error "process substitution that writes nothing" "is empty" \
  credential-process --certificate <(true) "${KEY[@]}" "${SESSION[@]}"

# Passwords.
expect_error "encrypted key without a password" "--pkcs8-password" \
  credential-process "${CERT[@]}" --private-key "$PKI/rsa2048.key.enc-pbkdf2.pem" "${SESSION[@]}"
expect_error "encrypted key with the wrong password" "password" \
  credential-process "${CERT[@]}" --private-key "$PKI/rsa2048.key.enc-pbkdf2.pem" \
  --pkcs8-password wrong-one "${SESSION[@]}"
expect_error "PKCS#12 with the wrong password" "password" \
  credential-process --certificate "$PKI/rsa2048.p12" --pkcs8-password wrong-one "${SESSION[@]}"
run_helper credential-process "${CERT[@]}" --private-key "$PKI/rsa2048.key.enc-pbkdf2.pem" \
  --pkcs8-password wrong-one "${SESSION[@]}"
[[ "$STDERR" != *wrong-one* ]] && pass "the wrong password is not echoed" ||
  fail "the wrong password is not echoed"

# Keys and certificates.
expect_error "key that does not match the certificate" "does not match" \
  credential-process "${CERT[@]}" --private-key "$PKI/p256.key.pem" "${SESSION[@]}"
expect_error "expired certificate" "expired" \
  credential-process --certificate "$PKI/expired.crt.pem" "${KEY[@]}" \
  --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"
expect_error "certificate not yet valid" "not valid until" \
  credential-process --certificate "$PKI/notyet.crt.pem" "${KEY[@]}" \
  --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"
expect_error "RSA key below 2048 bits" "1024" \
  credential-process --certificate "$PKI/rsa1024.crt.pem" --private-key "$PKI/rsa1024.key.pem" \
  --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"
expect_error "Ed25519 key" "Ed25519" \
  credential-process --certificate "$PKI/ed25519.crt.pem" --private-key "$PKI/ed25519.key.pem" \
  --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"

# Flags.
expect_error "malformed trust anchor ARN" "--trust-anchor-arn" \
  credential-process "${CERT[@]}" "${KEY[@]}" --trust-anchor-arn not-an-arn \
  --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN" --endpoint "$EMULATOR_URL"
expect_error "missing profile ARN" "--profile-arn" \
  credential-process "${CERT[@]}" "${KEY[@]}" --trust-anchor-arn "$TRUST_ANCHOR_ARN" \
  --role-arn "$ROLE_ARN" --endpoint "$EMULATOR_URL"
expect_error "ARN regions that disagree" "eu-west-1" \
  credential-process "${CERT[@]}" "${KEY[@]}" --trust-anchor-arn "$TRUST_ANCHOR_ARN" \
  --profile-arn "${PROFILE_ARN/us-east-1/eu-west-1}" --role-arn "$ROLE_ARN" --endpoint "$EMULATOR_URL"
expect_error "session duration out of range" "--session-duration" \
  credential-process "${CERT[@]}" "${KEY[@]}" --session-duration 60 "${SESSION[@]}"
expect_error "session duration that is not a number" "session-duration" \
  credential-process "${CERT[@]}" "${KEY[@]}" --session-duration soon "${SESSION[@]}"
expect_error "unknown flag" "--no-such-flag" \
  credential-process "${CERT[@]}" "${KEY[@]}" --no-such-flag "${SESSION[@]}"
expect_error "unknown command" "frobnicate" frobnicate
# A flag given where the command goes is named without its secret.
expect_error "a password given as the command is hidden" \
  "unknown command '--pkcs8-password=<hidden>'" --pkcs8-password=Secret-4Zt credential-process
check "the password given as the command is not shown" test "${STDERR/Secret-4Zt/}" = "$STDERR"
expect_error "a URI given as the command is shown without its PIN" \
  "unknown command 'pkcs11:token=t;pin-value=<hidden>'" 'pkcs11:token=t;pin-value=Secret-4Zt'
# A mistyped flag, or an argument after "--", is named without the password or PIN it carries.
expect_error "a malformed flag is named without its value" "malformed flag '---pkcs8-password'" \
  credential-process "${CERT[@]}" "${KEY[@]}" ---pkcs8-password=Secret-4Zt "${SESSION[@]}"
check "the malformed flag's password is not shown" test "${STDERR/Secret-4Zt/}" = "$STDERR"
expect_error "a malformed flag holding a URI is named without it" "malformed flag '-p'" \
  credential-process "${CERT[@]}" "${KEY[@]}" '-p=pkcs11:token=t;pin-value=Secret-4Zt' "${SESSION[@]}"
check "the malformed flag's PIN is not shown" test "${STDERR/Secret-4Zt/}" = "$STDERR"
expect_error "a --name=URI after -- is shown with its PIN hidden" \
  "unexpected argument '--private-key=pkcs11:token=t;pin-value=<hidden>'" \
  credential-process "${CERT[@]}" "${SESSION[@]}" -- '--private-key=pkcs11:token=t;pin-value=Secret-4Zt'
check "the PIN after -- is not shown" test "${STDERR/Secret-4Zt/}" = "$STDERR"
expect_error "a --pkcs8-password=VALUE after -- is shown with its value hidden" \
  "unexpected argument '--pkcs8-password=<hidden>'" \
  credential-process "${CERT[@]}" "${KEY[@]}" "${SESSION[@]}" -- --pkcs8-password=Secret-4Zt
check "the password after -- is not shown" test "${STDERR/Secret-4Zt/}" = "$STDERR"
expect_error "a password flag mistyped with one dash after -- is shown with its value hidden" \
  "unexpected argument '-pkcs8-password=<hidden>'" \
  credential-process "${CERT[@]}" "${KEY[@]}" "${SESSION[@]}" -- -pkcs8-password=Secret-4Zt
check "the mistyped flag's password is not shown" test "${STDERR/Secret-4Zt/}" = "$STDERR"
# A flag missing its value (an unset shell variable) takes the next argument: refused before a
# later check could show it.
expect_error "a flag that took a password flag for its value is refused, the password hidden" \
  "--role-arn took '--pkcs8-password=<hidden>' for its value" \
  credential-process "${CERT[@]}" "${KEY[@]}" --role-arn --pkcs8-password=Secret-4Zt \
  --trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$PROFILE_ARN" --endpoint "$EMULATOR_URL"
check "the password taken as a value is not shown" test "${STDERR/Secret-4Zt/}" = "$STDERR"
expect_error "a switch given a URI as its value is refused, the PIN hidden" \
  "cannot read the value 'pkcs11:token=t;pin-value=<hidden>'" \
  credential-process "${CERT[@]}" "${KEY[@]}" '--debug=pkcs11:token=t;pin-value=Secret-4Zt' \
  "${SESSION[@]}"
check "the switch's PIN is not shown" test "${STDERR/Secret-4Zt/}" = "$STDERR"
# --certificate takes "--pkcs8-password" as its value, which leaves the password stray.
expect_error "a password left stray after a flag missing its value is hidden" \
  "unexpected argument '<hidden>'" \
  credential-process --certificate --pkcs8-password Secret-4Zt "${KEY[@]}" "${SESSION[@]}"
check "the stray password is not shown" test "${STDERR/Secret-4Zt/}" = "$STDERR"
expect_error "PKCS#11 URI naming a token that is not there" "no PKCS#11 token matches" \
  credential-process --certificate 'pkcs11:token=x;object=y' "${SESSION[@]}"
# A TPM handle goes to the TPM, which is not there (test_tpm_*.sh run a software TPM).
no_tpm="no TPM could be reached through device:$WORK/no-tpm (TPM2OPENSSL_TCTI)"
[ -e "$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p')/tpm2.so" ] ||
  no_tpm="apt-get install tpm2-openssl"
TPM2OPENSSL_TCTI=device:$WORK/no-tpm expect_error "a TPM handle without a TPM says so" "$no_tpm" \
  credential-process "${CERT[@]}" --private-key handle:0x81000001 "${SESSION[@]}"
expect_error "--cert-selector is not supported yet" "--cert-selector" \
  credential-process --cert-selector 'Key=x509Subject,Value=CN=x' "${SESSION[@]}"

# The service's refusals, verified by the emulator.
expect_error "untrusted CA: AccessDeniedException" "AccessDeniedException" \
  credential-process --certificate "$PKI/untrusted.crt.pem" "${KEY[@]}" "${SESSION[@]}"
expect_error "missing intermediate: AccessDeniedException" "AccessDeniedException" \
  credential-process --certificate "$PKI/rsa2048.crt.pem" "${KEY[@]}" "${SESSION[@]}"
expect_error "CA:TRUE leaf: AccessDeniedException" "AccessDeniedException" \
  credential-process --certificate "$PKI/ca-leaf.crt.pem" --private-key "$PKI/p256.key.pem" \
  --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"
expect_error "role the trust anchor does not know" "AccessDeniedException" \
  credential-process "${CERT[@]}" "${KEY[@]}" --trust-anchor-arn "$TRUST_ANCHOR_ARN" \
  --profile-arn "$PROFILE_ARN" --role-arn arn:aws:iam::123456789012:role/other \
  --endpoint "$EMULATOR_URL"

# A clock five minutes off is a stale signature to the service.
start_emulator skewed --clock-offset 600
read -ra SKEWED <<<"$(session_flags)"
expect_error "stale X-Amz-Date" "AccessDeniedException" \
  credential-process "${CERT[@]}" "${KEY[@]}" "${SKEWED[@]}"

# A command line refused is blanked before its error is written, and one asking for help before
# the help is: with that stream a full pipe the helper waits in its write, and ps shows no
# password meanwhile.
cmdline_without_secret() {
  local pid=$1
  [ -r "/proc/$pid/cmdline" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q Secret-4Zt
}
# expect_blanked_while_writing FD DESCRIPTION ARGS...: FD 2 for an error, 1 for help.
expect_blanked_while_writing() {
  local fd=$1 description=$2
  shift 2
  local fifo=$WORK/output.fifo
  rm -f "$fifo" && mkfifo "$fifo"
  exec 3<>"$fifo"
  head -c 65536 /dev/zero >&3 # a pipe holds 64 KiB: the helper's first write waits
  if [ "$fd" = 2 ]; then
    "$HELPER" "$@" 2>"$fifo" >/dev/null &
  else
    "$HELPER" "$@" >"$fifo" 2>/dev/null &
  fi
  local pid=$!
  if wait_until 10 cmdline_without_secret "$pid" && kill -0 "$pid" 2>/dev/null; then
    pass "$description"
  else
    fail "$description"
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null
    echo
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  exec 3>&-
  rm -f "$fifo"
}
expect_blanked_while_writing 2 "a flag that does not parse: argv blanked before the error" \
  credential-process --pkcs8-password=Secret-4Zt --no-such-flag
expect_blanked_while_writing 2 "an unknown command: argv blanked before the error" \
  --pkcs8-password Secret-4Zt
expect_blanked_while_writing 2 "a bad test hook before the flags: argv blanked before the error" \
  serve --pkcs8-password=Secret-4Zt --announce-after=soon
expect_blanked_while_writing 1 "a command's --help: argv blanked before the help" \
  credential-process --pkcs8-password Secret-4Zt --help
expect_blanked_while_writing 1 "the usage text: argv blanked before it" \
  --help --pkcs8-password Secret-4Zt

# Nothing listens here.
expect_error "unreachable endpoint names the endpoint" "127.0.0.1:9" \
  credential-process "${CERT[@]}" "${KEY[@]}" --trust-anchor-arn "$TRUST_ANCHOR_ARN" \
  --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN" --endpoint http://127.0.0.1:9

finish
