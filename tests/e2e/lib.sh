# Shared by the end-to-end tests: a private work directory, a test PKI, the emulator started on a
# free loopback port, and assertions on the helper's exit code, stdout and stderr.
# Every test sources this, then calls its own checks; `finish` prints the tally and exits.
set -uo pipefail

: "${HELPER:?HELPER must point at the rolesanywhere-helper binary}"
: "${EMULATOR:?EMULATOR must point at the rolesanywhere-emulator binary}"
: "${SOURCE_DIR:?SOURCE_DIR must point at the source tree}"
: "${WORK_ROOT:=${TMPDIR:-/tmp}/rolesanywhere-e2e}"

TEST_NAME=$(basename "$0" .sh)
WORK=$WORK_ROOT/$TEST_NAME
rm -rf "$WORK" && mkdir -p "$WORK"
# As root, update refuses credentials files on a path another user could change (a build tree
# owned by someone else, or made with umask 002): the tests then work in a private directory
# under /tmp instead, which root controls.
controlled_by_root() {
  local path
  path=$(cd "$1" && pwd -P) || return 1
  while :; do
    [ "$(stat -c %u "$path")" = 0 ] || return 1
    local mode
    mode=0$(stat -c %a "$path")
    # writable by group or others, and not sticky
    [ $((mode & 022)) = 0 ] || [ $((mode & 01000)) != 0 ] || return 1
    [ "$path" = / ] && return 0
    path=$(dirname "$path")
  done
}
if [ "$(id -u)" = 0 ] && ! controlled_by_root "$WORK"; then
  rm -rf "$WORK"
  WORK=$(mktemp -d "/tmp/rolesanywhere-e2e-$TEST_NAME.XXXXXX")
  PRIVATE_WORK=$WORK  # removed by cleanup
fi
PASSED=0
FAILED=0
SKIPPED=0

# This machine sets CA bundle and proxy variables; tests decide them explicitly for every
# process, or they would test the machine instead of the code.
unset AWS_CA_BUNDLE SSL_CERT_FILE CURL_CA_BUNDLE REQUESTS_CA_BUNDLE
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials

TRUST_ANCHOR_ARN=arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a1b2c3d4-0000-4000-8000-00000000000a
PROFILE_ARN=arn:aws:rolesanywhere:us-east-1:123456789012:profile/a1b2c3d4-0000-4000-8000-00000000000b
ROLE_ARN=arn:aws:iam::123456789012:role/rolesanywhere-test

# One PKI per build tree, shared by the tests (ctest runs them in parallel, hence the lock).
PKI=$WORK_ROOT/pki
(
  flock 9
  [ -f "$PKI/.complete" ] || { rm -rf "$PKI" && "$SOURCE_DIR/testdata/make-test-pki.sh" "$PKI" >/dev/null && touch "$PKI/.complete"; }
) 9>"$WORK_ROOT/pki.lock" || { echo "could not make the test PKI" >&2; exit 1; }

EMULATOR_PIDS=()
cleanup() {
  for pid in "${EMULATOR_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  [ -z "${PRIVATE_WORK:-}" ] || rm -rf "$PRIVATE_WORK"
}
trap cleanup EXIT

# start_emulator NAME [extra emulator flags]: sets EMULATOR_URL (and EMULATOR_LOG).
start_emulator() {
  local name=$1
  shift
  local port_file=$WORK/$name.port
  rm -f "$port_file"
  EMULATOR_LOG=$WORK/$name.log
  "$EMULATOR" --port 0 --port-file "$port_file" --ca "$PKI/root-ca.pem" \
    --trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN" \
    --verbose "$@" >"$EMULATOR_LOG" 2>&1 &
  EMULATOR_PIDS+=($!)
  for _ in $(seq 100); do
    [ -s "$port_file" ] && break
    sleep 0.05
  done
  [ -s "$port_file" ] || { echo "emulator did not start:"; cat "$EMULATOR_LOG"; exit 1; }
  local scheme=http
  case " $* " in *" --tls-cert "*) scheme=https ;; esac
  EMULATOR_URL=$scheme://127.0.0.1:$(cat "$port_file")
}

