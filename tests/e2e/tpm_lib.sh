# Sourced by tests/e2e/test_tpm_*.sh after lib.sh: a software TPM (swtpm) of the test's own, its
# state in a private directory under $WORK, listening on a free loopback port pair, stopped when
# the test ends; keys made inside it with tpm2-openssl (`openssl genpkey -provider tpm2`) and
# tpm2-tools; certificates for them issued by the test PKI's intermediate CA.
# Skips (exit 77) when swtpm, swtpm_setup, tpm2-tools or the tpm2 OpenSSL provider is missing.
#
# Quirks worth knowing (Debian 12: swtpm 0.7, tpm2-tools 5.4, tpm2-openssl 1.1.1, tpm2-tss 3.2):
# - There is no resource manager between the tools and swtpm: every tpm2-tools step leaves its
#   objects loaded, and swtpm has three slots; `tpm2_flushcontext -t` after each step.
# - swtpm allows 3 authorization failures (TPM2_PT_MAX_AUTH_FAIL), then locks every
#   password-protected key for 1000 s: a test may spend one wrong password per TPM, not more.
# - tpm2_encodeobject of tpm2-tools 5.4 writes emptyAuth inverted, so the one key file made
#   from tpm2-tools objects (no sign attribute) is written by tss2_key_file below instead.

