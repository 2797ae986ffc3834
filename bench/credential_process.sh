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

# measure.py LABEL:COMMAND... runs the commands in turn RUNS times (alternating) and prints one
# Markdown row per command: median and p90 wall time, median peak RSS (from wait4's rusage).
cat >"$work/measure.py" <<'PY'
import os, statistics, subprocess, sys, time
runs = int(sys.argv[1])
commands = [arg.split("\x1f") for arg in sys.argv[2:]]
samples = {i: [] for i in range(len(commands))}
for _ in range(runs):
    for i, (label, *argv) in enumerate(commands):
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if status != 0:
            sys.exit(f"{label}: exit status {status}")
        samples[i].append((elapsed * 1000, usage.ru_maxrss / 1024))
medians = []
for i, (label, *_) in enumerate(commands):
    wall = sorted(s[0] for s in samples[i])
    rss = statistics.median(s[1] for s in samples[i])
    median = statistics.median(wall)
    medians.append(median)
    print(f"| {label} | {runs} | {median:.1f} ms | {wall[int(len(wall) * 0.9) - 1]:.1f} ms | {rss:.1f} MiB |")
if len(commands) == 2:
    print(f"| ratio | | {medians[0] / medians[1]:.2f}x | | |")
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

if "$helper" credential-process --help | grep -q -- '--cache '; then
  for kind in rsa2048 p256; do
    # shellcheck disable=SC2046
    cached=$(command_of "ours, cached, $kind" "$helper" credential-process --cache $(identity "$kind") $session)
    "$helper" credential-process --cache $(identity "$kind") $session >/dev/null  # warm the entry
    python3 "$work/measure.py" "$runs" "$cached"
  done
  rm -rf "$XDG_CACHE_HOME"
  before=$(curl -s --noproxy '*' "$endpoint/_emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions_issued"])')
  start=$(date +%s%N)
  for _ in $(seq 32); do
    # shellcheck disable=SC2046
    "$helper" credential-process --cache $(identity p256) $session >/dev/null &
  done
  wait
  end=$(date +%s%N)
  after=$(curl -s --noproxy '*' "$endpoint/_emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions_issued"])')
  echo
  echo "32 concurrent credential-process --cache on a cold cache: $((after - before)) CreateSession(s), all done in $(((end - start) / 1000000)) ms."
fi
echo
echo "Machine: $(nproc) cores, $(uname -m), $(openssl version | cut -d' ' -f1-2); emulator on loopback, plain HTTP; $(date -u +%F)."