# emulator_stat FIELD: a number from the emulator's /_emulator/stats.
emulator_stat() {
  curl -sk --noproxy '*' "$EMULATOR_URL/_emulator/stats" |
    python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

# set_faults JSON: change the emulator's fault injection at run time.
set_faults() {
  curl -sk --noproxy '*' -X POST -H 'Content-Type: application/json' -d "$1" \
    "$EMULATOR_URL/_emulator/faults" >/dev/null
}

# without_terminal: from here on, HELPER runs in a new session with no controlling terminal, so
# a password or PIN prompt fails fast with its "no terminal" error instead of waiting for
# someone at the developer's terminal. REAL_HELPER keeps the binary itself.
without_terminal() {
  REAL_HELPER=${REAL_HELPER:-$HELPER}
  HELPER=$WORK/helper-without-terminal
  printf '#!/bin/sh\nexec setsid -w "%s" "$@"\n' "$REAL_HELPER" >"$HELPER"
  chmod +x "$HELPER"
}

# wait_until SECONDS COMMAND...: polls until the command succeeds.
wait_until() {
  local limit=$1
  shift
  for _ in $(seq $((limit * 20))); do "$@" && return 0; sleep 0.05; done
  return 1
}

# exits_within SECONDS PID: waits for PID (a child of this shell) to exit; sets EXIT_STATUS.
# Fails if it is still running then.
exits_within() {
  local limit=$1 pid=$2
  wait_until "$limit" bash -c '! kill -0 "$1" 2>/dev/null' _ "$pid" || return 1
  wait "$pid"
  EXIT_STATUS=$?
}

# expect_clean_stop SIGNAL PID SECONDS STDERR_FILE DESCRIPTION: sends SIGNAL to PID and checks
# that it exits with status 0 within SECONDS (killing it if not), showing STDERR_FILE on failure.
expect_clean_stop() {
  local signal=$1 pid=$2 limit=$3 stderr_file=$4 description=$5 started=$SECONDS
  kill "-$signal" "$pid"
  if exits_within "$limit" "$pid"; then
    STDERR=$(cat "$stderr_file")
    check "$description ($((SECONDS - started)) s)" test "$EXIT_STATUS" = 0
  else
    STDERR=$(cat "$stderr_file")
    fail "$description (still running after $limit s)"
    kill -KILL "$pid" 2>/dev/null
  fi
}

# run_helper ARGS...: runs the helper, keeping exit code, stdout and stderr.
run_helper() {
  "$HELPER" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  STATUS=$?
  STDOUT=$(cat "$WORK/stdout")
  STDERR=$(cat "$WORK/stderr")
}

# The session flags every credential-process call needs.
session_flags() {
  echo --trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN" \
    --endpoint "$EMULATOR_URL"
}

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
# check DESCRIPTION CONDITION...: pass when the command succeeds.
check() {
  local description=$1
  shift
  if "$@"; then pass "$description"; else fail "$description"; fi
}
# skip DESCRIPTION REASON: a check this machine cannot make; counted and shown in the tally.
skip() { SKIPPED=$((SKIPPED + 1)); echo "SKIPPED - $1: $2"; }
fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL - $1"
  echo "  exit status: ${STATUS:-?}"
  echo "  stdout: ${STDOUT:-}" | head -c 2000
  echo
  echo "  stderr: ${STDERR:-}" | head -c 2000
  echo
}

# The credential_process JSON: exact keys in order, non-empty values, nothing on stderr.
valid_credentials_json() {
  python3 - "$1" <<'PY'
import json, re, sys
data = json.loads(sys.argv[1], object_pairs_hook=lambda pairs: pairs)
keys = [k for k, _ in data]
assert keys == ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"], keys
values = dict(data)
assert values["Version"] == 1
assert re.fullmatch(r"ASIA[A-Z0-9]{16}", values["AccessKeyId"]), values["AccessKeyId"]
assert values["SecretAccessKey"] and values["SessionToken"]
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", values["Expiration"]), values["Expiration"]
PY
}

# expect_credentials DESCRIPTION HELPER_ARGS...: success with valid JSON and a silent stderr.
expect_credentials() {
  local description=$1
  shift
  run_helper credential-process "$@"
  if [ "$STATUS" -eq 0 ] && [ -z "$STDERR" ] && valid_credentials_json "$STDOUT" 2>/dev/null; then
    pass "$description"
  else
    fail "$description"
  fi
}

# expect_error DESCRIPTION EXPECTED_TEXT HELPER_ARGS...: non-zero exit, nothing on stdout, and
# a message on stderr containing EXPECTED_TEXT.
expect_error() {
  local description=$1 expected=$2
  shift 2
  run_helper "$@"
  if [ "$STATUS" -ne 0 ] && [ -z "$STDOUT" ] && [[ "$STDERR" == *"$expected"* ]]; then
    pass "$description"
  else
    fail "$description (expected a failure mentioning: $expected)"
  fi
}

finish() {
  if [ "$SKIPPED" -gt 0 ]; then
    echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
  else
    echo "$PASSED passed, $FAILED failed"
  fi
  [ "$FAILED" -eq 0 ]
  exit $?
}