TPM_MODULES_DIR=$(openssl version -m 2>/dev/null | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p')
for tool in swtpm swtpm_setup tpm2_createprimary tpm2_create tpm2_evictcontrol tpm2_getcap; do
  if ! command -v "$tool" >/dev/null; then
    echo "skip: $tool is not installed (apt-get install swtpm swtpm-tools tpm2-tools)"
    exit 77
  fi
done
if [ ! -e "$TPM_MODULES_DIR/tpm2.so" ]; then
  echo "skip: the tpm2 OpenSSL provider is not installed (no $TPM_MODULES_DIR/tpm2.so;" \
    "apt-get install tpm2-openssl libtss2-tcti-swtpm0)"
  exit 77
fi

# The TSS libraries' own WARNING/ERROR lines would mix into the tools' output; the helper
# silences them by itself, which the tests check by running it without this.
export TSS2_LOG=all+NONE
# The TCTI (how the TSS reaches the TPM) is passed explicitly to each helper run, as a user would.
unset TPM2OPENSSL_TCTI TPM2TOOLS_TCTI TPM_DEVICE

# free_port_pair: a loopback port P with P+1 free too (swtpm's data and control ports).
free_port_pair() {
  python3 - <<'PY'
import socket
for _ in range(50):
    with socket.socket() as first:
        first.bind(("127.0.0.1", 0))
        port = first.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as second:
                second.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
    print(port)
    break
PY
}

# start_tpm NAME [socket]: a new TPM (manufactured by swtpm_setup, with the standard storage key
# at 0x81000001) in $WORK/NAME, on a free loopback port pair, or with `socket` on a unix socket
# ($WORK/NAME/swtpm.sock, the kind aws_signing_helper's TPM_DEVICE may name). Sets TPM_TCTI
# ("swtpm:host=127.0.0.1,port=P" or "swtpm:path=S") for it and points the tools at it
# (TPM2TOOLS_TCTI, and TPM2OPENSSL_TCTI for `openssl -provider tpm2`).
start_tpm() {
  local name=$1
  TPM_STATE=$WORK/$name
  TPM_SOCKET=
  rm -rf "$TPM_STATE" && mkdir -p "$TPM_STATE"
  swtpm_setup --tpm2 --tpm-state "$TPM_STATE" --create-spk >"$TPM_STATE/setup.log" 2>&1 ||
    { echo "swtpm_setup failed:"; cat "$TPM_STATE/setup.log"; exit 1; }
  if [ "${2:-}" = socket ]; then
    TPM_SOCKET=$TPM_STATE/swtpm.sock
    TPM_TCTI=swtpm:path=$TPM_SOCKET
    run_swtpm || { echo "swtpm did not start:"; cat "$TPM_STATE/swtpm.log"; exit 1; }
  else
    TPM_PORT=
    for _ in 1 2 3 4 5; do
      TPM_PORT=$(free_port_pair)
      TPM_TCTI=swtpm:host=127.0.0.1,port=$TPM_PORT
      run_swtpm && break
      TPM_PORT=
    done
    [ -n "$TPM_PORT" ] || { echo "swtpm did not start:"; cat "$TPM_STATE/swtpm.log"; exit 1; }
  fi
  export TPM2TOOLS_TCTI=$TPM_TCTI TPM2OPENSSL_TCTI=$TPM_TCTI
}

# run_swtpm: starts swtpm on TPM_STATE and TPM_PORT or TPM_SOCKET (again, after stop_tpm: the
# same TPM, its transient objects gone, as after a reboot); waits until it answers at TPM_TCTI.
# Sets TPM_PID.
run_swtpm() {
  local server control
  if [ -n "$TPM_SOCKET" ]; then
    server=type=unixio,path=$TPM_SOCKET
    control=type=unixio,path=$TPM_SOCKET.ctrl
  else
    server=type=tcp,port=$TPM_PORT,bindaddr=127.0.0.1
    control=type=tcp,port=$((TPM_PORT + 1)),bindaddr=127.0.0.1
  fi
  swtpm socket --tpm2 --tpmstate "dir=$TPM_STATE" --server "$server" --ctrl "$control" \
    --flags not-need-init,startup-clear --log "file=$TPM_STATE/swtpm.log" &
  TPM_PID=$!
  EMULATOR_PIDS+=("$TPM_PID")
  for _ in $(seq 100); do
    kill -0 "$TPM_PID" 2>/dev/null || return 1
    tpm2_getcap -T "$TPM_TCTI" handles-persistent >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}

# stop_tpm: shuts this test's swtpm down in order (a TPM that loses power without TPM2_Shutdown
# counts it as an authorization failure) and stops it: the helper then finds no TPM there.
stop_tpm() {
  tpm2_shutdown -c -T "$TPM_TCTI" 2>/dev/null
  kill "$TPM_PID" 2>/dev/null
  wait "$TPM_PID" 2>/dev/null
}

# restart_tpm: stops swtpm and starts it again on the same state and port.
restart_tpm() {
  stop_tpm
  run_swtpm || { echo "swtpm did not start again:"; cat "$TPM_STATE/swtpm.log"; exit 1; }
}

tpm_openssl() { openssl "$@" -provider tpm2 -provider default; }

# tpm_key KIND FILE [PASSWORD]: a TSS2 key file made by tpm2-openssl under the owner
# hierarchy's primary key. KIND: rsa2048, p256 or p384.
tpm_key() {
  local kind=$1 file=$2 password=${3:-} options=()
  case $kind in
    rsa2048) options=(-algorithm RSA -pkeyopt bits:2048) ;;
    p256) options=(-algorithm EC -pkeyopt group:P-256) ;;
    p384) options=(-algorithm EC -pkeyopt group:P-384) ;;
    *) echo "tpm_key: unknown kind $kind" >&2; return 1 ;;
  esac
  [ -z "$password" ] || options+=(-pkeyopt "user-auth:$password")
  tpm_openssl genpkey "${options[@]}" -out "$file" 2>"$WORK/genpkey.log" ||
    { cat "$WORK/genpkey.log" >&2; return 1; }
}

# tpm_persistent_key HANDLE KIND [PASSWORD] [USE]: a key made by tpm2-tools under the storage
# key 0x81000001 and made persistent at HANDLE (0x81000002...). KIND: rsa2048 or p256; USE: sign
# (the default) or decrypt.
tpm_persistent_key() {
  local handle=$1 kind=$2 password=${3:-} use=${4:-sign} auth=()
  local algorithm=rsa2048
  [ "$kind" = p256 ] && algorithm=ecc256
  [ -z "$password" ] || auth=(-p "$password")
  local blobs=$WORK/persistent-$handle
  tpm2_create -Q -C 0x81000001 -G "$algorithm" "${auth[@]}" -u "$blobs.pub" -r "$blobs.priv" \
    -a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|$use" &&
    tpm2_flushcontext -t &&
    tpm2_load -Q -C 0x81000001 -u "$blobs.pub" -r "$blobs.priv" -c "$blobs.ctx" &&
    tpm2_evictcontrol -Q -C o -c "$blobs.ctx" "$handle" >/dev/null &&
    tpm2_flushcontext -t
}

