#!/usr/bin/env bash
# Certificates renewed on disk while serve and update run, as cert-manager, step-ca or an ACME
# client renew them (written aside, renamed over): the next CreateSession is signed with the
# renewed certificate; a renewal that cannot be loaded yet (the new certificate before its new
# key, a garbage file) leaves the old identity signing and is said once on stderr; and update
# --retry-errors recovers from a refused certificate once a trusted one replaces it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
LIVE=$WORK/live
mkdir -p "$LIVE"
# put SOURCE NAME: replaces $LIVE/NAME with SOURCE the way renewal tools do.
put() { cp "$1" "$LIVE/$2.new" && mv "$LIVE/$2.new" "$LIVE/$2"; }
serial_of() { python3 -c 'import sys; print(int(sys.argv[1].split("=")[1], 16))' "$(openssl x509 -noout -serial -in "$1")"; }
# The serial of the certificate that signed the emulator's latest granted CreateSession.
last_signed_serial() { grep "201 session for" "$EMULATOR_LOG" | tail -1 | sed -n 's/.*(serial \([0-9]*\).*/\1/p'; }
signed_by() { [ "$(last_signed_serial)" = "$1" ]; }
sessions_after() { [ "$(emulator_stat sessions_issued)" -gt "$1" ]; }
P256=$(serial_of "$PKI/p256.crt.pem")
RSA=$(serial_of "$PKI/rsa2048.crt.pem")
LIVE_IDENTITY=(--certificate "$LIVE/cert.pem" --private-key "$LIVE/key.pem"
  --intermediates "$PKI/intermediates.pem")

# --- serve, refreshing every 2 s or so ---
put "$PKI/p256.crt.pem" cert.pem
put "$PKI/p256.key.pem" key.pem
SERVE_IDENTITY=("${LIVE_IDENTITY[@]}")
start_serve serve --session-duration 900 --refresh-before-expiry 898 ||
  { STDERR=$(cat "$SERVE_ERR"); fail "serve starts"; finish; }
check "serve signs with the certificate on disk at start" wait_until 10 signed_by "$P256"

# The renewal tool writes the new certificate first: it does not match the key on disk yet.
put "$PKI/rsa2048.crt.pem" cert.pem
not_usable() { [ "$(grep -c "changed on disk but cannot be used yet" "$SERVE_ERR")" -ge "$1" ]; }
check "a new certificate without its key is reported as not usable yet" wait_until 10 not_usable 1
STDERR=$(cat "$SERVE_ERR")
check "... saying why" grep -q "cannot be used yet (.*does not match" "$SERVE_ERR"
count=$(emulator_stat sessions_issued)
check "... while the old certificate keeps signing" wait_until 10 sessions_after "$((count + 1))"
check "... the p256 one" signed_by "$P256"
put "$PKI/rsa2048.key.pem" key.pem
check "once the key is there too, the renewed certificate signs" wait_until 10 signed_by "$RSA"
STDERR=$(cat "$SERVE_ERR")
check "the switch is reported" grep -q "signing from now on with the renewed certificate: subject \".*workload-rsa2048" "$SERVE_ERR"
check "the half-done renewal was reported once, not at every refresh" \
  test "$(grep -c "changed on disk but cannot be used yet" "$SERVE_ERR")" = 1
token=$(imds_token)
imds_credentials "$token"
check "the endpoint serves credentials throughout" test "$HTTP_STATUS" = 200

# A broken renewal: the certificate file is overwritten with garbage.
printf -- '-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n' >"$WORK/garbage.pem"
put "$WORK/garbage.pem" cert.pem
check "a garbage certificate file is reported" wait_until 10 not_usable 2
count=$(emulator_stat sessions_issued)
check "... and the renewed certificate loaded before keeps signing" wait_until 10 sessions_after "$((count + 1))"
check "... the rsa2048 one" signed_by "$RSA"
imds_credentials "$token"
check "... and the endpoint still serves credentials" test "$HTTP_STATUS" = 200
stop_serve TERM
check "serve stops cleanly" test "$SERVE_EXIT" = 0
check "nothing on stdout" test ! -s "$WORK/serve.out"

# --- SIGHUP: refresh now, reading renewed files, without waiting for the hour to pass ---
put "$PKI/p256.crt.pem" cert.pem
put "$PKI/p256.key.pem" key.pem
"$HELPER" update --profile hup "${LIVE_IDENTITY[@]}" "${SESSION[@]}" >"$WORK/hup.out" 2>"$WORK/hup.err" &
HUP_PID=$!
EMULATOR_PIDS+=("$HUP_PID")
hup_written() {
  python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); p["hup"]["aws_access_key_id"]' "$AWS_SHARED_CREDENTIALS_FILE" 2>/dev/null
}
check "update writes its first credentials (next refresh due in about 55 minutes)" wait_until 10 hup_written
put "$PKI/rsa2048.crt.pem" cert.pem
put "$PKI/rsa2048.key.pem" key.pem
kill -HUP "$HUP_PID"
check "SIGHUP makes it refresh now, with the renewed certificate" wait_until 10 signed_by "$RSA"
STDERR=$(cat "$WORK/hup.err")
check "... saying so" grep -q "SIGHUP: refreshing the credentials now" "$WORK/hup.err"
check "... and it keeps running" kill -0 "$HUP_PID"
expect_clean_stop TERM "$HUP_PID" 10 "$WORK/hup.err" "SIGTERM still stops it"
# Started under nohup (SIGHUP ignored by the parent), a SIGHUP stays ignored.
(trap '' HUP && exec "$HELPER" update --profile nohup "${LIVE_IDENTITY[@]}" "${SESSION[@]}") \
  >/dev/null 2>"$WORK/nohup.err" &
