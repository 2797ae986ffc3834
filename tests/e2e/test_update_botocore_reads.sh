#!/usr/bin/env bash
# update on credentials files with indented headers, continuation lines, comments, CRLF and lone
# CR line endings, no final newline, duplicate sections and the characters Python counts as
# spaces: botocore (raw_config_parse, what the AWS CLI and boto3 use) reads every other profile
# exactly as before, the edited profile keeps its other keys and gets the new credentials, and a
# second update changes nothing but the credential values. Without botocore, Python's
# configparser (which botocore uses) is the reader; without Python, the test is skipped.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "skip: python3 is not installed"; exit 77; }
python3 -c 'import configparser' 2>/dev/null || { echo "skip: Python has no configparser"; exit 77; }
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
IDENTITY=(--certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem")

cat >"$WORK/compare.py" <<'PY'
"""compare.py PROFILE BEFORE ONCE TWICE: exit 1 with the differences, as botocore reads them."""
import configparser
import sys

try:
    from botocore.configloader import raw_config_parse
except ImportError:
    raw_config_parse = None

CREDENTIALS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token",
               "x_security_token_expires")


def lenient(path):
    # What the file holds for a reader that tolerates what botocore refuses (duplicates, stray
    # lines): configparser fills its sections before it raises a ParsingError at the end.
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.ParsingError:
        pass
    except configparser.Error as error:
        return type(error).__name__
    return {name: dict(parser.items(name, raw=True)) for name in parser.sections()}


def read(path):
    """("accepted", sections) as botocore reads the file, or ("refused", what it holds)."""
    if raw_config_parse:
        try:
            return "accepted", raw_config_parse(path, parse_subsections=False)
        except Exception:
            return "refused", lenient(path)
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error:
        return "refused", lenient(path)
    return "accepted", {name: dict(parser.items(name, raw=True)) for name in parser.sections()}


def masked(path, profile):
    # The file's bytes with the profile's credential values replaced by their names.
    data = open(path, "rb").read()
    sections = read(path)[1]
    for key in CREDENTIALS:
        value = sections[profile].get(key, "") if isinstance(sections, dict) else ""
        if value:
            data = data.replace(value.encode(), key.upper().encode())
    return data


profile, before_path, once_path, twice_path = sys.argv[1:5]
problems = []
verdict_before, before = read(before_path)
verdict_once, once = read(once_path)
if verdict_before != verdict_once:
    problems.append(f"botocore {verdict_before} the file before and {verdict_once} it after")
if not isinstance(before, dict) or not isinstance(once, dict):
    problems.append(f"unreadable: {before!r} / {once!r}")
else:
    for name in sorted(set(before) | set(once)):
        if name != profile and before.get(name) != once.get(name):
            problems.append(f"[{name}] was {before.get(name)!r}, is {once.get(name)!r}")
    edited = once.get(profile, {})
    for key, value in before.get(profile, {}).items():
        if key not in CREDENTIALS and edited.get(key) != value:
            problems.append(f"[{profile}] {key} was {value!r}, is {edited.get(key)!r}")
    if not edited.get("aws_access_key_id", "").startswith("ASIA"):
        problems.append(f"[{profile}] has no new access key: {edited!r}")
    for key in CREDENTIALS[1:]:
        if not edited.get(key) or "\n" in edited[key]:
            problems.append(f"[{profile}] {key} is {edited.get(key)!r}")
    if masked(once_path, profile) != masked(twice_path, profile):
        problems.append(f"a second update changed more than the values:\n"
                        f"{open(once_path, 'rb').read()!r}\n{open(twice_path, 'rb').read()!r}")
print(("botocore" if raw_config_parse else "configparser") + f" ({verdict_before})")
for problem in problems:
    print("  " + problem)
sys.exit(1 if problems else 0)
PY
if python3 -c 'import botocore.configloader' 2>/dev/null; then
  echo "# reader: botocore's raw_config_parse"
else
  echo "# reader: Python's configparser (botocore is not installed)"
fi

# check_update DESCRIPTION TEXT: update --once of profile p on a file holding TEXT, twice.
check_update() {
  local description=$1 file=$WORK/credentials-$((++FILES))
  printf '%s' "$2" >"$file"
  cp "$file" "$file.before"
  export AWS_SHARED_CREDENTIALS_FILE=$file
  run_helper update --once --profile p "${IDENTITY[@]}" "${SESSION[@]}"
  cp "$file" "$file.once"
  local first_status=$STATUS first_stdout=$STDOUT first_stderr=$STDERR
  run_helper update --once --profile p "${IDENTITY[@]}" "${SESSION[@]}"
  cp "$file" "$file.twice"
  if [ "$first_status" -ne 0 ] || [ "$STATUS" -ne 0 ] || [ -n "$first_stdout$STDOUT" ] ||
    [ -n "$first_stderr$STDERR" ]; then
    STDERR="$first_stderr$STDERR"
    fail "$description (update failed)"
    return
  fi
  if STDOUT=$(python3 "$WORK/compare.py" p "$file.before" "$file.once" "$file.twice" 2>&1); then
    pass "$description: $STDOUT"
  else
    STDERR=""
    fail "$description"
  fi
}
FILES=0

check_update "an indented header after the profile's last key" $'[p]\n i = X\n [q]\nk=v\n'
check_update "an indented header right after the profile's header" $'[p]\n [y]\nk=v'
check_update "tabs, a continuation line and indented headers and keys" \
  $'# top\n[other]\nregion = eu-west-1\n\n[p]\n\ti = X\n\t  continued\n\t[q]\n\tk = v\n'
check_update "comments and blank lines before an indented header" \
  $'[p]\n i = X\n ; comment\n\n # another\n [q]\nk=v\n'
check_update "CRLF line endings" $'[p]\r\n i = X\r\n [q]\r\nk=v\r\n'
check_update "lone CR line endings (Python reads them as line breaks)" $'[p]\r i = X\r [q]\rk=v\r'
check_update "no final newline, headers at several depths" $'[a]\nx=1\n[p]\n   [q]\n  k = v\n [r]\nz=2'
check_update "a header-like line inside another profile's value" $'[q]\nk=v\n  [p]\n'
check_update "a header alone without a newline" '[p]'
check_update "a duplicate section (botocore refuses the file before and after)" \
  $'[q]\nk=1\n[p]\n i = X\n [q]\nk2=2\n'
check_update "a line botocore refuses inside the profile" $'[p]\n junk\n  [q]\nk = v\n'
check_update "existing credentials with a continued old token" \
  $'[p]\n  aws_access_key_id = ASIAOLDOLDOLDOLDOLD1\n  aws_session_token = old\n     continued\n [q]\nk=v\n'
check_update "a nested value holding an indented header" \
  $'[p]\ns3 =\n  max_concurrent_requests = 10\n  [q]\n[r]\nz = 1\n'
check_update "a form feed as indentation" $'[p]\n i = X\n\f[q]\nk=v\n'
check_update "U+001C as indentation (Python's str.isspace)" $'[p]\n\x1ci = X\n\x1c[q]\nk=v\n'
check_update "no-break spaces as indentation, counted as one column each" \
  $'[p]\n\xc2\xa0i = X\n\xc2\xa0[q]\nk=v\n[r]\n\xc2\xa0\xc2\xa0k=v\n  [s]\na=b\n'

finish
