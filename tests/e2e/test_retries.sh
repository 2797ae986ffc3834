#!/usr/bin/env bash
# Retries as AWS SDKs do them: 3 attempts on 5xx, throttling and connection errors; none on 4xx.
source "$(dirname "$0")/lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
IDENTITY=(--certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem")

requests_since() { echo $(($(emulator_stat requests) - $1)); }

before=$(emulator_stat requests)
set_faults '{"fail_count":2,"fail_status":500}'
expect_credentials "two 500s, then success on the third attempt" "${IDENTITY[@]}" "${SESSION[@]}"
[ "$(requests_since "$before")" -eq 3 ] && pass "three attempts were made" ||
  fail "three attempts were made (saw $(requests_since "$before"))"

before=$(emulator_stat requests)
set_faults '{"fail_count":1,"fail_status":429}'
expect_credentials "throttling is retried" "${IDENTITY[@]}" "${SESSION[@]}"

before=$(emulator_stat requests)
set_faults '{"fail_count":1,"fail_status":403}'
expect_error "403 stops at once with the service's message" "AccessDeniedException" \
  credential-process "${IDENTITY[@]}" "${SESSION[@]}"
[ "$(requests_since "$before")" -eq 1 ] && pass "a 403 is not retried" ||
  fail "a 403 is not retried (saw $(requests_since "$before") requests)"

before=$(emulator_stat requests)
set_faults '{"fail_count":5,"fail_status":503}'
expect_error "persistent 503 gives up after 3 attempts" "ServiceUnavailableException" \
  credential-process "${IDENTITY[@]}" "${SESSION[@]}"
[ "$(requests_since "$before")" -eq 3 ] && pass "gave up after exactly 3 attempts" ||
  fail "gave up after exactly 3 attempts (saw $(requests_since "$before"))"
set_faults '{"fail_count":0}'

set_faults '{"garbage_body":true}'
expect_error "a garbage answer is a clear error" "CreateSession" \
  credential-process "${IDENTITY[@]}" "${SESSION[@]}"
set_faults '{"garbage_body":false}'

before=$(emulator_stat requests)
set_faults '{"drop_connection":true}'
expect_error "a dropped connection, every time, is a transport error" "127.0.0.1" \
  credential-process "${IDENTITY[@]}" "${SESSION[@]}"
[ "$(requests_since "$before")" -eq 3 ] && pass "dropped connections are retried, 3 attempts in all" ||
  fail "dropped connections are retried (saw $(requests_since "$before") requests)"
set_faults '{"drop_connection":false}'

# A slow service (well inside the 30 s total timeout) is waited for, not retried.
before=$(emulator_stat requests)
set_faults '{"delay_ms":1500}'
started=$(date +%s%N)
expect_credentials "a slow answer is waited for" "${IDENTITY[@]}" "${SESSION[@]}"
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
[ "$elapsed_ms" -ge 1500 ] && [ "$(requests_since "$before")" -eq 1 ] &&
  pass "one slow request, ${elapsed_ms} ms" || fail "one slow request (${elapsed_ms} ms)"
set_faults '{"delay_ms":0}'

expect_credentials "healthy again" "${IDENTITY[@]}" "${SESSION[@]}"
finish
