#!/usr/bin/env bash
# serve's IMDSv2 endpoint with curl: the start-up lines, tokens (TTL, 401, 400, 405, eviction),
# both path forms, the JSON, --bind rules, the hop limit on the real binary's sockets, and a
# clean stop on SIGTERM and SIGINT.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
start_emulator emulator

start_serve serve --debug || { STDERR=$(cat "$SERVE_ERR"); fail "serve starts"; finish; }
STDERR=$(cat "$SERVE_ERR")
check "the port and the export line are printed on stderr" \
  grep -qx "export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$SERVE_PORT/" "$SERVE_ERR"
check "nothing on stdout" test ! -s "$WORK/serve.out"

token=$(imds_token 300)
check "PUT /latest/api/token answers a token" test ${#token} -ge 32
http_request -X PUT -D "$WORK/headers" -H 'x-aws-ec2-metadata-token-ttl-seconds: 120' \
  "${SERVE_URL}latest/api/token/"
check "the token path with a trailing slash works and echoes the TTL" \
  grep -qi '^x-aws-ec2-metadata-token-ttl-seconds: 120' "$WORK/headers"

http_request -H "x-aws-ec2-metadata-token: $token" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/"
check "the role name is listed" test "$HTTP_STATUS/$HTTP_BODY" = "200/rolesanywhere-test"
http_request -H "x-aws-ec2-metadata-token: $token" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials"
check "... also without the trailing slash" test "$HTTP_STATUS/$HTTP_BODY" = "200/rolesanywhere-test"

imds_credentials "$token"
STDOUT=$HTTP_BODY
check "the credentials JSON has the IMDS shape" python3 - "$HTTP_BODY" <<'PY'
import json, re, sys
data = json.loads(sys.argv[1], object_pairs_hook=lambda pairs: pairs)
assert [k for k, _ in data] == ["Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey",
                                "Token", "Expiration"], data
values = dict(data)
assert values["Code"] == "Success" and values["Type"] == "AWS-HMAC"
assert re.fullmatch(r"ASIA[A-Z0-9]{16}", values["AccessKeyId"])
assert values["SecretAccessKey"] and values["Token"]
for key in ("LastUpdated", "Expiration"):
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", values[key]), values[key]
PY
secret=$(json_field SecretAccessKey)
session_token=$(json_field Token)
http_request -H "x-aws-ec2-metadata-token: $token" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/rolesanywhere-test/"
check "the credentials path with a trailing slash works" test "$HTTP_STATUS" = 200

http_request "${SERVE_URL}latest/meta-data/iam/security-credentials/rolesanywhere-test"
check "no token: 401" test "$HTTP_STATUS/$HTTP_BODY" = "401/no token provided"
http_request -H "x-aws-ec2-metadata-token: forged" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/rolesanywhere-test"
check "an unknown token: 401" test "$HTTP_STATUS/$HTTP_BODY" = "401/invalid token provided"
http_request -X PUT -H 'X-Forwarded-For: 10.0.0.1' "${SERVE_URL}latest/api/token"
check "a token PUT with X-Forwarded-For: 400" test "$HTTP_STATUS" = 400
# DNS rebinding: a page whose own name resolves to 127.0.0.1 sends its name as Host.
http_request -X PUT -H "Host: attacker.example:$SERVE_PORT" "${SERVE_URL}latest/api/token"
check "a token PUT addressed to another name (DNS rebinding): 403" test "$HTTP_STATUS" = 403
http_request -H "Host: attacker.example:$SERVE_PORT" -H "x-aws-ec2-metadata-token: $token" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/rolesanywhere-test"
check "... and a credentials GET: 403, without credentials" \
  bash -c '[ "$1" = 403 ] && [[ "$2" != *ASIA* ]]' _ "$HTTP_STATUS" "$HTTP_BODY"
http_request -H "Origin: http://127.0.0.1:$SERVE_PORT" -H "x-aws-ec2-metadata-token: $token" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/rolesanywhere-test"
check "a request from a web page (Origin): 403" test "$HTTP_STATUS" = 403
http_request -H "Host: localhost:$SERVE_PORT" -H "x-aws-ec2-metadata-token: $token" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/rolesanywhere-test"
check "addressed as localhost: 200" test "$HTTP_STATUS" = 200
http_request -X PUT -H 'x-aws-ec2-metadata-token-ttl-seconds: 21601' "${SERVE_URL}latest/api/token"
check "a TTL above 21600: 400" test "$HTTP_STATUS/$HTTP_BODY" = "400/invalid token TTL"
http_request "${SERVE_URL}latest/api/token"
check "GET on the token path: 405" test "$HTTP_STATUS" = 405
http_request -X POST -H "x-aws-ec2-metadata-token: $token" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/rolesanywhere-test"
check "POST on the credentials path: 405" test "$HTTP_STATUS" = 405
http_request -H "x-aws-ec2-metadata-token: $token" \
  "${SERVE_URL}latest/meta-data/iam/security-credentials/another-role"
check "another role name: 404" test "$HTTP_STATUS" = 404

short=$(imds_token 1)
sleep 1.5
imds_credentials "$short"
check "a token is refused once its TTL has passed" test "$HTTP_STATUS" = 401

# 256 tokens at most: after 260 more, the first (earliest expiring) is gone, the newest works.
first=$(imds_token 600)
python3 - "$SERVE_PORT" <<'PY'
import http.client, sys
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for _ in range(260):  # one keep-alive connection: quick
    connection.request("PUT", "/latest/api/token", headers={"x-aws-ec2-metadata-token-ttl-seconds": "21600"})
    assert connection.getresponse().read()
PY
newest=$(imds_token 600)
imds_credentials "$first"
check "the earliest expiring token was evicted once 256 were live" test "$HTTP_STATUS" = 401
imds_credentials "$newest"
check "the newest token works" test "$HTTP_STATUS" = 200

# The hop limit as set on the server's own accepted socket, read back with getsockopt: the
# socket is taken from the running binary with pidfd_getfd(2) (root or ptrace rights needed).
hop_limit_of_server() {  # PID PORT [IPV6]
  python3 - "$@" <<'PY'
import ctypes, os, socket, stat, sys
pid, port = int(sys.argv[1]), int(sys.argv[2])
family = socket.AF_INET6 if len(sys.argv) > 3 else socket.AF_INET
host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
client = socket.socket(family, socket.SOCK_STREAM)
client.connect((host, port))
client.sendall(b"PUT /latest/api/token HTTP/1.1\r\nHost: x\r\n\r\n")
client.recv(4096)  # answered: accepted and announced to the server
libc = ctypes.CDLL(None, use_errno=True)
pidfd = os.pidfd_open(pid)
mine = client.getsockname()
for name in os.listdir(f"/proc/{pid}/fd"):
    fd = libc.syscall(438, pidfd, int(name), 0)  # SYS_pidfd_getfd
    if fd < 0:
        sys.exit(f"pidfd_getfd failed: errno {ctypes.get_errno()}")
    if not stat.S_ISSOCK(os.fstat(fd).st_mode):
        os.close(fd)
        continue
    s = socket.socket(fileno=fd)
    try:
        if s.type == socket.SOCK_STREAM and s.getpeername()[:2] == mine[:2]:
            if family == socket.AF_INET6:
                print(s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS))
            else:
                print(s.getsockopt(socket.IPPROTO_IP, socket.IP_TTL))
            sys.exit(0)
    except OSError:
        pass
    finally:
        s.detach()
        os.close(fd)
sys.exit("the server's end of the connection was not found")
PY
}
# check_hop_limit DESCRIPTION EXPECTED [v6]: reads the hop limit off the running serve. Only a
# process without ptrace rights over serve (not root) may be refused; that is a visible skip.
check_hop_limit() {
  local description=$1 expected=$2 hop
  shift 2
  hop=$(hop_limit_of_server "$SERVE_PID" "$SERVE_PORT" "$@" 2>&1)
  if [[ "$hop" == *"errno 1"* ]] && [ "$(id -u)" -ne 0 ]; then
    skip "$description" "pidfd_getfd(2) needs ptrace rights over serve (the unit tests check it)"
  else
    check "$description (read back: $hop)" test "$hop" = "$expected"
  fi
}
check_hop_limit "the default hop limit on an accepted socket is 64" 64

