#!/usr/bin/env bash
# credential-process --cache against the emulator: repeated calls make one CreateSession, every
# change of what shapes the answer gets its own entry, concurrent calls on a cold cache make one
# CreateSession, and a cache that is damaged, foreign, unsafe or read-only never breaks a call
# (correct credentials on stdout, nothing on stderr). Secrets never sit in the cache in clear for
# a file key, and a call answered from the cache does not load libcurl.
source "$(dirname "$0")/lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
export XDG_CACHE_HOME=$WORK/xdg-cache
CACHE=$XDG_CACHE_HOME/rolesanywhere-helper
CERTIFICATE=$WORK/live.crt.pem
KEY=$WORK/live.key.pem
cp "$PKI/p256.fullchain.pem" "$CERTIFICATE"
cp "$PKI/p256.key.pem" "$KEY"
IDENTITY=(--certificate "$CERTIFICATE" --private-key "$KEY")

issued() { emulator_stat sessions_issued; }
# cached_call DESCRIPTION EXPECTED_NEW_SESSIONS ARGS...: valid JSON, a silent stderr, and exactly
# that many CreateSessions made by the call.
cached_call() {
  local description=$1 expected=$2 before
  shift 2
  before=$(issued)
  run_helper credential-process "$@"
  local made=$(($(issued) - before))
  if [ "$STATUS" -eq 0 ] && [ -z "$STDERR" ] && valid_credentials_json "$STDOUT" 2>/dev/null &&
    [ "$made" -eq "$expected" ]; then
    pass "$description"
  else
    STDERR="$STDERR (CreateSessions made: $made, expected $expected)"
    fail "$description"
  fi
}

cached_call "a first call with --cache asks the service" 1 --cache "${IDENTITY[@]}" "${SESSION[@]}"
first=$STDOUT
cached_call "a second call is answered from the cache" 0 --cache "${IDENTITY[@]}" "${SESSION[@]}"
check "and prints the same credentials" [ "$STDOUT" = "$first" ]
check "the cache directory is 0700" [ "$(stat -c %a "$CACHE")" = 700 ]
check "every file in it is 0600" \
  bash -c '! find "$1" -type f ! -perm 600 | grep -q .' _ "$CACHE"

secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["SecretAccessKey"])' "$first")
token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["SessionToken"])' "$first")
check "the secret access key is in no cache file (file keys encrypt)" \
  bash -c '! grep -rqF -- "$1" "$2"' _ "$secret" "$CACHE"
check "nor the session token" bash -c '! grep -rqF -- "$1" "$2"' _ "$token" "$CACHE"

cached_call "--no-cache always calls the service" 1 --cache --no-cache "${IDENTITY[@]}" "${SESSION[@]}"
cached_call "without --cache the service is called, as before" 1 "${IDENTITY[@]}" "${SESSION[@]}"
cached_call "another role gets its own entry" 1 --cache "${IDENTITY[@]}" "${SESSION[@]}" \
  --role-session-name other-session
cached_call "another session duration too" 1 --cache "${IDENTITY[@]}" "${SESSION[@]}" \
  --session-duration 1800
cached_call "a run with --no-verify-ssl gets its own entry, never one runs that verify TLS use" 1 \
  --cache --no-verify-ssl "${IDENTITY[@]}" "${SESSION[@]}"
cached_call "credentials with less than --cache-min-remaining left get a fresh session" 1 \
  --cache --cache-min-remaining 3600 "${IDENTITY[@]}" "${SESSION[@]}"
cached_call "--cache-dir chooses the place (and turns the cache on)" 1 \
  --cache-dir "$WORK/elsewhere" "${IDENTITY[@]}" "${SESSION[@]}"
cached_call "  and answers from it next time" 0 --cache-dir "$WORK/elsewhere" "${IDENTITY[@]}" \
  "${SESSION[@]}"
