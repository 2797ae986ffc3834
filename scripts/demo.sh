#!/usr/bin/env bash
# The newcomer's first run: builds the helper and the emulator, makes a fresh test PKI, starts
# the emulator on a free loopback port, and runs credential-process against it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target rolesanywhere-helper rolesanywhere-emulator >/dev/null

demo=.demo
rm -rf "$demo" && mkdir -p "$demo"
echo "Making a test PKI (root CA, intermediate, client certificates) in $demo/pki ..." >&2
testdata/make-test-pki.sh "$demo/pki" >/dev/null

trust_anchor=arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a1b2c3d4-0000-4000-8000-00000000000a
profile=arn:aws:rolesanywhere:us-east-1:123456789012:profile/a1b2c3d4-0000-4000-8000-00000000000b
role=arn:aws:iam::123456789012:role/rolesanywhere-demo

build/rolesanywhere-emulator --port 0 --port-file "$demo/port" --ca "$demo/pki/root-ca.pem" \
  --trust-anchor-arn "$trust_anchor" --profile-arn "$profile" --role-arn "$role" \
  --verbose 2>"$demo/emulator.log" &
emulator=$!
trap 'kill $emulator 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$demo/port" ] && break; sleep 0.05; done
endpoint=http://127.0.0.1:$(cat "$demo/port")
echo "Emulator verifying signatures at $endpoint" >&2

command=(build/rolesanywhere-helper credential-process
  --certificate "$demo/pki/p256.crt.pem" --private-key "$demo/pki/p256.key.pem"
  --intermediates "$demo/pki/intermediates.pem"
  --trust-anchor-arn "$trust_anchor" --profile-arn "$profile" --role-arn "$role"
  --endpoint "$endpoint")
echo "Running: ${command[*]}" >&2
echo >&2
"${command[@]}"
echo
echo >&2
echo "The emulator's verdict:" >&2
grep -E "^rolesanywhere-emulator: .* -> " "$demo/emulator.log" >&2
