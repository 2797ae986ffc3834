#!/usr/bin/env bash
# A token that holds a signature, as a YubiKey with a touch policy does while it waits for a
# finger: SIGTERM still stops serve, serve --config and update within seconds (exit 0, a line saying what was
# left unfinished), serve's endpoint is closed, and update's credentials file keeps the
# credentials last written. held_sign_pkcs11 (tests/pkcs11/held_sign_module.c) forwards every
# call to SoftHSM2 and holds C_SignInit while a gate file exists; it never opens here.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
source "$SOURCE_DIR/tests/pkcs11/token.sh"
[ -e "${HELD_SIGN_PKCS11:-}" ] ||
  { echo "skip: the test module held_sign_pkcs11 is not built (HELD_SIGN_PKCS11 unset)"; exit 77; }
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
export HELD_SIGN_MODULE=$SOFTHSM_MODULE HELD_SIGN_GATE=$WORK/gate
TOKEN_IDENTITY=(--certificate "$TOKEN;object=p256;type=cert?pin-value=$USER_PIN"
  --pkcs11-lib "$HELD_SIGN_PKCS11")
held() { [ -e "$WORK/gate.held" ]; }
hold_signatures() { rm -f "$WORK/gate.held"; touch "$WORK/gate"; }

# expect_stop_while_held WHAT STDOUT_FILE: SIGTERM stops SERVE_PID (exit 0, within seconds) while
# the token holds a signature, saying what it left; nothing on stdout, no PIN on stderr.
expect_stop_while_held() {
  expect_clean_stop TERM "$SERVE_PID" 10 "$SERVE_ERR" \
    "SIGTERM stops $1 with exit 0 within seconds while the token holds a signature"
  STDERR=$(cat "$SERVE_ERR")
  check "  $1 says it left a CreateSession unfinished" \
    grep -q "stopped by SIGTERM while a CreateSession was still in progress" "$SERVE_ERR"
  check "  nothing on stdout" test ! -s "$2"
  check "  the PIN is not on stderr" bash -c '! grep -qF -- "$1" "$2"' _ "$USER_PIN" "$SERVE_ERR"
}

# --- serve ---
HELPER=$REAL_HELPER  # signals go straight to the helper, not to the no-terminal wrapper
SERVE_IDENTITY=("${TOKEN_IDENTITY[@]}")
# A 900 s session refreshed 898 s before expiry: a new signature every 2 seconds or so.
start_serve serve --session-duration 900 --refresh-before-expiry 898 ||
  { STDERR=$(cat "$SERVE_ERR"); fail "serve starts over the token key"; finish; }
token=$(imds_token)
imds_credentials "$token"
check "serve hands out credentials signed through the forwarding module" test -n "$(json_field AccessKeyId)"
hold_signatures
check "a later refresh is held inside the token" wait_until 15 held
imds_credentials "$token"
check "the credentials obtained before are still served meanwhile" test "$HTTP_STATUS" = 200
expect_stop_while_held serve "$WORK/serve.out"
check "the endpoint is closed" bash -c '! curl -s --noproxy "*" --max-time 2 -o /dev/null "$1"' _ "$SERVE_URL"

