#!/usr/bin/env bash
# Slow clients cannot starve serve (slowloris): 600 connections from this very machine, each
# trickling its request headers a byte every 3 seconds and reconnecting when it is dropped, more
# than serve's 512 connections. An SDK on the same machine (the same 127.0.0.1: no per-address
# limit can tell it from the attacker) must still get its token and credentials, each within 3 s
# (a second normally; the bound leaves room for a sanitizer build on a busy machine and still lies
# well under the 5 s a slow client is given), again and again while the attack runs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
start_emulator emulator
start_serve slowloris
token=$(imds_token)
check "a token before the attack" test -n "$token"

STDOUT=$(python3 - "$SERVE_PORT" "$token" 2>&1 <<'PY'
import errno, http.client, resource, selectors, socket, sys, threading, time

port, token = int(sys.argv[1]), sys.argv[2]
ATTACKERS, TRICKLE_SECONDS = 600, 3.0
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < ATTACKERS + 100:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, ATTACKERS + 100), hard))

REQUEST_START = (b"GET /latest/meta-data/iam/security-credentials/rolesanywhere-test HTTP/1.1\r\n"
                 b"Host: 127.0.0.1\r\nx-aws-ec2-metadata-token: " + token.encode() + b"\r\n")
stop = threading.Event()
stats = {"connected": 0, "reconnects": 0}

def open_one():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))  # in progress; the first send shows whether it took
    return {"socket": s, "sent_start": False}

def dropped(entry):
    # Readable before the request is complete means the server closed (or reset) it.
    s = entry["socket"]
    try:
        s.recv(1, socket.MSG_PEEK)  # an end of file, or an error answer: either way it is over
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True

def attack():
    # Like slowloris.py: every few seconds each connection gets one more byte of a header that
    # never ends, and a connection the server dropped is opened again at its next turn.
    entries = [open_one() for _ in range(ATTACKERS)]
    turn = 0
    while not stop.is_set():
        batch = max(1, ATTACKERS // int(TRICKLE_SECONDS / 0.05))
        for _ in range(batch):
            entry = entries[turn % ATTACKERS]
            turn += 1
            s = entry["socket"]
            try:
                if entry["sent_start"] and dropped(entry):
                    raise ConnectionResetError
                s.send(b"X" if entry["sent_start"] else REQUEST_START + b"X-Slow: ")
                if not entry["sent_start"]:
                    entry["sent_start"] = True
                    stats["connected"] += 1
            except BlockingIOError:
                pass  # still connecting (the server's backlog is full): try at the next turn
            except OSError as error:
                if error.errno in (errno.ENOTCONN, errno.EAGAIN):
                    continue
                s.close()
                entries[(turn - 1) % ATTACKERS] = open_one()
                stats["reconnects"] += 1
        time.sleep(0.05)
    for entry in entries:
        entry["socket"].close()

attacker = threading.Thread(target=attack)
attacker.start()
# Every attacker has had its turn and the slots are theirs: more than serve's 512 connections
# sent a request line (a second after a full trickle round, or up to 20 s on a slow machine).
deadline = time.monotonic() + 20
time.sleep(TRICKLE_SECONDS + 1)
while stats["connected"] <= 512 and time.monotonic() < deadline:
    time.sleep(0.1)
print(f"attack under way: {stats['connected']} connections sent their request line")

answered, failures, slowest = 0, [], 0.0
for round_number in range(12):
    started = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        c.request("PUT", "/latest/api/token",
                  headers={"x-aws-ec2-metadata-token-ttl-seconds": "60"})
        r = c.getresponse()
        fresh = r.read().decode()
        if r.status != 200:
            raise RuntimeError(f"token: {r.status}")
        c.request("GET", "/latest/meta-data/iam/security-credentials/rolesanywhere-test",
                  headers={"x-aws-ec2-metadata-token": fresh})
        r = c.getresponse()
        body = r.read()
        elapsed = time.monotonic() - started
        if r.status != 200 or b"AccessKeyId" not in body:
            raise RuntimeError(f"credentials: {r.status}")
        if elapsed > 3:
            raise RuntimeError(f"answered after {elapsed:.2f} s")
        answered += 1
        slowest = max(slowest, elapsed)
    except Exception as error:
        failures.append(f"round {round_number}: {error!r} after {time.monotonic() - started:.2f} s")
    time.sleep(0.5)
stop.set()
attacker.join()
print(f"answered={answered} failed={len(failures)} slowest={slowest:.3f}s "
      f"attacker_connections={stats['connected']} attacker_reconnects={stats['reconnects']}")
for failure in failures[:5]:
    print("failure:", failure)
PY
)
echo "$STDOUT"
attackers=$(sed -n 's/^attack under way: \([0-9]*\) .*/\1/p' <<<"$STDOUT")
check "the attack held more than the 512 connections (${attackers:-0} sent a request line)" \
  test "${attackers:-0}" -gt 512
check "during the attack the SDK flow got its 200s, each within 3 s" \
  bash -c '[[ "$1" == *"answered=12 failed=0"* ]]' _ "$STDOUT"

# Afterwards serve answers as before.
imds_credentials "$token"
check "after the attack the credentials path answers 200" test "$HTTP_STATUS" = 200
expect_clean_stop TERM "$SERVE_PID" 10 "$SERVE_ERR" "serve stops cleanly after the attack"

finish
