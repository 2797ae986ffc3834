#!/usr/bin/env bash
# The refresh loop against the emulator with 900-second sessions refreshed 898 s before expiry
# (the hidden --refresh-before-expiry test flag): it refreshes, a failing service keeps the old
# credentials in the file and the process alive, it recovers, a refusal is reported as such, and
# SIGTERM / SIGINT stop it cleanly.
source "$(dirname "$0")/lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
IDENTITY=(--certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem")
FILE=$AWS_SHARED_CREDENTIALS_FILE
printf '[keep]\nregion = eu-north-1\n' >"$FILE"

key_in_file() {
  python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); print(p["loop"]["aws_access_key_id"])' "$FILE" 2>/dev/null
}
key_differs_from() { local now; now=$(key_in_file) && [ -n "$now" ] && [ "$now" != "$1" ]; }
stderr_has() { grep -q "$1" "$WORK/loop.err"; }

"$HELPER" update --profile loop --session-duration 900 --refresh-before-expiry 898 \
  "${IDENTITY[@]}" "${SESSION[@]}" >"$WORK/loop.out" 2>"$WORK/loop.err" &
LOOP=$!

wait_until 10 key_differs_from "" && first=$(key_in_file) && pass "the first credentials are written ($first)" ||
  fail "the first credentials are written"
wait_until 10 key_differs_from "$first" && second=$(key_in_file) &&
  pass "they are refreshed about 2 s later ($second)" || fail "they are refreshed about 2 s later"
stderr_has "updated profile 'loop'" && pass "each refresh is reported on stderr" ||
  fail "each refresh is reported on stderr"

# An outage: every CreateSession fails with 503 for a while.
set_faults '{"fail_count":1000000,"fail_status":503}'
wait_until 15 stderr_has "refresh failed" && pass "a failing refresh is reported" ||
  { STDERR=$(tail -5 "$WORK/loop.err"); fail "a failing refresh is reported"; }
# Read once a refresh has failed: one under way when the outage began may still have succeeded,
# and none can after it.
during=$(key_in_file)
sleep 3
kill -0 "$LOOP" 2>/dev/null && pass "the process survives the outage" || fail "the process survives the outage"
[ "$(key_in_file)" = "$during" ] && pass "the old credentials stay in the file during the outage" ||
  fail "the old credentials stay in the file during the outage"
grep "refresh failed" "$WORK/loop.err" | tail -1 | grep -q "last written stay valid until" &&
  pass "the failure says how long the written credentials stay valid" ||
  { STDERR=$(tail -3 "$WORK/loop.err"); fail "the failure says how long the written credentials stay valid"; }
[ "$(python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); print(p["keep"]["region"])' "$FILE")" = eu-north-1 ] &&
  pass "the other profile is untouched" || fail "the other profile is untouched"

set_faults '{"fail_count":0}'
# Backoff is at most ~8 s after four failures; allow for it.
wait_until 25 key_differs_from "$during" && pass "it recovers once the service is back" ||
  { STDERR=$(tail -5 "$WORK/loop.err"); fail "it recovers once the service is back"; }

# A refusal (403) is a different message.
set_faults '{"fail_count":1000000,"fail_status":403}'
wait_until 15 stderr_has "refresh refused" && pass "a refusal is reported as one that retrying will not fix" ||
  { STDERR=$(tail -5 "$WORK/loop.err"); fail "a refusal is reported as one that retrying will not fix"; }
kill -0 "$LOOP" 2>/dev/null && pass "and the process keeps running" || fail "and the process keeps running"
set_faults '{"fail_count":0}'

kill -TERM "$LOOP"
wait "$LOOP"
STATUS=$?
STDERR=$(tail -3 "$WORK/loop.err")
[ "$STATUS" -eq 0 ] && stderr_has "stopped by SIGTERM" && pass "SIGTERM stops it with exit 0" ||
  fail "SIGTERM stops it with exit 0"
