#!/usr/bin/env bash
# kill -9 at random moments of a refresh loop that rewrites the file as fast as the emulator
# answers (--refresh-before-expiry equal to the session duration): the file always parses, the
# profile holds one complete set of credentials, every other byte is unchanged. Then several
# update processes on different profiles of one file at once: all their credentials end up in it.
source "$(dirname "$0")/lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"
IDENTITY=(--certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem")
FILE=$AWS_SHARED_CREDENTIALS_FILE

HEAD=$'# top comment\n[alpha]\naws_access_key_id = AKIAALPHA\naws_secret_access_key = alpha\n\n'
TAIL=$'\n; trailing comment\n[omega]\nregion = sa-east-1\r\nregion_note = crlf line above\n'
printf '%s[crash]\naws_access_key_id = OLD\naws_secret_access_key = OLD\naws_session_token = OLD\n%s' \
  "$HEAD" "$TAIL" >"$FILE"

# check_file: parses as botocore does, the crash profile complete, the rest byte for byte.
check_file() {
  python3 - "$FILE" "$HEAD" "$TAIL" <<'PY'
import configparser, re, sys
path, head, tail = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(path, "rb").read().decode()
p = configparser.RawConfigParser()
p.read_string(data)
c = p["crash"]
assert p.sections() == ["alpha", "crash", "omega"], p.sections()
key, secret, token = c["aws_access_key_id"], c["aws_secret_access_key"], c["aws_session_token"]
if key != "OLD":
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", key), key
    assert len(secret) == 40 and len(token) > 100, "a torn secret or token"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c["x_security_token_expires"])
assert data.startswith(head + "[crash]\n"), "the head changed"
assert data.endswith(tail), "the tail changed"
print(key)
PY
}

rounds=25
good=0
changes=0
mid_write=0 # rounds whose kill landed between a temporary file's creation and its rename
last=OLD
for round in $(seq $rounds); do
  "$HELPER" update --profile crash --session-duration 900 --refresh-before-expiry 900 \
    "${IDENTITY[@]}" "${SESSION[@]}" >/dev/null 2>"$WORK/crash.err" &
  pid=$!
  # Killed while it writes flat out: after its first write (however slow a sanitizer build is to
  # get there), at a random moment within the next 0.3 s.
  wait_until 20 grep -q "updated profile" "$WORK/crash.err" ||
    fail "round $round: the loop wrote nothing within 20 s"
  sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  ls -a "$(dirname "$FILE")" | grep -q '\.tmp-' && mid_write=$((mid_write + 1))
  if key=$(check_file 2>"$WORK/check.err"); then
    good=$((good + 1))
    [ "$key" != "$last" ] && changes=$((changes + 1))
    last=$key
  else
    STDERR=$(cat "$WORK/check.err")
    fail "round $round: the file is damaged after kill -9"
    cp "$FILE" "$WORK/damaged.$round"
  fi
done
writes=$(grep -c "updated profile" "$WORK/crash.err")
[ "$good" -eq "$rounds" ] && pass "after $rounds kill -9 the file always parses and holds whole credentials" ||
  fail "after $rounds kill -9 the file always parses and holds whole credentials ($good good)"
[ "$changes" -ge $((rounds / 2)) ] && pass "the kills interrupted a loop that was writing ($changes of $rounds rounds saw new credentials, $mid_write kills landed mid-write, the last loop wrote $writes times)" ||
  fail "the kills interrupted a loop that was writing (only $changes rounds saw new credentials)"

# --- concurrency: four loops and four --once on eight profiles of the same file ---
printf '# shared\n[alpha]\naws_access_key_id = AKIAALPHA\n' >"$FILE"
pids=()
for n in 1 2 3 4; do
  "$HELPER" update --profile "loop$n" --session-duration 900 --refresh-before-expiry 900 \
    "${IDENTITY[@]}" "${SESSION[@]}" >/dev/null 2>"$WORK/loop$n.err" &
  pids+=($!)
done
once_pids=()
for n in 1 2 3 4; do
  "$HELPER" update --once --profile "once$n" "${IDENTITY[@]}" "${SESSION[@]}" 2>"$WORK/once$n.err" &
  once_pids+=($!)
done
once_ok=0
for pid in "${once_pids[@]}"; do wait "$pid" && once_ok=$((once_ok + 1)); done
# Each loop has written at least twice (they refresh flat out) before they are stopped.
wrote_twice() { [ "$(grep -c "updated profile" "$WORK/loop$1.err")" -ge 2 ]; }
for n in 1 2 3 4; do wait_until 30 wrote_twice "$n" || fail "loop$n wrote twice within 30 s"; done
kill -TERM "${pids[@]}"
loops_ok=0
for pid in "${pids[@]}"; do wait "$pid" && loops_ok=$((loops_ok + 1)); done
STDERR=$(cat "$WORK"/once*.err "$WORK"/loop1.err | tail -5)
[ "$once_ok" -eq 4 ] && [ "$loops_ok" -eq 4 ] && pass "eight concurrent writers all succeeded" ||
  fail "eight concurrent writers all succeeded (once: $once_ok, loops: $loops_ok)"

python3 - "$FILE" "$WORK" <<'PY' && pass "all eight profiles are in the file with complete credentials, alpha untouched" || fail "all eight profiles are in the file with complete credentials, alpha untouched"
import configparser, sys
p = configparser.RawConfigParser()
p.read(sys.argv[1])
names = ["alpha"] + [f"loop{n}" for n in range(1, 5)] + [f"once{n}" for n in range(1, 5)]
assert sorted(p.sections()) == sorted(names), p.sections()
assert p["alpha"]["aws_access_key_id"] == "AKIAALPHA"
for name in names[1:]:
    s = p[name]
    assert s["aws_access_key_id"].startswith("ASIA") and s["aws_secret_access_key"] and s["aws_session_token"], name
assert open(sys.argv[1]).read().startswith("# shared\n[alpha]\naws_access_key_id = AKIAALPHA\n")
PY
total=$(cat "$WORK"/loop*.err | grep -c "updated profile")
[ "$total" -ge 8 ] && pass "the four loops wrote $total times between them" ||
  fail "the four loops wrote $total times between them"
ls -a "$(dirname "$FILE")" | grep -q '\.tmp-' && fail "no temporary file is left" || pass "no temporary file is left"
finish
