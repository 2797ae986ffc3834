#!/usr/bin/env bash
# Throughput, latency and memory of `serve` on the credentials path (the request SDKs repeat):
# wrk on loopback with a valid IMDSv2 token, against serve backed by the local emulator.
# Prints a Markdown table for the README.
#
#   bench/serve.sh [SECONDS]     (default 10 per row; builds first if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
duration=${1:-10}
bench_build 2
bench_start_emulator

build/rolesanywhere-helper serve --port 0 --certificate "$work/pki/p256.fullchain.pem" \
  --private-key "$work/pki/p256.key.pem" --trust-anchor-arn "$ta" --profile-arn "$profile" \
  --role-arn "$role" --endpoint "$endpoint" 2>"$work/serve.err" &
serve=$!
pids+=($serve)
for _ in $(seq 100); do grep -q '^export' "$work/serve.err" && break; sleep 0.05; done
url=$(sed -n 's/^export AWS_EC2_METADATA_SERVICE_ENDPOINT=//p' "$work/serve.err")
token=$(curl -s --noproxy '*' -X PUT "${url}latest/api/token")
path=latest/meta-data/iam/security-credentials/bench
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "x-aws-ec2-metadata-token: $token" "$url$path")" = 200 ] ||
  { echo "serve is not answering 200" >&2; exit 1; }
rss_kib() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$serve/status"; }
rss_idle=$(rss_kib VmRSS)

echo "| connections | wrk threads | requests/s | p50 | p90 | p99 | max |"
echo "|---|---|---|---|---|---|---|"
for connections in 1 16 64; do
  threads=$((connections < 2 ? 1 : 2))
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency \
    -H "x-aws-ec2-metadata-token: $token" "$url$path" >"$work/wrk.out"
  python3 - "$connections" "$threads" "$work/wrk.out" <<'PY'
import re, sys
connections, threads, text = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def pct(p):
    return re.search(rf"^\s+{p}%\s+(\S+)", text, re.M).group(1)
latency_max = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", text).group(1)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
note = f" ({errors.group(1)} non-2xx!)" if errors else ""
print(f"| {connections} | {threads} | {rps:,.0f}{note} | {pct(50)} | {pct(90)} | {pct(99)} | {latency_max} |")
PY
done
echo
echo "serve memory: RSS $((rss_idle / 1024)).$(((rss_idle % 1024) * 10 / 1024)) MiB idle after start-up," \
  "$(($(rss_kib VmRSS) / 1024)) MiB after the runs, peak $(($(rss_kib VmHWM) / 1024)) MiB."
echo "Machine: $(nproc) cores (wrk and serve share them), $(uname -m); loopback, plain HTTP, a" \
  "P-256 identity; every request checks the token and renders the credentials JSON."