expect_error "--cache-min-remaining must be a number of seconds" "--cache-min-remaining" \
  credential-process --cache --cache-min-remaining soon "${IDENTITY[@]}" "${SESSION[@]}"

# --debug says where the answer came from, and never shows a secret.
run_helper credential-process --cache --debug "${IDENTITY[@]}" "${SESSION[@]}"
check "--debug says the answer came from the cache" grep -q "cache: " "$WORK/stderr"
check "  and shows no secret" bash -c '! grep -qF -- "$1" "$2"' _ "$secret" "$WORK/stderr"

# A renewed certificate (another key, another certificate) gets a fresh session.
cp "$PKI/rsa2048.fullchain.pem" "$CERTIFICATE"
cp "$PKI/rsa2048.key.pem" "$KEY"
cached_call "a renewed certificate gets a fresh session" 1 --cache "${IDENTITY[@]}" "${SESSION[@]}"
cached_call "  and then its own entry" 0 --cache "${IDENTITY[@]}" "${SESSION[@]}"

# Damaged and foreign entries: ignored and replaced, never trusted, never an error.
entries() { find "$CACHE" -maxdepth 1 -type f ! -name '*.lock' ! -name '.*'; }
for entry in $(entries); do printf 'garbage' >"$entry"; done
cached_call "corrupt entries are replaced by a fresh session" 1 --cache "${IDENTITY[@]}" "${SESSION[@]}"
cached_call "  which is then used" 0 --cache "${IDENTITY[@]}" "${SESSION[@]}"
for entry in $(entries); do head -c 20 "$entry" >"$entry.cut" && mv "$entry.cut" "$entry"; done
cached_call "truncated entries too" 1 --cache "${IDENTITY[@]}" "${SESSION[@]}"
# Every entry replaced by a copy of another one: decrypts with no key but its own.
mapfile -t all < <(entries)
if [ "${#all[@]}" -ge 2 ]; then
  for entry in "${all[@]}"; do [ "$entry" != "${all[0]}" ] && cp "${all[0]}" "$entry"; done
  cp "${all[1]}" "${all[0]}"
  cached_call "an entry copied from another key is not used" 1 --cache "${IDENTITY[@]}" \
    "${SESSION[@]}"
else
  fail "the cache holds at least two entries by now (found ${#all[@]})"
fi

# An unsafe directory is neither used nor repaired.
chmod 0777 "$CACHE"
cached_call "a cache directory writable by others is not used" 1 --cache "${IDENTITY[@]}" \
  "${SESSION[@]}"
cached_call "  on any call" 1 --cache "${IDENTITY[@]}" "${SESSION[@]}"
check "  nor repaired" [ "$(stat -c %a "$CACHE")" = 777 ]
chmod 0700 "$CACHE"

# A read-only cache: the call goes to the service and succeeds. (root ignores mode bits, so the
# directory is made unwritable for root too with a read-only bind would need privileges; a file
# in place of the directory is the portable way to make it unusable.)
export XDG_CACHE_HOME=$WORK/xdg-file
mkdir -p "$XDG_CACHE_HOME"
printf 'not a directory' >"$XDG_CACHE_HOME/rolesanywhere-helper"
cached_call "a cache directory that cannot be created is bypassed" 1 --cache "${IDENTITY[@]}" \
  "${SESSION[@]}"
if [ "$(id -u)" -ne 0 ]; then
  export XDG_CACHE_HOME=$WORK/xdg-readonly
  mkdir -p "$XDG_CACHE_HOME/rolesanywhere-helper" && chmod 0500 "$XDG_CACHE_HOME/rolesanywhere-helper"
  cached_call "a read-only cache directory is bypassed" 1 --cache "${IDENTITY[@]}" "${SESSION[@]}"
