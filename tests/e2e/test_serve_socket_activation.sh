#!/usr/bin/env bash
# systemd socket activation: serve takes the listening socket passed as fd 3 with LISTEN_FDS=1
# and LISTEN_PID=<its pid> (here from a small Python wrapper that binds, then execs serve; and
# from systemd-socket-activate when it is installed), and applies the loopback rule to it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"

# activate ADDRESS PORT_FILE ARGS...: binds ADDRESS:0, writes the port, execs ARGS with the
# socket as fd 3 and the variables systemd would set.
cat >"$WORK/activate.py" <<'PY'
import os, socket, sys
address, port_file, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((address, 0))
listener.listen(16)
with open(port_file, "w") as f:
    f.write(str(listener.getsockname()[1]))
os.dup2(listener.fileno(), 3)  # dup2 leaves fd 3 inheritable
env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))  # exec keeps the pid
os.execve(argv[0], argv, env)
PY
activate() { python3 "$WORK/activate.py" "$@"; }

# Started directly (not through the function) so that $! is the pid that becomes serve's.
python3 "$WORK/activate.py" 127.0.0.1 "$WORK/activated.port" "$HELPER" serve --announce-after 20 \
  "${SERVE_IDENTITY[@]}" "${SESSION[@]}" \
  2>"$WORK/activated.err" &
SERVE_PID=$!
EMULATOR_PIDS+=("$SERVE_PID")
wait_for_serve_lines "$SERVE_PID" "$WORK/activated.err"
STDERR=$(cat "$WORK/activated.err")
port=$(cat "$WORK/activated.port")
check "serve announces the port of the socket it was given" test "$SERVE_PORT" = "$port"
token=$(imds_token)
imds_credentials "$token"
check "credentials are served on the passed socket" test "$HTTP_STATUS" = 200
stop_serve TERM
check "SIGTERM stops it with exit 0" test "$SERVE_EXIT" = 0

activate 127.0.0.1 "$WORK/flags.port" "$HELPER" serve --port 9999 "${SERVE_IDENTITY[@]}" \
  "${SESSION[@]}" >"$WORK/stdout" 2>"$WORK/stderr"
STATUS=$?
STDERR=$(cat "$WORK/stderr")
check "--port with a passed socket is refused with a reason" \
  bash -c '[ "$1" -ne 0 ] && [[ "$2" == *"ListenStream"* ]]' _ "$STATUS" "$STDERR"

# The same from a serve --config file's top level: the file's line and key are named.
cat >"$WORK/activated.toml" <<EOF
port = 9911
[defaults]
trust-anchor-arn = "$TRUST_ANCHOR_ARN"
profile-arn = "$PROFILE_ARN"
role-arn = "$ROLE_ARN"
endpoint = "$EMULATOR_URL"
[[binding]]
name = "web"
certificate = "$PKI/rsa2048.fullchain.pem"
private-key = "$PKI/rsa2048.key.pem"
container-token-file = "$WORK/web-token"
EOF
activate 127.0.0.1 "$WORK/config.port" "$HELPER" serve --config "$WORK/activated.toml" \
  >"$WORK/stdout" 2>"$WORK/stderr"
STATUS=$?
STDERR=$(cat "$WORK/stderr")
check "serve --config: a port in the file with a passed socket is refused, naming FILE:LINE" \
  bash -c '[ "$1" -ne 0 ] && [[ "$2" == *"$3:1: key "?port?": "*ListenStream* ]]' _ "$STATUS" \
  "$STDERR" "$WORK/activated.toml"

activate 0.0.0.0 "$WORK/any.port" "$HELPER" serve "${SERVE_IDENTITY[@]}" "${SESSION[@]}" \
  >"$WORK/stdout" 2>"$WORK/stderr"
STATUS=$?
STDERR=$(cat "$WORK/stderr")
check "a passed socket off loopback is refused without --allow-non-loopback" \
  bash -c '[ "$1" -ne 0 ] && [[ "$2" == *"not a loopback address"* ]]' _ "$STATUS" "$STDERR"

if command -v systemd-socket-activate >/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  systemd-socket-activate -l "127.0.0.1:$port" "$HELPER" serve "${SERVE_IDENTITY[@]}" \
    "${SESSION[@]}" >"$WORK/ssa.out" 2>"$WORK/ssa.err" &
  SERVE_PID=$!
  EMULATOR_PIDS+=("$SERVE_PID")
  for _ in $(seq 50); do grep -q Listening "$WORK/ssa.err" && break; sleep 0.1; done
  # The first connection starts serve; curl waits while it obtains credentials.
  SERVE_URL="http://127.0.0.1:$port/"
  token=$(curl -s --noproxy '*' --max-time 20 -X PUT "${SERVE_URL}latest/api/token")
  imds_credentials "$token"
  STDERR=$(cat "$WORK/ssa.err")
  check "systemd-socket-activate starts serve on the first connection" test "$HTTP_STATUS" = 200
  # systemd-socket-activate execs serve in its own process (same pid) on the first connection.
  stop_serve TERM
  check "serve under systemd-socket-activate stops on SIGTERM with exit 0" test "$SERVE_EXIT" = 0
else
  echo "note: systemd-socket-activate is not installed; only the Python wrapper was used"
fi

finish
