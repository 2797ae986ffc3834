#!/usr/bin/env bash
# Many clients at once while serve refreshes every few seconds: every answer is a 200 with one
# complete, consistent set of credentials (never a mix of two refreshes, never an empty field).
# Then a request in flight when SIGTERM arrives is still answered before serve exits 0.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
start_emulator emulator

start_serve concurrent --session-duration 900 --refresh-before-expiry 897
issued_before=$(emulator_stat sessions_issued)
STDOUT=$(python3 - "$SERVE_PORT" 2>&1 <<'PY'
import http.client, json, sys, threading, time
port = int(sys.argv[1])
def token():
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("PUT", "/latest/api/token", headers={"x-aws-ec2-metadata-token-ttl-seconds": "600"})
    return c.getresponse().read().decode()
seen, problems, lock = {}, [], threading.Lock()
def client(n):
    t = token()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    end = time.time() + 8  # spans at least two refreshes
    while time.time() < end:
        try:
            c.request("GET", "/latest/meta-data/iam/security-credentials/rolesanywhere-test",
                      headers={"x-aws-ec2-metadata-token": t})
            r = c.getresponse()
            body = r.read()
            d = json.loads(body)
            entry = (d["SecretAccessKey"], d["Token"], d["Expiration"])
            with lock:
                if r.status != 200 or not all(entry) or d["Code"] != "Success":
                    problems.append((r.status, body[:100]))
                elif seen.setdefault(d["AccessKeyId"], entry) != entry:
                    problems.append(("mixed credentials", d["AccessKeyId"]))
                seen.setdefault("_count", 0)
        except Exception as e:
            with lock:
                problems.append(repr(e))
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        with lock:
            seen["_n"] = seen.get("_n", 0) + 1
threads = [threading.Thread(target=client, args=(i,)) for i in range(24)]
[t.start() for t in threads]
[t.join() for t in threads]
keys = [k for k in seen if not k.startswith("_")]
print(f"requests={seen.get('_n', 0)} distinct_credentials={len(keys)} problems={len(problems)}")
for p in problems[:5]:
    print("problem:", p)
PY
)
echo "$STDOUT"
check "24 clients during refreshes: every answer complete and consistent" \
  bash -c '[[ "$1" == *"problems=0"* ]]' _ "$STDOUT"
distinct=$(sed -n 's/.*distinct_credentials=\([0-9]*\).*/\1/p' <<<"$STDOUT")
check "the load spanned refreshes (${distinct:-0} sets of credentials served)" test "${distinct:-0}" -ge 2
check "one CreateSession per refresh, not per request" \
  test $(($(emulator_stat sessions_issued) - issued_before)) -le 6

# A request whose headers arrive after SIGTERM (its request line came before) is still answered, then serve exits 0.
token=$(imds_token)
python3 - "$SERVE_PORT" "$token" "$SERVE_PID" >"$WORK/drain.out" 2>&1 <<'PY'
import os, signal, socket, sys, time
port, token, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
request = (f"GET /latest/meta-data/iam/security-credentials/rolesanywhere-test HTTP/1.1\r\n"
           f"Host: 127.0.0.1\r\nx-aws-ec2-metadata-token: {token}\r\n\r\n").encode()
s = socket.create_connection(("127.0.0.1", port))
split = request.index(b"x-aws")  # the request line is in: the request has begun
s.sendall(request[:split])
time.sleep(1)  # the server has read the request line, even a sanitizer build on a busy machine
os.kill(pid, signal.SIGTERM)
# Refused once serve has taken the signal: asked until then, for at most 3 s (the drain lasts 5).
deadline = time.monotonic() + 3
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        print("new connections refused while draining")
        break
    if time.monotonic() > deadline:
        print("new connection accepted while draining")
        break
    time.sleep(0.1)
s.sendall(request[split:])
answer = s.recv(65536).decode(errors="replace")
print(answer.split("\r\n", 1)[0])
PY
STDOUT=$(cat "$WORK/drain.out")
wait "$SERVE_PID"
SERVE_EXIT=$?
check "after SIGTERM new connections are refused" grep -q "new connections refused" "$WORK/drain.out"
check "the request in flight at SIGTERM is answered" grep -q "HTTP/1.1 200" "$WORK/drain.out"
check "then serve exits 0" test "$SERVE_EXIT" = 0

finish
