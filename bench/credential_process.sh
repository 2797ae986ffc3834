#!/usr/bin/env bash
# Wall time and peak memory of one credential-process run against the local emulator, for
# RSA-2048 and P-256 keys: the median of many runs, printed as a Markdown table for the README.
#
#   bench/credential_process.sh [RUNS]     (default 50; builds first if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
scripts/install-deps.sh --test
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target rolesanywhere-helper rolesanywhere-emulator >/dev/null

work=$(mktemp -d)
trap 'kill $emulator 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
unset AWS_CA_BUNDLE SSL_CERT_FILE CURL_CA_BUNDLE http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
testdata/make-test-pki.sh "$work/pki" >/dev/null
ta=arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a1b2c3d4-0000-4000-8000-00000000000a
profile=arn:aws:rolesanywhere:us-east-1:123456789012:profile/a1b2c3d4-0000-4000-8000-00000000000b
role=arn:aws:iam::123456789012:role/bench
build/rolesanywhere-emulator --port 0 --port-file "$work/port" --ca "$work/pki/root-ca.pem" \
  --trust-anchor-arn "$ta" --profile-arn "$profile" --role-arn "$role" 2>/dev/null &
emulator=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
endpoint=http://127.0.0.1:$(cat "$work/port")

echo "| key | runs | median wall time | p90 wall time | median peak RSS |"
echo "|---|---|---|---|---|"
for kind in rsa2048 p256; do
  : >"$work/samples"
  for _ in $(seq "$runs"); do
    # /usr/bin/time gives peak RSS; its wall clock has only 10 ms steps, so time with date.
    start=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$work/rss" build/rolesanywhere-helper credential-process \
      --certificate "$work/pki/$kind.fullchain.pem" --private-key "$work/pki/$kind.key.pem" \
      --trust-anchor-arn "$ta" --profile-arn "$profile" --role-arn "$role" \
      --endpoint "$endpoint" >/dev/null
    end=$(date +%s%N)
    echo "$(((end - start) / 1000)) $(cat "$work/rss")" >>"$work/samples"
  done
  python3 - "$kind" "$runs" "$work/samples" <<'PY'
import statistics, sys
kind, runs, path = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [line.split() for line in open(path) if line.strip()]
wall = sorted(int(r[0]) / 1000 for r in rows)  # microseconds to ms
rss = sorted(int(r[1]) for r in rows)
p90 = wall[int(len(wall) * 0.9) - 1]
print(f"| {kind} | {runs} | {statistics.median(wall):.1f} ms | {p90:.1f} ms | {statistics.median(rss) / 1024:.1f} MiB |")
PY
done
echo
echo "Machine: $(nproc) cores, $(uname -m), $(openssl version | cut -d' ' -f1-2); emulator on loopback, plain HTTP."