check "--debug lines hold no secret, session token or metadata token" \
  bash -c '! grep -qF -e "$1" -e "$2" -e "$3" -e "$4" "$5"' _ "$secret" "$session_token" "$token" \
  "$newest" "$SERVE_ERR"
check "--debug logs requests by method and path" \
  grep -q 'GET /latest/meta-data/iam/security-credentials/rolesanywhere-test -> 200' "$SERVE_ERR"

# SIGHUP: a refresh now (the next one is due in about 55 minutes), and serve goes on.
hup_token=$(imds_token)
imds_credentials "$hup_token"
before_hup=$(json_field AccessKeyId)
kill -HUP "$SERVE_PID"
new_key_served() { imds_credentials "$hup_token" && [ -n "$(json_field AccessKeyId)" ] && [ "$(json_field AccessKeyId)" != "$before_hup" ]; }
check "SIGHUP makes serve refresh at once: new credentials are served" wait_until 10 new_key_served
check "... it says so" grep -q "SIGHUP: refreshing the credentials now" "$SERVE_ERR"
check "... and keeps running" kill -0 "$SERVE_PID"

stop_serve TERM
check "SIGTERM stops it with exit 0" test "$SERVE_EXIT" = 0
http_request "${SERVE_URL}latest/api/token" -X PUT
check "the port is closed afterwards" test "$HTTP_STATUS" = 000

