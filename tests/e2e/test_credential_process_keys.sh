#!/usr/bin/env bash
# credential-process against the verifying emulator, for every key type and file format, with
# and without a chain: the emulator checks the signature and the chain to its trust anchor.
source "$(dirname "$0")/lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"

for kind in rsa2048 rsa3072 rsa4096 p256 p384 p521; do
  expect_credentials "$kind: PEM certificate, PKCS#8 key, --intermediates" \
    --certificate "$PKI/$kind.crt.pem" --private-key "$PKI/$kind.key.pem" \
    --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"
  expect_credentials "$kind: DER certificate" \
    --certificate "$PKI/$kind.crt.der" --private-key "$PKI/$kind.key.pem" \
    --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"
  expect_credentials "$kind: chain inside the certificate file" \
    --certificate "$PKI/$kind.fullchain.pem" --private-key "$PKI/$kind.key.pem" "${SESSION[@]}"
  expect_credentials "$kind: issued by the trust anchor itself, no chain" \
    --certificate "$PKI/direct-$kind.crt.pem" --private-key "$PKI/$kind.key.pem" "${SESSION[@]}"
done

for kind in rsa2048 p256; do
  for format in key.pkcs8.der key.traditional.pem key.traditional.der; do
    expect_credentials "$kind: private key as $format" \
      --certificate "$PKI/$kind.fullchain.pem" --private-key "$PKI/$kind.$format" "${SESSION[@]}"
  done
  for format in key.enc-pbkdf2.pem key.enc-pbkdf2.der key.enc-scrypt.pem; do
    expect_credentials "$kind: encrypted PKCS#8 $format with --pkcs8-password" \
      --certificate "$PKI/$kind.fullchain.pem" --private-key "$PKI/$kind.$format" \
      --pkcs8-password test-password "${SESSION[@]}"
  done
  expect_credentials "$kind: PKCS#12 with password as --certificate (key, leaf and chain)" \
    --certificate "$PKI/$kind.p12" --pkcs8-password test-password "${SESSION[@]}"
  expect_credentials "$kind: PKCS#12 without password as --private-key" \
    --private-key "$PKI/$kind.nopass.p12" "${SESSION[@]}"
  expect_credentials "$kind: PKCS#12 key with a separate certificate file" \
    --certificate "$PKI/$kind.crt.pem" --private-key "$PKI/$kind.nopass.p12" \
    --intermediates "$PKI/intermediates.pem" "${SESSION[@]}"
done

# Files that are pipes: process substitution (`--certificate <(vault read ...)`) and a named
# FIFO whose writer comes after the helper has opened it (read waits for it within its 10 s).
expect_credentials "certificate and key through process substitution" \
  --certificate <(cat "$PKI/p256.fullchain.pem") --private-key <(cat "$PKI/p256.key.pem") \
  "${SESSION[@]}"
mkfifo "$WORK/certificate.fifo"
# timeout: a helper that never opens the FIFO must not leave this writer behind for ever.
(sleep 1 && timeout 30 sh -c 'cat "$1" >"$2"' - "$PKI/p256.fullchain.pem" "$WORK/certificate.fifo") &
writer=$!
expect_credentials "certificate from a named FIFO whose writer comes late" \
  --certificate "$WORK/certificate.fifo" --private-key "$PKI/p256.key.pem" "${SESSION[@]}"
wait "$writer"

expect_credentials "role session name and a 15-minute session" \
  --certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem" \
  --role-session-name ci-runner-7 --session-duration 900 "${SESSION[@]}"

# The expiration we print is the one the service chose: durationSeconds from now.
run_helper credential-process --certificate "$PKI/p256.fullchain.pem" \
  --private-key "$PKI/p256.key.pem" --session-duration 7200 "${SESSION[@]}"
if python3 - "$STDOUT" <<'PY'
import json, sys, datetime
expiration = datetime.datetime.strptime(json.loads(sys.argv[1])["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
left = (expiration - datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)).total_seconds()
assert 7200 - 120 < left <= 7200 + 5, left
PY
then pass "--session-duration reaches the service"; else fail "--session-duration reaches the service"; fi

# Every success above was a session the emulator verified and issued; nothing else was.
issued=$(emulator_stat sessions_issued)
[ "$issued" -eq "$PASSED" ] && pass "the emulator issued exactly the $issued sessions above" ||
  fail "the emulator issued $issued sessions for $PASSED successes"

finish