NOHUP_PID=$!
EMULATOR_PIDS+=("$NOHUP_PID")
nohup_written() { grep -q "updated profile 'nohup'" "$WORK/nohup.err"; }
check "update under nohup writes its credentials" wait_until 10 nohup_written
kill -HUP "$NOHUP_PID"
sleep 1
STDERR=$(cat "$WORK/nohup.err")
check "... and a SIGHUP neither ends it nor makes it refresh" \
  bash -c 'kill -0 "$1" && ! grep -q SIGHUP "$2"' _ "$NOHUP_PID" "$WORK/nohup.err"
expect_clean_stop TERM "$NOHUP_PID" 10 "$WORK/nohup.err" "... while SIGTERM still stops it"

# --- a certificate that expires while update runs, renewed late ---
"$SOURCE_DIR/testdata/make-test-pki.sh" --short-lived "$PKI" "$WORK/short.crt.pem" 30 >/dev/null
put "$WORK/short.crt.pem" cert.pem
put "$PKI/rsa2048.key.pem" key.pem
SHORT=$(serial_of "$WORK/short.crt.pem")
"$HELPER" update --profile expiring --session-duration 900 --refresh-before-expiry 898 \
  "${LIVE_IDENTITY[@]}" "${SESSION[@]}" >"$WORK/expiring.out" 2>"$WORK/expiring.err" &
EXPIRING_PID=$!
EMULATOR_PIDS+=("$EXPIRING_PID")
said() { grep -q -- "$1" "$WORK/expiring.err"; }
check "it signs with the short-lived certificate" wait_until 10 signed_by "$SHORT"
STDERR=$(cat "$WORK/expiring.err")
check "a certificate that expires within a week is warned about, with what to do" \
  said "warning: the certificate .*short-lived.* expires at .*, in [0-9]* seconds; renew the certificate file"
check "... once, not at every refresh" test "$(grep -c "warning: the certificate" "$WORK/expiring.err")" = 1
check "once it has expired, the refresh fails saying so and what to do" \
  wait_until 40 said "short-lived.* expired on .*; not sending it to the service. To recover, renew the certificate file"
requests=$(emulator_stat requests)
sleep 4  # more than the retry interval (3 s with the test hook)
check "... without sending it to the service" test "$(emulator_stat requests)" = "$requests"
check "... while the process keeps running" kill -0 "$EXPIRING_PID"
put "$PKI/rsa2048.crt.pem" cert.pem
check "the renewed certificate, put in place late, gets it going again" wait_until 10 signed_by "$RSA"
STDERR=$(cat "$WORK/expiring.err")
expect_clean_stop TERM "$EXPIRING_PID" 10 "$WORK/expiring.err" "SIGTERM stops it"

# --- update --retry-errors: a refused certificate, then a trusted one put in its place ---
put "$PKI/untrusted.crt.pem" cert.pem
put "$PKI/rsa2048.key.pem" key.pem
FILE=$AWS_SHARED_CREDENTIALS_FILE
written() {
  python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); p["renewed"]["aws_access_key_id"]' "$FILE" 2>/dev/null
}
"$HELPER" update --retry-errors --refresh-before-expiry 60 --profile renewed "${LIVE_IDENTITY[@]}" \
  "${SESSION[@]}" >"$WORK/update.out" 2>"$WORK/update.err" &
UPDATE_PID=$!
EMULATOR_PIDS+=("$UPDATE_PID")
refused() { grep -q "AccessDenied.*retrying every 3 s" "$WORK/update.err"; }
check "update is refused with the untrusted certificate and keeps trying" wait_until 10 refused
put "$PKI/rsa2048.crt.pem" cert.pem
check "a trusted certificate put in its place gets the profile written" wait_until 15 written
check "... signed with it" signed_by "$RSA"
STDERR=$(cat "$WORK/update.err")
check "update reports the renewal" grep -q "signing from now on with the renewed certificate" "$WORK/update.err"
kill -TERM "$UPDATE_PID"
wait "$UPDATE_PID"
check "update stops cleanly" test "$?" = 0
check "nothing on stdout" test ! -s "$WORK/update.out"

# --- an encrypted key whose password was typed at the prompt: the renewed key (same password)
# is read with it, without asking again ---
put "$PKI/p256.crt.pem" cert.pem
put "$PKI/p256.key.enc-pbkdf2.pem" key.pem
python3 "$SOURCE_DIR/tests/pkcs11/answer-prompt.py" "Password for " test-password "$HELPER" update \
  --profile typed --session-duration 900 --refresh-before-expiry 898 "${LIVE_IDENTITY[@]}" \
  "${SESSION[@]}" >"$WORK/typed.tty" 2>&1 &
TERMINAL_PID=$!
EMULATOR_PIDS+=("$TERMINAL_PID")
check "update on a terminal signs with the key opened by the typed password" wait_until 15 signed_by "$P256"
put "$PKI/rsa2048.crt.pem" cert.pem
put "$PKI/rsa2048.key.enc-pbkdf2.pem" key.pem
check "the renewed encrypted key is opened with the same password" wait_until 15 signed_by "$RSA"
pkill -TERM -f -- "^$HELPER update --profile typed" # the helper, not answer-prompt.py
wait "$TERMINAL_PID"
check "... and update stops cleanly" test "$?" = 0
STDOUT=$(tr -d '\r' <"$WORK/typed.tty")
check "the password was asked for once" test "$(grep -o "Password for " "$WORK/typed.tty" | wc -l)" = 1
check "the switch to the renewed key was reported" grep -q "signing from now on with the renewed certificate" "$WORK/typed.tty"
check "the typed password never shows" bash -c '! grep -q test-password "$1"' _ "$WORK/typed.tty"
finish
