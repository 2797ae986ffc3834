#!/usr/bin/env bash
# Wall time and peak memory of one credential-process run against the local emulator, for
# RSA-2048 and P-256 keys: the median of many runs, printed as a Markdown table for the README.
#
#   bench/credential_process.sh [RUNS]     (default 50; builds first if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-50}
bench_build "$(nproc)"
bench_start_emulator

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
