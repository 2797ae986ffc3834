#!/usr/bin/env bash
# credential-process as SDKs run it, a fresh process each time, against the local emulator:
# wall time and peak memory, median of many runs, printed as Markdown tables for the README.
#
#   bench/credential_process.sh [--runs N] [--compare PATH_TO_aws_signing_helper]
#
# - fresh: no cache, RSA-2048 and P-256. With --compare, aws_signing_helper runs the same
#   command in alternation with ours (ours, theirs, ours, ...), so a machine that slows down
#   mid-run slows both, and the ratio of the medians is reported.
# - cached: --cache with a warm entry (the common case for the AWS CLI).
# - concurrent: 32 credential-process --cache at once on a cold cache, and how many CreateSessions
#   the emulator saw.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=50
compare=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --compare) compare=$(realpath "$2"); shift 2 ;;
    [0-9]*) runs=$1; shift ;;  # the old positional RUNS
    *) echo "usage: $0 [--runs N] [--compare PATH]" >&2; exit 2 ;;
  esac
done
bench_build "$(nproc)"
bench_start_emulator
helper=$PWD/build/rolesanywhere-helper
pki=$work/pki
identity() { echo --certificate "$pki/$1.crt.pem" --intermediates "$pki/intermediates.pem" --private-key "$pki/$1.key.pem"; }
session="--trust-anchor-arn $ta --profile-arn $profile --role-arn $role --endpoint $endpoint"
export HOME=$work/home XDG_CACHE_HOME=$work/cache
mkdir -p "$HOME"

# measure.py RUNS COMMAND...: runs the commands in turn RUNS times (alternating) and prints one
# Markdown row per command: median and p90 wall time, and median peak RSS. The wall time is taken
# around a plain fork/exec; the peak RSS in a separate run under /usr/bin/time, since a child
# forked from Python counts Python's own pages until it execs.
cat >"$work/measure.py" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
runs = int(sys.argv[1])
commands = [arg.split("\x1f") for arg in sys.argv[2:]]
wall = {i: [] for i in range(len(commands))}
rss = {i: [] for i in range(len(commands))}
rss_file = tempfile.NamedTemporaryFile(delete=False).name
for _ in range(runs):
    for i, (label, *argv) in enumerate(commands):
        start = time.perf_counter()
        status = subprocess.call(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall[i].append((time.perf_counter() - start) * 1000)
        if status != 0:
            sys.exit(f"{label}: exit status {status}")
        subprocess.call(["/usr/bin/time", "-f", "%M", "-o", rss_file, *argv],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rss[i].append(int(open(rss_file).read().split()[-1]) / 1024)
medians = []
for i, (label, *_) in enumerate(commands):
    times = sorted(wall[i])
    median = statistics.median(times)
    medians.append(median)
    print(f"| {label} | {runs} | {median:.1f} ms | {times[int(len(times) * 0.9) - 1]:.1f} ms "
          f"| {statistics.median(rss[i]):.1f} MiB |")
if len(commands) == 2:
    print(f"| ratio, ours / aws_signing_helper | | {medians[0] / medians[1]:.2f}x | | "
          f"{statistics.median(rss[0]) / statistics.median(rss[1]):.2f}x |")
PY
command_of() { local IFS=$'\x1f'; echo "$*"; }

echo "| run | runs | median wall time | p90 wall time | median peak RSS |"
echo "|---|---|---|---|---|"
for kind in rsa2048 p256; do
  # shellcheck disable=SC2046 # word splitting of the flag lists is intended
  ours=$(command_of "ours, fresh, $kind" "$helper" credential-process $(identity "$kind") $session)
  if [ -n "$compare" ]; then
    # shellcheck disable=SC2046
    theirs=$(command_of "aws_signing_helper, $kind" "$compare" credential-process $(identity "$kind") $session)
    python3 "$work/measure.py" "$runs" "$ours" "$theirs"
  else
    python3 "$work/measure.py" "$runs" "$ours"
  fi
done

for kind in rsa2048 p256; do
  # shellcheck disable=SC2046
  cached=$(command_of "ours, cached, $kind" "$helper" credential-process --cache $(identity "$kind") $session)
  # shellcheck disable=SC2046
  "$helper" credential-process --cache $(identity "$kind") $session >/dev/null  # warm the entry
  if [ -n "$compare" ]; then
    # shellcheck disable=SC2046
    theirs=$(command_of "aws_signing_helper, fresh, $kind" "$compare" credential-process $(identity "$kind") $session)
    python3 "$work/measure.py" "$runs" "$cached" "$theirs"
  else
    python3 "$work/measure.py" "$runs" "$cached"
  fi
done

sessions_issued() {
  curl -s --noproxy '*' "$endpoint/_emulator/stats" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["sessions_issued"])'
}
rm -rf "$XDG_CACHE_HOME"
before=$(sessions_issued)
start=$(date +%s%N)
callers=()
for _ in $(seq 32); do
  # shellcheck disable=SC2046
  "$helper" credential-process --cache $(identity p256) $session >/dev/null &
  callers+=($!)
done
wait "${callers[@]}"  # not a bare wait: the emulator is a child of this shell too
end=$(date +%s%N)
echo
echo "32 concurrent credential-process --cache on a cold cache: $(($(sessions_issued) - before))" \
  "CreateSession(s), all 32 done in $(((end - start) / 1000000)) ms."
echo
echo "Machine: $(nproc) cores, $(uname -m), $(openssl version | cut -d' ' -f1-2); emulator on loopback, plain HTTP; $(date -u +%F)."
