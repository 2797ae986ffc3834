#!/usr/bin/env bash
# A command loads only the libraries it uses: libcurl (with its LDAP, Kerberos, RTMP and SSH
# dependencies), libmicrohttpd and the PKCS#11 stack are loaded with dlopen by the code that
# calls them, so version, --help, sign-string and read-certificate-data of files start without
# them. Checked with the dynamic loader's own log (LD_DEBUG=files), and by checking that the
# commands that do need a library load it, so this test can fail.
source "$(dirname "$0")/lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"

# Libraries no file-only command may load (a name matches anywhere in the loaded object's path).
FORBIDDEN=(libcurl libp11 p11-kit libmicrohttpd libldap libgssapi librtmp libssh)

# run_traced ARGS...: runs the helper with the loader logging every object it loads; sets STATUS,
# STDOUT, STDERR and LOADED (the loaded objects, one a line).
run_traced() {
  rm -f "$WORK"/ld-debug.*
  LD_DEBUG=files LD_DEBUG_OUTPUT=$WORK/ld-debug "$HELPER" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  STATUS=$?
  STDOUT=$(cat "$WORK/stdout")
  STDERR=$(cat "$WORK/stderr")
  LOADED=$(cat "$WORK"/ld-debug.* 2>/dev/null | sed -n 's/.*file=\([^ ]*\) .*/\1/p' | sort -u)
}

# forbidden_loaded: the forbidden libraries among LOADED, if any.
forbidden_loaded() {
  local name
  for name in "${FORBIDDEN[@]}"; do grep -F -- "$name" <<<"$LOADED"; done
}

# expect_lean DESCRIPTION ARGS...: the command succeeds and loads none of FORBIDDEN. The log must
# show libc, or LD_DEBUG did not work and the check would prove nothing.
expect_lean() {
  local description=$1
  shift
  run_traced "$@"
  local found
  found=$(forbidden_loaded | sort -u | tr '\n' ' ')
  if [ "$STATUS" -eq 0 ] && grep -q 'libc\.so' <<<"$LOADED" && [ -z "$found" ]; then
    pass "$description"
  else
    fail "$description (loaded: ${found:-none of them}; log has libc: $(grep -c 'libc\.so' <<<"$LOADED"))"
  fi
}

# expect_loaded DESCRIPTION NAME ARGS...: the command succeeds and loads NAME.
expect_loaded() {
  local description=$1 name=$2
  shift 2
  run_traced "$@"
  if [ "$STATUS" -eq 0 ] && grep -qF -- "$name" <<<"$LOADED"; then
    pass "$description"
  else
    fail "$description (loaded: $(tr '\n' ' ' <<<"$LOADED"))"
  fi
}

# Nothing is linked: ldd lists none of them.
LINKED=$(ldd "$HELPER" 2>&1)
found=$(for name in "${FORBIDDEN[@]}"; do grep -F -- "$name" <<<"$LINKED"; done)
if [ -z "$found" ] && grep -q 'libc\.so' <<<"$LINKED"; then
  pass "ldd lists none of the lazily loaded libraries ($(wc -l <<<"$LINKED") lines)"
else
  STDOUT=$found
  fail "ldd lists none of the lazily loaded libraries"
fi

expect_lean "version loads none of them" version
expect_lean "--help loads none of them" --help
expect_lean "sign-string with a file key loads none of them" \
  sign-string --private-key "$PKI/rsa2048.key.pem" --format text
expect_lean "sign-string with a PKCS#12 file loads none of them" \
  sign-string --certificate "$PKI/rsa2048.nopass.p12" --format text
expect_lean "read-certificate-data of a file loads none of them" \
  read-certificate-data --certificate "$PKI/p256.fullchain.pem"

# The commands that need a library load it.
expect_loaded "credential-process against the emulator loads libcurl" libcurl.so.4 \
  credential-process --certificate "$PKI/rsa2048.fullchain.pem" \
  --private-key "$PKI/rsa2048.key.pem" "${SESSION[@]}"
if valid_credentials_json "$STDOUT" 2>/dev/null; then
  pass "credential-process with libcurl loaded at run time prints credentials"
else
  fail "credential-process with libcurl loaded at run time prints credentials"
fi
# (p11-kit itself comes with libcurl on Debian, through librtmp's GnuTLS.)
found=$(grep -E 'libp11\.so|libmicrohttpd' <<<"$LOADED")
if [ -z "$found" ]; then
  pass "credential-process with file keys loads neither libp11 nor libmicrohttpd"
else
  STDOUT=$found
  fail "credential-process with file keys loads neither libp11 nor libmicrohttpd"
fi

# A pkcs11: URI loads libp11 and p11-kit. token.sh exits 77 without SoftHSM2; this test has
# checked the rest by then, so that part is skipped here instead, in the tally.
if [ -e /usr/lib/softhsm/libsofthsm2.so ] && command -v pkcs11-tool >/dev/null; then
  source "$SOURCE_DIR/tests/pkcs11/token.sh"
  # token.sh runs HELPER through setsid: the log then has one file per process; all are read.
  expect_loaded "read-certificate-data of a pkcs11: URI loads libp11" libp11.so.3 \
    read-certificate-data --certificate "$TOKEN;object=p256;type=cert?pin-value=$USER_PIN"
  if grep -qF libp11-kit.so.0 <<<"$LOADED"; then
    pass "read-certificate-data of a pkcs11: URI loads p11-kit"
  else
    fail "read-certificate-data of a pkcs11: URI loads p11-kit"
  fi
else
  skip "a pkcs11: URI loads libp11" "SoftHSM2 or pkcs11-tool is not installed"
fi

finish