else
  # As root, a read-only file system is the way: a tmpfs mounted read-only in a private mount
  # namespace.
  if unshare -m true 2>/dev/null; then
    export XDG_CACHE_HOME=$WORK/xdg-readonly
    mkdir -p "$XDG_CACHE_HOME"
    before=$(issued)
    out=$(unshare -m bash -c 'mount -t tmpfs -o ro,mode=0700 none "$1" && "$2" credential-process --cache "${@:3}"' \
      _ "$XDG_CACHE_HOME" "$HELPER" "${IDENTITY[@]}" "${SESSION[@]}" 2>"$WORK/ro.err")
    STATUS=$?
    STDOUT=$out
    STDERR=$(cat "$WORK/ro.err")
    if [ "$STATUS" -eq 0 ] && [ -z "$STDERR" ] && valid_credentials_json "$STDOUT" 2>/dev/null &&
      [ $(($(issued) - before)) -eq 1 ]; then
      pass "a read-only cache directory is bypassed"
    else
      fail "a read-only cache directory is bypassed"
    fi
  else
    skip "a read-only cache directory is bypassed" "no mount namespace for root here"
  fi
fi
export XDG_CACHE_HOME=$WORK/xdg-cache

# 32 concurrent calls on a cold cache: one CreateSession, the same credentials for all.
rm -rf "$CACHE"
before=$(issued)
callers=()
for i in $(seq 32); do
  "$HELPER" credential-process --cache "${IDENTITY[@]}" "${SESSION[@]}" >"$WORK/concurrent.$i.out" \
    2>"$WORK/concurrent.$i.err" &
  callers+=($!)
done
wait "${callers[@]}"  # not a bare wait: the emulator is a child of this shell too
made=$(($(issued) - before))
distinct=$(cat "$WORK"/concurrent.*.out | sort -u | wc -l)
errors=$(cat "$WORK"/concurrent.*.err | wc -c)
valid=0
for i in $(seq 32); do valid_credentials_json "$(cat "$WORK/concurrent.$i.out")" 2>/dev/null && valid=$((valid + 1)); done
STDERR="CreateSessions: $made, distinct outputs: $distinct, valid: $valid, stderr bytes: $errors"
check "32 concurrent calls on a cold cache make one CreateSession" [ "$made" -eq 1 ]
check "  and all print the same valid credentials, nothing on stderr" \
  [ "$distinct" -eq 1 ] && [ "$valid" -eq 32 ] && [ "$errors" -eq 0 ]

# kill -9 at random moments of calls that always write (the minimum above the session's life):
# whatever a killed call leaves, the next call gets valid credentials with nothing on stderr.
survived=0
for round in $(seq 15); do
  "$HELPER" credential-process --cache --cache-min-remaining 43200 "${IDENTITY[@]}" "${SESSION[@]}" \
    >/dev/null 2>&1 &
  pid=$!
  sleep "0.0$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  run_helper credential-process --cache --cache-min-remaining 0 "${IDENTITY[@]}" "${SESSION[@]}"
  if [ "$STATUS" -eq 0 ] && [ -z "$STDERR" ] && valid_credentials_json "$STDOUT" 2>/dev/null; then
    survived=$((survived + 1))
  fi
done
check "after kill -9 during cache writes, every next call works ($survived of 15)" [ "$survived" -eq 15 ]

# A call answered from the cache loads neither libcurl nor its dependencies.
run_helper credential-process --cache "${IDENTITY[@]}" "${SESSION[@]}"
LD_DEBUG=files "$HELPER" credential-process --cache "${IDENTITY[@]}" "${SESSION[@]}" \
  >/dev/null 2>"$WORK/ld-debug"
check "a call answered from the cache does not load libcurl" \
  bash -c '! grep -E "file=.*(libcurl|libnghttp2|libssh|librtmp|libldap|libgssapi)" "$1"' _ \
  "$WORK/ld-debug"
LD_DEBUG=files "$HELPER" credential-process --no-cache "${IDENTITY[@]}" "${SESSION[@]}" \
  >/dev/null 2>"$WORK/ld-debug-fresh"
check "  while one that asks the service does (so the check above can fail)" \
  grep -q "file=.*libcurl" "$WORK/ld-debug-fresh"

finish