[ ! -s "$WORK/loop.out" ] && pass "nothing on stdout" || fail "nothing on stdout"
secret=$(python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); print(p["loop"]["aws_secret_access_key"])' "$FILE")
[ -n "$secret" ] && ! grep -qF "$secret" "$WORK/loop.err" && pass "no secret on stderr" || fail "no secret on stderr"
ls -a "$(dirname "$FILE")" | grep -q '\.tmp-' && fail "no temporary file is left" || pass "no temporary file is left"

"$HELPER" update --profile loop "${IDENTITY[@]}" "${SESSION[@]}" >/dev/null 2>"$WORK/int.err" &
LOOP=$!
# Once it has written, so the signal meets the running loop rather than a process starting up.
wait_until 20 grep -q "updated profile 'loop'" "$WORK/int.err" ||
  fail "the loop stopped by SIGINT wrote within 20 s"
kill -INT "$LOOP"
wait "$LOOP"
STATUS=$?
STDERR=$(cat "$WORK/int.err")
[ "$STATUS" -eq 0 ] && grep -q "stopped by SIGINT" "$WORK/int.err" && pass "SIGINT stops it with exit 0" ||
  fail "SIGINT stops it with exit 0"

# One updater per profile: a second one for the same profile is refused at once; --once and
# another profile are not.
"$HELPER" update --profile loop "${IDENTITY[@]}" "${SESSION[@]}" >/dev/null 2>"$WORK/first.err" &
LOOP=$!
wait_until 10 grep -q "updated profile 'loop'" "$WORK/first.err"
expect_error "a second updater of the same profile is refused" \
  "another update process is already keeping profile 'loop' in $FILE fresh" \
  update --profile loop "${IDENTITY[@]}" "${SESSION[@]}"
run_helper update --once --profile loop "${IDENTITY[@]}" "${SESSION[@]}"
check "... while --once still updates it" test "$STATUS" = 0
"$HELPER" update --profile another "${IDENTITY[@]}" "${SESSION[@]}" >/dev/null 2>"$WORK/another.err" &
ANOTHER=$!
check "... and another profile gets its own updater" wait_until 10 grep -q "updated profile 'another'" "$WORK/another.err"
kill -TERM "$LOOP" "$ANOTHER"
wait "$LOOP" "$ANOTHER"

# The file cannot be written (a directory took its place): reported, retried, the loop lives on.
FS_FILE=$WORK/fs/credentials
AWS_SHARED_CREDENTIALS_FILE=$FS_FILE "$HELPER" update --profile loop --session-duration 900 \
  --refresh-before-expiry 898 "${IDENTITY[@]}" "${SESSION[@]}" >/dev/null 2>"$WORK/fs.err" &
LOOP=$!
wait_until 10 test -s "$FS_FILE"
rm -f "$FS_FILE" && mkdir "$FS_FILE"
fs_failed() { grep -q "not a regular file" "$WORK/fs.err"; }
wait_until 10 fs_failed && grep "not a regular file" "$WORK/fs.err" | head -1 | grep -q "$FS_FILE" &&
  kill -0 "$LOOP" 2>/dev/null && pass "a file that cannot be written is reported by name and the loop lives on" ||
  { STDERR=$(tail -3 "$WORK/fs.err"); fail "a file that cannot be written is reported by name and the loop lives on"; }
kill -TERM "$LOOP"
wait "$LOOP"

# Credentials the file could not take are written again at the next attempts, not replaced by
# new CreateSessions (quota, CloudTrail): the refresh is due in 14 minutes, SIGHUP forces one
# while a directory stands in the file's place.
KEEP_FILE=$WORK/keep/credentials
AWS_SHARED_CREDENTIALS_FILE=$KEEP_FILE "$HELPER" update --debug --profile keep \
  --session-duration 900 --refresh-before-expiry 60 "${IDENTITY[@]}" "${SESSION[@]}" \
  >/dev/null 2>"$WORK/keep.err" &
