#!/usr/bin/env bash
# --instance-property (issue 16): the pairs reach the service as CreateSession's
# instanceProperties; a profile that requires instance properties refuses a request without them
# (the emulator's --require-instance-properties); values outside the API's limits are refused
# before anything is sent.
source "$(dirname "$0")/lib.sh"
start_emulator emulator --require-instance-properties
read -ra SESSION <<<"$(session_flags)"
IDENTITY=(--certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem")

expect_credentials "credential-process with instance properties is answered" \
  "${IDENTITY[@]}" "${SESSION[@]}" --instance-property hostname=web-1 \
  --instance-property "site=eu west=2"
check "the emulator received them as instanceProperties" \
  grep -q 'with instance properties {"hostname":"web-1","site":"eu west=2"}' "$EMULATOR_LOG"

expect_error "a profile that requires instance properties refuses a request without them" \
  "AccessDeniedException: Instance properties are required by profile" \
  credential-process "${IDENTITY[@]}" "${SESSION[@]}"

requests_before=$(emulator_stat requests)
expect_error "a property without '=' names the flag" \
  '--instance-property "hostname" must be KEY=VALUE' \
  credential-process "${IDENTITY[@]}" "${SESSION[@]}" --instance-property hostname
expect_error "a value over 200 characters names the flag" \
  "the value is 201 characters long; at most 200 are allowed" \
  credential-process "${IDENTITY[@]}" "${SESSION[@]}" \
  --instance-property "k=$(printf 'v%.0s' $(seq 201))"
expect_error "a key given twice names the flag" '--instance-property "a" is given twice' \
  credential-process "${IDENTITY[@]}" "${SESSION[@]}" --instance-property a=1 \
  --instance-property a=2
check "nothing was sent for the refused values" test "$(emulator_stat requests)" = "$requests_before"

export AWS_SHARED_CREDENTIALS_FILE=$WORK/credentials
run_helper update --once "${IDENTITY[@]}" "${SESSION[@]}" --instance-property role=batch
check "update sends them too" bash -c '[ "$0" = 0 ] && grep -q "{\"role\":\"batch\"}" "$1"' \
  "$STATUS" "$EMULATOR_LOG"

finish