# --- serve --config: a held binding removed by SIGHUP, then SIGTERM ---
# Two bindings, "held" over the token and "file" over a key file; while the token holds held's
# signature, a reload that removes held is not held up by it, file is still served, and SIGTERM
# stops serve within seconds, saying what it left unfinished.
rm -f "$WORK/gate"
write_fleet_config() {
  {
    echo "[defaults]"
    echo "trust-anchor-arn = \"$TRUST_ANCHOR_ARN\""
    echo "profile-arn = \"$PROFILE_ARN\""
    echo "role-arn = \"$ROLE_ARN\""
    echo "endpoint = \"$EMULATOR_URL\""
    echo "session-duration = 900"
    if [ "${1:-}" = with-held ]; then
      echo "[[binding]]"
      echo "name = \"held\""
      echo "certificate = \"$TOKEN;object=p256;type=cert?pin-value=$USER_PIN\""
      echo "pkcs11-lib = \"$HELD_SIGN_PKCS11\""
      echo "container-token-file = \"$WORK/held-token\""
    fi
    echo "[[binding]]"
    echo "name = \"file\""
    echo "certificate = \"$PKI/rsa2048.fullchain.pem\""
    echo "private-key = \"$PKI/rsa2048.key.pem\""
    echo "container-token-file = \"$WORK/file-token\""
  } >"$WORK/fleet.toml"
}
write_fleet_config with-held
"$REAL_HELPER" serve --config "$WORK/fleet.toml" --port 0 --announce-after 20 \
  --refresh-before-expiry 898 >"$WORK/fleet.out" 2>"$WORK/fleet.err" &
SERVE_PID=$!
EMULATOR_PIDS+=("$SERVE_PID")
SERVE_ERR=$WORK/fleet.err
if wait_for_bindings "$SERVE_PID" "$SERVE_ERR" "held file"; then
  pass "serve --config starts with a token binding and a file binding"
else
  STDERR=$(cat "$SERVE_ERR")
  fail "serve --config starts with a token binding and a file binding"
  finish
fi
file_credentials() {
  http_request -H "Authorization: $(cat "$WORK/file-token")" "${SERVE_URL}v1/credentials/file"
}
hold_signatures
check "serve --config: a refresh of held is held inside the token" wait_until 15 held
write_fleet_config
kill -HUP "$SERVE_PID"
check "  a SIGHUP that removes held is done within seconds all the same" \
  wait_until 10 grep -q "reloaded $WORK/fleet.toml: removed held; unchanged file" "$SERVE_ERR"
file_credentials
check "  file's clients still get credentials" test "$HTTP_STATUS" = 200
expect_stop_while_held "serve --config" "$WORK/fleet.out"

# --- update ---
rm -f "$WORK/gate"
FILE=$AWS_SHARED_CREDENTIALS_FILE
printf '# kept\n[other]\nregion = eu-north-1\n' >"$FILE"
key_in_file() {
  python3 -c 'import configparser,sys; p=configparser.RawConfigParser(); p.read(sys.argv[1]); print(p["token"]["aws_access_key_id"])' "$FILE" 2>/dev/null
}
written() { [ -n "$(key_in_file)" ]; }
"$REAL_HELPER" update --profile token --session-duration 900 --refresh-before-expiry 898 \
  "${TOKEN_IDENTITY[@]}" "${SESSION[@]}" >"$WORK/update.out" 2>"$WORK/update.err" &
UPDATE_PID=$!
EMULATOR_PIDS+=("$UPDATE_PID")
check "update writes credentials signed through the forwarding module" wait_until 15 written
hold_signatures
check "a later refresh is held inside the token" wait_until 15 held
cp "$FILE" "$WORK/credentials.held"
expect_clean_stop TERM "$UPDATE_PID" 10 "$WORK/update.err" \
  "SIGTERM stops update with exit 0 within seconds while the token holds a signature"
STDERR=$(cat "$WORK/update.err")
check "update says it left a refresh unfinished" \
  grep -q "stopped by SIGTERM while a refresh was still in progress" "$WORK/update.err"
check "the credentials file keeps the credentials last written" cmp -s "$FILE" "$WORK/credentials.held"
check "... and the other profile and comment" grep -qx "region = eu-north-1" "$FILE"
check "no temporary file is left" bash -c '! ls -a "$(dirname "$1")" | grep -q "\.tmp-"' _ "$FILE"
check "nothing on stdout" test ! -s "$WORK/update.out"
check "the PIN is not on stderr" bash -c '! grep -qF -- "$1" "$2"' _ "$USER_PIN" "$WORK/update.err"
finish
