#!/usr/bin/env bash
# serve and update over a key inside a software TPM (swtpm): serve loads the key once and signs
# every refresh with it; when the TPM restarts under it (its loaded objects gone, as after a
# resource manager or swtpm restart) the key is loaded again once and refreshes go on; update
# --once writes credentials signed in the TPM.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
source "$(dirname "$0")/tpm_lib.sh"
start_tpm tpm
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
PASSWORD=serve-Pw-77
CHAIN=(--intermediates "$PKI/intermediates.pem")

tpm_key rsa2048 "$WORK/rsa.tss" "$PASSWORD" &&
  tpm_certificate "$WORK/rsa.tss" tpm-rsa "$WORK/rsa.crt" "$PASSWORD" &&
  tpm_persistent_key 0x81000002 p256 &&
  tpm_certificate handle:0x81000002 tpm-handle "$WORK/handle.crt" ||
  { echo "could not make the TPM keys and their certificates"; exit 1; }
unset TSS2_LOG
without_terminal

# loads_in FILE: how many times the helper loaded the TPM key (its --debug line).
loads_in() { grep -c "^debug: TPM: loaded TPM key" "$1" || true; }

# serve: a 900 s session refreshed 898 s before expiry, a refresh every 2 seconds or so.
SERVE_IDENTITY=(--certificate "$WORK/rsa.crt" --private-key "$WORK/rsa.tss" --tpm-key-password
  "$PASSWORD" "${CHAIN[@]}")
start_serve serve --debug --session-duration 900 --refresh-before-expiry 898 ||
  { STDERR=$(cat "$SERVE_ERR"); fail "serve started over a TPM key with a password"; finish; }
pass "serve started over a TPM key with a password"
token=$(imds_token)
collect_successive_keys 4 "$token" && pass "serve handed out 4 successive credentials" ||
  fail "serve handed out 4 successive credentials (got ${#KEYS[@]})"
check "  all signed with the key loaded once ($(loads_in "$SERVE_ERR") load)" \
  test "$(loads_in "$SERVE_ERR")" -eq 1

# The TPM restarts: the key's loaded object is gone; the next refresh loads it again, once.
restart_tpm
collect_successive_keys 3 "$token" && pass "after the TPM restarted, refreshes go on" ||
  fail "after the TPM restarted, refreshes go on (got ${#KEYS[@]})"
check "  the key was loaded again once ($(loads_in "$SERVE_ERR") loads in all)" \
  test "$(loads_in "$SERVE_ERR")" -eq 2
check "  --debug says why" grep -q "TPM: the TPM went away (" "$SERVE_ERR"

# The TPM stops answering for a while: refreshes fail (and say why) until it is back, then go on.
stop_tpm
wait_until 15 grep -q "could not be loaded again: no TPM could be reached through $TPM_TCTI" \
  "$SERVE_ERR" && pass "with the TPM gone, a refresh fails saying the TPM cannot be reached" ||
  fail "with the TPM gone, a refresh fails saying the TPM cannot be reached"
run_swtpm || { echo "swtpm did not start again"; exit 1; }
collect_successive_keys 2 "$token" && pass "  and once it is back, refreshes go on" ||
  fail "  and once it is back, refreshes go on (got ${#KEYS[@]})"
stop_serve TERM
STDERR=$(tail -5 "$SERVE_ERR")
check "SIGTERM stops serve cleanly" test "$SERVE_EXIT" -eq 0
check "  the password never showed in its --debug output" \
  bash -c '! grep -qF -- "$1" "$2"' _ "$PASSWORD" "$SERVE_ERR"
check "  and it left no object loaded in the TPM" test "$(tpm_transient_objects)" -eq 0

# serve over a persistent handle, refreshing twice.
SERVE_IDENTITY=(--certificate "$WORK/handle.crt" --private-key handle:0x81000002
  --no-tpm-key-password "${CHAIN[@]}")
start_serve serve-handle --session-duration 900 --refresh-before-expiry 898 &&
  collect_successive_keys 2 "$(imds_token)" && pass "serve over a persistent handle refreshes" ||
  { STDERR=$(cat "$SERVE_ERR"); fail "serve over a persistent handle refreshes"; }
stop_serve TERM

# update --once.
FILE=$AWS_SHARED_CREDENTIALS_FILE
run_helper update --once --profile tpm --certificate "$WORK/rsa.crt" --private-key \
  "$WORK/rsa.tss" --tpm-key-password "$PASSWORD" "${CHAIN[@]}" "${SESSION[@]}"
key=$(python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); print(p["tpm"]["aws_access_key_id"])' "$FILE" 2>/dev/null)
if [ "$STATUS" -eq 0 ] && [ -z "$STDOUT" ] && [[ "$key" == ASIA* ]]; then
  pass "update --once writes credentials signed by the TPM key"
else
  fail "update --once writes credentials signed by the TPM key (key: $key)"
fi
check "  without the password in the file" bash -c '! grep -qF -- "$1" "$2"' _ "$PASSWORD" "$FILE"

finish