# IPv6 loopback, a hop limit given, and SIGINT.
start_serve serve6 --bind ::1 --hop-limit 9
check "--bind ::1 prints a bracketed URL" test "$SERVE_URL" = "http://[::1]:$SERVE_PORT/"
token=$(imds_token)
imds_credentials "$token"
check "credentials over IPv6" test "$HTTP_STATUS" = 200
check_hop_limit "--hop-limit 9 is set on accepted IPv6 sockets" 9 v6
stop_serve INT
check "SIGINT stops it with exit 0" test "$SERVE_EXIT" = 0

# Anything but loopback needs --allow-non-loopback, and then the hop limit defaults to 1.
read -ra SESSION <<<"$(session_flags)"
expect_error "--bind 0.0.0.0 is refused without --allow-non-loopback" "not a loopback address" \
  serve --port 0 --bind 0.0.0.0 "${SERVE_IDENTITY[@]}" "${SESSION[@]}"
expect_error "--bind with a name is refused" "--bind" \
  serve --port 0 --bind example.com "${SERVE_IDENTITY[@]}" "${SESSION[@]}"
expect_error "--hop-limit 0 is refused" "--hop-limit 0: must be 1 to 255" \
  serve --port 0 --hop-limit 0 "${SERVE_IDENTITY[@]}" "${SESSION[@]}"
expect_error "a --hop-limit that is not a number is named" "--hop-limit ten: must be 1 to 255" \
  serve --port 0 --hop-limit ten "${SERVE_IDENTITY[@]}" "${SESSION[@]}"
expect_error "--container-path alone is refused, not ignored" \
  "--container-path needs --container-token-file" \
  serve --port 0 --container-path /creds "${SERVE_IDENTITY[@]}" "${SESSION[@]}"
expect_error "a --port that is not a number is named" "--port abc: must be 0 (any free port) to 65535" \
  serve --port abc "${SERVE_IDENTITY[@]}" "${SESSION[@]}"
expect_error "a --port out of range is named" "--port 65536: must be 0 (any free port) to 65535" \
  serve --port=65536 "${SERVE_IDENTITY[@]}" "${SESSION[@]}"
start_serve serve-any --bind 0.0.0.0 --allow-non-loopback
check_hop_limit "off loopback the hop limit defaults to 1" 1
STDERR=$(cat "$SERVE_ERR")
check "listening on every interface is warned about" \
  grep -q "warning: listening on 0.0.0.0 port $SERVE_PORT (every interface), not loopback only" "$SERVE_ERR"
stop_serve TERM

# A taken port is a clear error before any CreateSession.
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(20)' >"$WORK/busy.port" &
EMULATOR_PIDS+=($!)
for _ in $(seq 50); do [ -s "$WORK/busy.port" ] && break; sleep 0.1; done
before=$(emulator_stat requests)
expect_error "a port in use is named" "in use" \
  serve --port "$(cat "$WORK/busy.port")" "${SERVE_IDENTITY[@]}" "${SESSION[@]}"
check "... and no CreateSession was sent" test "$(emulator_stat requests)" = "$before"

finish
