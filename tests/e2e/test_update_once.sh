#!/usr/bin/env bash
# update --once: creates the file and its directory privately, edits a rich existing file keeping
# every other byte (comments, odd spacing, CRLF, no final newline), writes nothing on failure,
# and never shows a secret.
source "$(dirname "$0")/lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
IDENTITY=(--certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem")

# credentials_of FILE PROFILE: "key secret token expires" as botocore's parser reads them
# (strict configparser: a file it cannot parse fails here).
credentials_of() {
  python3 - "$1" "$2" <<'PY'
import configparser, sys
parser = configparser.RawConfigParser()
parser.read(sys.argv[1])
section = parser[sys.argv[2]]
print(section["aws_access_key_id"], section["aws_secret_access_key"], section["aws_session_token"],
      section["x_security_token_expires"])
PY
}

# without_profile_credentials FILE PROFILE: the file's bytes minus the profile's credential
# lines, so two versions can be compared byte for byte everywhere else.
without_profile_credentials() {
  python3 - "$1" "$2" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
lines = data.splitlines(keepends=True)
out, section, dropping = [], None, False
keys = {b"aws_access_key_id", b"aws_secret_access_key", b"aws_session_token", b"x_security_token_expires"}
for line in lines:
    stripped = line.strip()
    if stripped.startswith(b"[") and b"]" in stripped:
        section = stripped[1:stripped.rindex(b"]")]
    if dropping and line[:1] in (b" ", b"\t") and stripped and not stripped.startswith((b"#", b";")):
        continue  # a continuation line of the old value
    key = re.split(rb"[=:]", stripped, 1)[0].strip().lower()
    dropping = section == sys.argv[2].encode() and key in keys
    if dropping:
        continue
    out.append(line)
sys.stdout.buffer.write(b"".join(out).rstrip(b"\r\n"))
PY
}

# --- a new file in a new directory ---
export AWS_SHARED_CREDENTIALS_FILE=$WORK/new-home/.aws/credentials
run_helper update --once "${IDENTITY[@]}" "${SESSION[@]}"
read -r key secret token expires <<<"$(credentials_of "$AWS_SHARED_CREDENTIALS_FILE" default 2>/dev/null)"
if [ "$STATUS" -eq 0 ] && [ -z "$STDOUT" ] && [ -z "$STDERR" ] && [[ "$key" == ASIA* ]] &&
  [ -n "$secret" ] && [ -n "$token" ] && [[ "$expires" =~ ^[0-9-]{10}T[0-9:]{8}Z$ ]]; then
  pass "--once writes [default] and says nothing on success"
else
  fail "--once writes [default] and says nothing on success"
fi
[ "$(stat -c %a "$WORK/new-home/.aws")" = 700 ] && [ "$(stat -c %a "$AWS_SHARED_CREDENTIALS_FILE")" = 600 ] &&
  pass "a missing directory is created 0700 and the file 0600" ||
  fail "a missing directory is created 0700 and the file 0600 ($(stat -c %a "$WORK/new-home/.aws" "$AWS_SHARED_CREDENTIALS_FILE" | tr '\n' ' '))"

# --- HOME when AWS_SHARED_CREDENTIALS_FILE is unset ---
(
  unset AWS_SHARED_CREDENTIALS_FILE
  HOME=$WORK/home2 "$HELPER" update --once --profile from-home "${IDENTITY[@]}" "${SESSION[@]}"
) && [ -n "$(credentials_of "$WORK/home2/.aws/credentials" from-home 2>/dev/null)" ] &&
  pass "without AWS_SHARED_CREDENTIALS_FILE the file is \$HOME/.aws/credentials" ||
  fail "without AWS_SHARED_CREDENTIALS_FILE the file is \$HOME/.aws/credentials"

# --- a rich existing file: everything else survives byte for byte ---
export AWS_SHARED_CREDENTIALS_FILE=$WORK/rich/credentials
mkdir -p "$WORK/rich"
printf '%s\n' \
  '# Managed by hand. Do not reorder.' \
  '[default]' \
  'aws_access_key_id=AKIADEFAULT' \
  'aws_secret_access_key =   defaultsecret' \
  '' \
  '; the work account' \
  '[work]' \
  '  region = eu-west-1' \
  'AWS_ACCESS_KEY_ID :OLDKEY' \
  'aws_session_token = old-token' \
  '    continued-old-token' \
  's3 =' \
  '    max_concurrent_requests = 20' \
  '' \
  '[ci]' \
  'aws_access_key_id = AKIACI' >"$AWS_SHARED_CREDENTIALS_FILE"
printf '[tail]\nregion = us-west-2' >>"$AWS_SHARED_CREDENTIALS_FILE"  # no final newline
chmod 640 "$AWS_SHARED_CREDENTIALS_FILE"
cp "$AWS_SHARED_CREDENTIALS_FILE" "$WORK/rich.before"
run_helper update --once --profile work "${IDENTITY[@]}" "${SESSION[@]}"
[ "$STATUS" -eq 0 ] && [ -n "$(credentials_of "$AWS_SHARED_CREDENTIALS_FILE" work 2>/dev/null)" ] &&
  pass "an existing profile is updated" || fail "an existing profile is updated"
if cmp -s <(without_profile_credentials "$WORK/rich.before" work) \
  <(without_profile_credentials "$AWS_SHARED_CREDENTIALS_FILE" work); then
  pass "every other byte of a rich file survives"
else
  diff <(without_profile_credentials "$WORK/rich.before" work) \
    <(without_profile_credentials "$AWS_SHARED_CREDENTIALS_FILE" work)
  fail "every other byte of a rich file survives"
fi
[ "$(tail -c 18 "$AWS_SHARED_CREDENTIALS_FILE")" = "region = us-west-2" ] &&
  pass "the last line still has no newline" || fail "the last line still has no newline"
grep -q 'continued-old-token' "$AWS_SHARED_CREDENTIALS_FILE" &&
  fail "the old token's continuation line is gone" || pass "the old token's continuation line is gone"
[ "$(stat -c %a "$AWS_SHARED_CREDENTIALS_FILE")" = 640 ] && pass "the file keeps its mode 640" ||
  fail "the file keeps its mode 640"
python3 - "$AWS_SHARED_CREDENTIALS_FILE" <<'PY' && pass "botocore's parser reads the other profiles" || fail "botocore's parser reads the other profiles"
import configparser, sys
p = configparser.RawConfigParser(); p.read(sys.argv[1])
assert p["default"]["aws_secret_access_key"] == "defaultsecret"
assert p["work"]["region"] == "eu-west-1" and p["work"]["s3"] == "\nmax_concurrent_requests = 20"
assert p["ci"]["aws_access_key_id"] == "AKIACI" and p["tail"]["region"] == "us-west-2"
assert p.sections() == ["default", "work", "ci", "tail"]
PY

# --- long-term keys are never replaced: [default] of the rich file holds AKIA... keys ---
cp "$AWS_SHARED_CREDENTIALS_FILE" "$WORK/rich.with-long-term"
expect_error "update of a profile holding long-term keys is refused, naming it and the way out" \
  "profile 'default' in $AWS_SHARED_CREDENTIALS_FILE holds long-term access keys" \
  update --once "${IDENTITY[@]}" "${SESSION[@]}"
check "... and the file is untouched" cmp -s "$AWS_SHARED_CREDENTIALS_FILE" "$WORK/rich.with-long-term"
check "... and the message shows no key" bash -c '[[ "$1" != *AKIADEFAULT* && "$1" != *defaultsecret* ]]' _ "$STDERR"

# --- [DEFAULT] is configparser's defaults for every section, not a profile: never written ---
expect_error "update --profile DEFAULT is refused: it would hand its keys to every profile" \
  "--profile 'DEFAULT' cannot be written: botocore reads a [DEFAULT] section as defaults" \
  update --once --profile DEFAULT "${IDENTITY[@]}" "${SESSION[@]}"
check "... and the file is untouched" cmp -s "$AWS_SHARED_CREDENTIALS_FILE" "$WORK/rich.with-long-term"

# --- a new profile appended to a CRLF file ---
export AWS_SHARED_CREDENTIALS_FILE=$WORK/crlf/credentials
mkdir -p "$WORK/crlf"
printf '[default]\r\naws_access_key_id = AKIAWINDOWS\r\n' >"$AWS_SHARED_CREDENTIALS_FILE"
cp "$AWS_SHARED_CREDENTIALS_FILE" "$WORK/crlf.before"
run_helper update --once --profile added "${IDENTITY[@]}" "${SESSION[@]}"
head -c "$(stat -c %s "$WORK/crlf.before")" "$AWS_SHARED_CREDENTIALS_FILE" | cmp -s - "$WORK/crlf.before" &&
  [ "$(grep -c $'\r$' "$AWS_SHARED_CREDENTIALS_FILE")" -eq "$(wc -l <"$AWS_SHARED_CREDENTIALS_FILE")" ] &&
  [ -n "$(credentials_of "$AWS_SHARED_CREDENTIALS_FILE" added 2>/dev/null)" ] &&
  pass "a CRLF file gets the new profile appended with CRLF lines" ||
  fail "a CRLF file gets the new profile appended with CRLF lines"

# --- failures write nothing ---
cp "$AWS_SHARED_CREDENTIALS_FILE" "$WORK/crlf.after-update"
set_faults '{"fail_count":1,"fail_status":403}'
expect_error "a refused CreateSession fails --once with the service's message" "AccessDenied" \
  update --once --profile added "${IDENTITY[@]}" "${SESSION[@]}"
cmp -s "$AWS_SHARED_CREDENTIALS_FILE" "$WORK/crlf.after-update" &&
  pass "nothing is written when CreateSession fails" || fail "nothing is written when CreateSession fails"
set_faults '{"fail_count":0}'
expect_error "a profile name that cannot be a section is refused" "--profile" \
  update --once --profile 'bad]name' "${IDENTITY[@]}" "${SESSION[@]}"
expect_error "--once with --retry-errors is refused" "--retry-errors" \
  update --once --retry-errors "${IDENTITY[@]}" "${SESSION[@]}"
AWS_SHARED_CREDENTIALS_FILE=/proc/version expect_error "an unwritable file is reported by name" "/proc" \
  update --once "${IDENTITY[@]}" "${SESSION[@]}"

# --- root and another user's file: root refuses; the owner updates it ---
# nobody must be able to run the helper from this checkout (not so under a 0700 /root).
nobody_can_run() {
  setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$HELPER" &&
    setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$WORK"
}
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && nobody_can_run; then
  OWNED=$WORK/owned
  mkdir -p "$OWNED"
  cp "$PKI/p256.fullchain.pem" "$PKI/p256.key.pem" "$OWNED/"
  printf '[other]\nregion = eu-north-1\n' >"$OWNED/credentials"
  chmod 600 "$OWNED/credentials"
  chown -R nobody:nogroup "$OWNED"
  OWNED_IDENTITY=(--certificate "$OWNED/p256.fullchain.pem" --private-key "$OWNED/p256.key.pem")
  as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
  cp "$OWNED/credentials" "$WORK/owned.before"
  AWS_SHARED_CREDENTIALS_FILE=$OWNED/credentials run_helper update --once --profile root-run \
    "${OWNED_IDENTITY[@]}" "${SESSION[@]}"
  check "root refuses to update a file in a directory that belongs to nobody, saying why" \
    bash -c '[ "$1" = 1 ] && [[ "$2" == *"refusing to update $3 as root: $4 belongs to uid"*"sudo -u NAME"* ]]' \
    _ "$STATUS" "$STDERR" "$OWNED/credentials" "$OWNED"
  check "... and changes nothing, not even a lock file" \
    bash -c 'cmp -s "$1" "$2" && [ ! -e "$1.lock" ]' _ "$OWNED/credentials" "$WORK/owned.before"
  AWS_SHARED_CREDENTIALS_FILE=$OWNED/credentials as_nobody "$HELPER" update --once \
    --profile own-run "${OWNED_IDENTITY[@]}" "${SESSION[@]}" >"$WORK/stdout" 2>"$WORK/stderr"
  STATUS=$? STDERR=$(cat "$WORK/stderr")
  check "the owner's own update works" test "$STATUS" = 0
  # A lock file root left behind unreadable (as earlier versions could).
  chown root:root "$OWNED/credentials.lock"
  chmod 600 "$OWNED/credentials.lock"
  AWS_SHARED_CREDENTIALS_FILE=$OWNED/credentials as_nobody "$HELPER" update --once \
    --profile own-run "${OWNED_IDENTITY[@]}" "${SESSION[@]}" >"$WORK/stdout" 2>"$WORK/stderr"
  STATUS=$? STDERR=$(cat "$WORK/stderr")
  check "a lock file of another user that cannot be opened is explained: owner and remedy" \
    bash -c '[ "$1" = 1 ] && [[ "$2" == *"credentials.lock"*"belongs to uid 0"*"remove it"* ]]' \
    _ "$STATUS" "$STDERR"
else
  skip "root refuses another user's file; the owner updates it" \
    "needs root, setpriv, and a checkout that the user nobody can read"
fi

# --- no secret reaches stderr, --debug included ---
export AWS_SHARED_CREDENTIALS_FILE=$WORK/debug/credentials
run_helper update --once --debug "${IDENTITY[@]}" "${SESSION[@]}"
read -r key secret token expires <<<"$(credentials_of "$AWS_SHARED_CREDENTIALS_FILE" default 2>/dev/null)"
if [ "$STATUS" -eq 0 ] && [ -n "$secret" ] && [[ "$STDERR" != *"$secret"* ]] &&
  [[ "$STDERR" != *"${token:0:40}"* ]]; then
  pass "--debug shows neither the secret key nor the session token"
else
  fail "--debug shows neither the secret key nor the session token"
fi
finish
