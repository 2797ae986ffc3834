# Sourced by tests/e2e/test_pkcs11_*.sh after lib.sh: builds this test's own SoftHSM2 token
# (tests/pkcs11/make-softhsm-token.sh) in $WORK/token and points SOFTHSM2_CONF at it, so the
# helper reaches it both through p11-kit-proxy (Debian registers SoftHSM2 with p11-kit) and
# through --pkcs11-lib. Skips (exit 77) only when SoftHSM2 or pkcs11-tool is not installed.
SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so
if [ ! -e "$SOFTHSM_MODULE" ]; then
  echo "skip: SoftHSM2 is not installed ($SOFTHSM_MODULE missing; apt-get install softhsm2)"
  exit 77
fi
if ! command -v pkcs11-tool >/dev/null; then
  echo "skip: pkcs11-tool is not installed (apt-get install opensc)"
  exit 77
fi

"$SOURCE_DIR/tests/pkcs11/make-softhsm-token.sh" "$WORK/token" "$PKI" >"$WORK/token.log" 2>&1 ||
  { echo "could not build the SoftHSM2 token:"; cat "$WORK/token.log"; exit 1; }
export SOFTHSM2_CONF=$WORK/token/softhsm2.conf
# shellcheck source=/dev/null
source "$WORK/token/token.env"
TOKEN="pkcs11:token=$TOKEN_LABEL"
PIN_FILE=$WORK/user-pin
printf '%s\n' "$USER_PIN" >"$PIN_FILE"

# The helper never gets a controlling terminal here, so a PIN prompt fails fast with its
# "no terminal" error instead of waiting for someone at the developer's terminal.
without_terminal

# expect_no_pin_leak DESCRIPTION PIN: the PIN appears in neither stdout nor stderr.
expect_no_pin_leak() {
  if [[ "$STDOUT$STDERR" != *"$2"* ]]; then pass "$1"; else fail "$1"; fi
}

# OpenSC's pkcs11-spy sits between the helper and SoftHSM2 and logs every PKCS#11 call, so a
# test can count logins and sessions. Usage: with_spy LOG; run_helper ... --pkcs11-lib "$SPY"
SPY=/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so
with_spy() {
  export PKCS11SPY=$SOFTHSM_MODULE PKCS11SPY_OUTPUT=$1
  rm -f "$1"
}
# spy_count LOG FUNCTION: how many times FUNCTION was called.
spy_count() { grep -c "^[0-9]*: $2\$" "$1" 2>/dev/null || true; }
