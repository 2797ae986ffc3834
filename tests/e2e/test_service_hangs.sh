#!/usr/bin/env bash
# A service that accepts the connection and then never answers (the emulator told to hold every
# CreateSession for ten minutes, far past libcurl's 30-second timeout): serve still announces its
# endpoint within seconds and answers 503, and SIGTERM/SIGINT stop serve and update at once
# instead of after the timeouts of three attempts. The bounds below are ten times what the
# behaviour needs and a third of one timeout: they tell "stopped waiting" from "waited it out".
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
set_faults '{"delay_ms":600000}'

requests_reached() { [ "$(emulator_stat requests)" -ge "$1" ]; }

# --- serve ---
before=$(emulator_stat requests)
started=$SECONDS
"$HELPER" serve --port 0 "${SERVE_IDENTITY[@]}" "${SESSION[@]}" >"$WORK/serve.out" \
  2>"$WORK/serve.err" &
SERVE_PID=$!
EMULATOR_PIDS+=("$SERVE_PID")
STDERR_FILE=$WORK/serve.err
if wait_for_serve_lines "$SERVE_PID" "$WORK/serve.err" && [ $((SECONDS - started)) -le 10 ]; then
  pass "serve announces its endpoint while the first CreateSession hangs"
else
  STDERR=$(cat "$WORK/serve.err")
  fail "serve announces its endpoint while the first CreateSession hangs"
fi
STDERR=$(cat "$WORK/serve.err")
check "the first CreateSession really is waiting on the service" requests_reached $((before + 1))
check "it says the service has not answered yet" \
  wait_until 5 grep -q "has not answered the first CreateSession yet" "$WORK/serve.err"
token=$(imds_token)
imds_credentials "$token"
STDOUT=$HTTP_BODY
check "the credentials path answers 503 with a JSON reason meanwhile" credentials_unavailable

expect_clean_stop TERM "$SERVE_PID" 10 "$WORK/serve.err" \
  "SIGTERM stops serve cleanly (exit 0) without waiting for the service"
STDERR=$(cat "$WORK/serve.err")
check "a stop is not reported as a failure" bash -c '! grep -qiE "error|failed" "$1"' _ "$WORK/serve.err"
check "nothing on stdout" test ! -s "$WORK/serve.out"

# --- update ---
FILE=$AWS_SHARED_CREDENTIALS_FILE
printf '# kept\n[hang]\naws_access_key_id = OLDKEY\n\n[other]\nregion = eu-north-1\n' >"$FILE"
cp "$FILE" "$WORK/credentials.before"
before=$(emulator_stat requests)
"$HELPER" update --profile hang --certificate "$PKI/p256.fullchain.pem" \
  --private-key "$PKI/p256.key.pem" "${SESSION[@]}" >"$WORK/update.out" 2>"$WORK/update.err" &
UPDATE_PID=$!
EMULATOR_PIDS+=("$UPDATE_PID")
check "update's first CreateSession is waiting on the service" wait_until 10 requests_reached $((before + 1))
sleep 0.5  # well inside the transfer: the request has been sent, no answer is coming
expect_clean_stop INT "$UPDATE_PID" 10 "$WORK/update.err" \
  "SIGINT stops update cleanly (exit 0) without waiting for the service"
STDERR=$(cat "$WORK/update.err")
check "update says it stopped before the first refresh and left the profile alone" \
  grep -q "stopped by SIGINT before the first refresh finished; the profile was not changed" "$WORK/update.err"
check "the credentials file is byte for byte as before" cmp -s "$FILE" "$WORK/credentials.before"

# The emulator holds connections for ten minutes; a SIGTERM would wait for them.
for pid in "${EMULATOR_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
finish
