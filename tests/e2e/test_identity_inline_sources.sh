#!/usr/bin/env bash
# Certificate, key and chain without files (issue 16): env:NAME (PEM or base64 DER) and fd:N,
# through credential-process, update and serve; the variable leaves the environment; a missing
# variable or a closed descriptor is a clear error naming the flag.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"

# The base64 body of a PEM file: base64 DER.
pem_body() { grep -v -- '-----' "$1"; }

# The leaf alone: the emulator (trusting the root only) accepts it only with the chain sent.
export RAH_CERT_PEM RAH_KEY_PEM RAH_CHAIN_PEM RAH_CERT_DER RAH_KEY_DER RAH_CHAIN_DER
RAH_CERT_PEM=$(cat "$PKI/p256.crt.pem")
RAH_KEY_PEM=$(cat "$PKI/p256.key.pem")
RAH_CHAIN_PEM=$(cat "$PKI/intermediates.pem")
RAH_CERT_DER=$(pem_body "$PKI/p256.crt.pem")
RAH_KEY_DER=$(pem_body "$PKI/p256.key.pem")
RAH_CHAIN_DER=$(pem_body "$PKI/intermediates.pem")

# --- credential-process ---
expect_credentials "env: PEM certificate, key and chain" \
  --certificate env:RAH_CERT_PEM --private-key env:RAH_KEY_PEM --intermediates env:RAH_CHAIN_PEM \
  "${SESSION[@]}"
expect_credentials "env: base64 DER certificate, key and chain (--flag=value form)" \
  --certificate=env:RAH_CERT_DER --private-key=env:RAH_KEY_DER --intermediates=env:RAH_CHAIN_DER \
  "${SESSION[@]}"
expect_credentials "fd: PEM certificate, key and chain" \
  --certificate fd:3 --private-key fd:4 --intermediates fd:5 "${SESSION[@]}" \
  3<"$PKI/p256.crt.pem" 4<"$PKI/p256.key.pem" 5<"$PKI/intermediates.pem"
expect_credentials "fd: DER certificate from a file, key and chain from pipes" \
  --certificate fd:3 --private-key fd:4 --intermediates fd:5 "${SESSION[@]}" \
  3<"$PKI/p256.crt.der" 4< <(cat "$PKI/p256.key.pem") 5< <(pem_body "$PKI/intermediates.pem")
expect_credentials "env: certificate beside a key file" \
  --certificate env:RAH_CERT_PEM --private-key "$PKI/p256.key.pem" \
  --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"

# --- errors: the flag, what is wrong, nothing on stdout ---
unset RAH_NOT_SET
expect_error "a missing variable names the flag" \
  "--certificate env:RAH_NOT_SET: the environment variable RAH_NOT_SET is not set" \
  credential-process --certificate env:RAH_NOT_SET --private-key env:RAH_KEY_PEM "${SESSION[@]}"
expect_error "a closed descriptor names the flag" \
  "--private-key fd:9: file descriptor 9 is not open" \
  credential-process --certificate env:RAH_CERT_PEM --private-key fd:9 "${SESSION[@]}" 9<&-
RAH_GARBAGE='MIIB=AAA' expect_error "a chain variable that is not base64 names the flag" \
  "--intermediates env:RAH_GARBAGE is neither PEM nor well-formed base64 DER" \
  credential-process --certificate env:RAH_CERT_PEM --private-key env:RAH_KEY_PEM \
  --intermediates env:RAH_GARBAGE "${SESSION[@]}"
expect_error "fd: without a number" "--private-key fd:key: fd: takes the number" \
  credential-process --certificate env:RAH_CERT_PEM --private-key fd:key "${SESSION[@]}"

# --- update ---
export AWS_SHARED_CREDENTIALS_FILE=$WORK/credentials
run_helper update --once --certificate env:RAH_CERT_DER --private-key fd:3 \
  --intermediates env:RAH_CHAIN_PEM "${SESSION[@]}" 3<"$PKI/p256.key.pem"
check "update --once with env: and fd: writes credentials" \
  bash -c '[ "$0" = 0 ] && grep -q "^aws_access_key_id = ASIA" "$1"' "$STATUS" \
  "$AWS_SHARED_CREDENTIALS_FILE"

# --- serve: credentials served, and the key no longer in the process's environment ---
export -n RAH_KEY_PEM  # holds the same base64 text: serve must not inherit it either
SERVE_IDENTITY=(--certificate env:RAH_CERT_PEM --private-key env:RAH_KEY_DER
  --intermediates env:RAH_CHAIN_PEM)
if start_serve serve; then
  imds_credentials "$(imds_token)"
  check "serve with env: certificate, key and chain serves credentials" \
    bash -c '[ "$0" = 200 ] && [[ "$1" == *AccessKeyId* ]]' "$HTTP_STATUS" "$HTTP_BODY"
  # /proc/PID/environ is the block the process started with: wiped in place, then unset.
  check "the key's variable is wiped from serve's environment" \
    bash -c '! tr "\0" "\n" <"/proc/$0/environ" | grep -q -e "^RAH_KEY_DER=." -e "${1:0:40}"' \
    "$SERVE_PID" "$RAH_KEY_DER"
  expect_clean_stop TERM "$SERVE_PID" 10 "$SERVE_ERR" "serve stops cleanly"
else
  STDERR=$(cat "$SERVE_ERR")
  fail "serve with env: certificate, key and chain starts"
fi

finish