# tpm_key_without_sign FILE: an RSA key that may only decrypt (no sign attribute), under the
# storage key 0x81000001, written as a TSS2 key file without a password.
tpm_key_without_sign() {
  local file=$1 blobs=$WORK/nosign
  tpm2_create -Q -C 0x81000001 -G rsa2048 -u "$blobs.pub" -r "$blobs.priv" \
    -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt' &&
    tpm2_flushcontext -t &&
    tss2_key_file 0x81000001 "$blobs.pub" "$blobs.priv" "$file"
}

# tss2_key_file PARENT PUBLIC PRIVATE FILE: the TSS2 PRIVATE KEY PEM file for TPM2B_PUBLIC and
# TPM2B_PRIVATE blobs (as tpm2_create writes them), with emptyAuth TRUE.
tss2_key_file() {
  python3 - "$@" <<'PY'
import base64, sys
parent, public, private, out = sys.argv[1:]
def tlv(tag, body):
    n = len(body)
    length = bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + body
def integer(value):
    body = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return tlv(0x02, body)
loadable_key = bytes.fromhex("6781050a0103")  # 2.23.133.10.1.3
der = tlv(0x30, tlv(0x06, loadable_key) + tlv(0xa0, tlv(0x01, b"\xff")) + integer(int(parent, 16))
          + tlv(0x04, open(public, "rb").read()) + tlv(0x04, open(private, "rb").read()))
text = base64.encodebytes(der).decode().replace("\n", "")
lines = [text[i:i + 64] for i in range(0, len(text), 64)]
with open(out, "w") as f:
    f.write("-----BEGIN TSS2 PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END TSS2 PRIVATE KEY-----\n")
PY
}

# tpm_certificate KEY CN OUT [PASSWORD]: a leaf certificate for the TPM key KEY (a TSS2 file or
# handle:0x81...), issued by the test PKI's intermediate CA, as make-test-pki.sh issues its own.
tpm_certificate() {
  local key=$1 cn=$2 out=$3 password=${4:-} pass=()
  [ -z "$password" ] || { pass=(-passin "pass:$password"); [[ $key == handle:* ]] && key="$key?pass"; }
  cat >"$WORK/leaf.ext" <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
  tpm_openssl req -new -key "$key" "${pass[@]}" -propquery '?provider=tpm2' \
    -subj "/O=rolesanywhere-helper tests/CN=$cn" -out "$WORK/tpm.csr" 2>"$WORK/req.log" &&
    openssl x509 -req -in "$WORK/tpm.csr" -CA "$PKI/intermediate-ca.pem" \
      -CAkey "$PKI/intermediate-ca.key" -set_serial "0x7$(openssl rand -hex 15 | cut -c2-)" \
      -days 30 -sha256 -extfile "$WORK/leaf.ext" -out "$out" 2>>"$WORK/req.log" ||
    { cat "$WORK/req.log" >&2; return 1; }
  tpm2_flushcontext -t 2>/dev/null
  return 0
}

# tpm_public_key KEY OUT [PASSWORD]: the public half of a TPM key, as a PEM file.
tpm_public_key() {
  local key=$1 out=$2 password=${3:-} pass=()
  [ -z "$password" ] || { pass=(-passin "pass:$password"); [[ $key == handle:* ]] && key="$key?pass"; }
  tpm_openssl pkey -in "$key" "${pass[@]}" -pubout -out "$out"
}

# tpm_lockout_counter: how many authorization failures the TPM has counted (dictionary attack
# protection); a wrong password tried twice shows here as 2.
tpm_lockout_counter() {
  tpm2_getcap properties-variable | sed -n 's/^TPM2_PT_LOCKOUT_COUNTER: *//p' | xargs printf '%d\n'
}

# tpm_transient_objects: how many objects are loaded in the TPM right now (keys left behind by
# a process that did not flush them; swtpm holds three).
tpm_transient_objects() {
  tpm2_getcap handles-transient | grep -c '^- ' || true
}

# with_tpm ARGS...: the helper's TCTI for this test's TPM, as a user sets it.
with_tpm() { TPM2OPENSSL_TCTI=$TPM_TCTI "$@"; }