LOOP=$!
wait_until 10 test -s "$KEEP_FILE"
rm -f "$KEEP_FILE" && mkdir "$KEEP_FILE"
issued=$(emulator_stat sessions_issued)
kill -HUP "$LOOP"
write_failures() { [ "$(grep -c "refresh failed (permanent).*not a regular file" "$WORK/keep.err")" -ge "$1" ]; }
check "a write that keeps failing is retried (3 attempts)" wait_until 15 write_failures 3
check "... with the credentials obtained once, not new ones each time" \
  test "$(emulator_stat sessions_issued)" = $((issued + 1))
kill -HUP "$LOOP"
issued_after() { [ "$(emulator_stat sessions_issued)" = "$1" ]; }
check "a SIGHUP meanwhile asks for new credentials all the same" wait_until 10 issued_after $((issued + 2))
issued=$((issued + 1))
rmdir "$KEEP_FILE"
keep_written() { python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); p["keep"]["aws_access_key_id"]' "$KEEP_FILE" 2>/dev/null; }
check "once the file can be written, those credentials land in it" wait_until 10 keep_written
check "... still without another CreateSession" test "$(emulator_stat sessions_issued)" = $((issued + 1))
STDERR=$(tail -5 "$WORK/keep.err")
kill -TERM "$LOOP"
wait "$LOOP"

# A failing first attempt ends the process (as aws_signing_helper does) unless --retry-errors.
set_faults '{"fail_count":1,"fail_status":403}'
expect_error "a refused first attempt ends the loop with the service's message" "AccessDenied" \
  update --profile loop "${IDENTITY[@]}" "${SESSION[@]}"
set_faults '{"fail_count":1,"fail_status":403}'
# A refusal is retried at the slowest pace, which the test hook shortens from a minute to 3 s.
"$HELPER" update --retry-errors --refresh-before-expiry 60 --profile retry "${IDENTITY[@]}" \
  "${SESSION[@]}" >/dev/null 2>"$WORK/retry.err" &
LOOP=$!
retry_written() { python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); p["retry"]["aws_access_key_id"]' "$FILE" 2>/dev/null; }
wait_until 15 retry_written && pass "--retry-errors keeps trying after a refused first attempt" ||
  { STDERR=$(cat "$WORK/retry.err"); fail "--retry-errors keeps trying after a refused first attempt"; }
check "... and says how often it retries" grep -q "AccessDenied.*; retrying every 3 s (--retry-errors)" "$WORK/retry.err"
kill -TERM "$LOOP"
wait "$LOOP"

# A transient outage at start (every attempt of the first CreateSession answered 503) does not
# end the process: it keeps trying and writes once the service recovers.
set_faults '{"fail_count":3,"fail_status":503}'
"$HELPER" update --profile outage "${IDENTITY[@]}" "${SESSION[@]}" >/dev/null 2>"$WORK/outage.err" &
LOOP=$!
outage_written() { python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); p["outage"]["aws_access_key_id"]' "$FILE" 2>/dev/null; }
wait_until 20 outage_written && kill -0 "$LOOP" 2>/dev/null &&
  pass "an outage at start is waited out, not fatal" ||
  { STDERR=$(cat "$WORK/outage.err"); fail "an outage at start is waited out, not fatal"; }
kill -TERM "$LOOP"
wait "$LOOP"

# The same outage, and then the service refuses the certificate: nothing was ever written, so
# update ends with the service's reason, as when the first attempt is refused.
set_faults '{"fail_count":3,"fail_status":503}'
cp "$FILE" "$WORK/before-refusal"
started=$SECONDS
run_helper update --profile refused --certificate "$PKI/untrusted.crt.pem" \
  --private-key "$PKI/rsa2048.key.pem" "${SESSION[@]}"
check "a refusal after an outage at start ends update with exit 1" test "$STATUS" = 1
check "... with the service's reason last, within 20 s ($((SECONDS - started)) s)" \
  bash -c '[[ "$(tail -1 <<<"$1")" == "rolesanywhere-helper: AccessDeniedException"* ]] && [ "$2" -le 20 ]' \
  _ "$STDERR" $((SECONDS - started))
check "... after saying the outage was being retried" \
  grep -q "retrying, the outage may pass" "$WORK/stderr"
check "... and the file untouched" cmp -s "$FILE" "$WORK/before-refusal"
finish
