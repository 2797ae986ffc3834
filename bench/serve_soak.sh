#!/usr/bin/env bash
# Soak of `serve`: wrk on the credentials path for N minutes while the emulator issues 60-second
# sessions (serve refreshes half-way, every 30 s) and fails every third refresh: it answers two
# CreateSession requests, then fails three, all the attempts the helper makes for one refresh
# (serve then retries within a second or two).
# Reports the answers that were not 200 while the credentials were valid (must be 0), and serve's
# resident memory and open descriptors at the start, every minute and at the end (must stay
# flat). A probe beside wrk asks for the credentials every second and checks the Expiration it
# is given, so a lapse of valid credentials is told apart from an error of serve.
#
#   bench/serve_soak.sh [--minutes N]     (default 10; builds first if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
minutes=10
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=${2:?--minutes needs a number}; shift 2 ;;
    *) echo "usage: bench/serve_soak.sh [--minutes N]" >&2; exit 2 ;;
  esac
done
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "--minutes must be a whole number of minutes" >&2; exit 2; }

bench_build 2
# 500: retried by the helper, as the service's transient errors are.
bench_start_emulator --max-session-seconds 60 --fail-cycle 2:3 --fail-status 500

build/rolesanywhere-helper serve --port 0 --certificate "$work/pki/p256.fullchain.pem" \
  --private-key "$work/pki/p256.key.pem" --trust-anchor-arn "$ta" --profile-arn "$profile" \
  --role-arn "$role" --endpoint "$endpoint" 2>"$work/serve.err" &
serve=$!
pids+=($serve)
for _ in $(seq 100); do grep -q '^export' "$work/serve.err" && break; sleep 0.05; done
url=$(sed -n 's/^export AWS_EC2_METADATA_SERVICE_ENDPOINT=//p' "$work/serve.err")
[ -n "$url" ] || { echo "serve did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }
token=$(curl -s --noproxy '*' -X PUT "${url}latest/api/token")
path=latest/meta-data/iam/security-credentials/bench
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "x-aws-ec2-metadata-token: $token" "$url$path")" = 200 ] && break
  sleep 0.1
done

rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$serve/status"; }
fds() { find "/proc/$serve/fd" -mindepth 1 -maxdepth 1 | wc -l; }
emulator_stats() {
  curl -s --noproxy '*' "$endpoint/_emulator/stats" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["sessions_issued"], "sessions issued,", d["faults_injected"], "CreateSession requests failed")'
}
sample() { echo "$1: serve RSS $(rss_mib) MiB, $(fds) open descriptors; $(emulator_stats)"; }

echo "serve soak, $(date -u +%Y-%m-%d), ${minutes} min: 60-second sessions, every third refresh fails"
sample "start"

# The probe: every second, the credentials as an SDK sees them, and whether they were valid.
python3 - "$url$path" "$token" "$((minutes * 60))" >"$work/probe.out" <<'PY' &
import datetime, json, sys, time, urllib.request
url, token, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
probes = lapses = 0
keys = set()
end = time.time() + seconds
while time.time() < end:
    request = urllib.request.Request(url, headers={"x-aws-ec2-metadata-token": token})
    probes += 1
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            body = json.load(answer)
        expiration = datetime.datetime.fromisoformat(body["Expiration"].replace("Z", "+00:00"))
        if expiration <= datetime.datetime.now(datetime.timezone.utc):
            lapses += 1
        keys.add(body["AccessKeyId"])
    except Exception as error:  # a 503 is a lapse: serve had no valid credentials to give
        lapses += 1
        print("probe:", repr(error)[:200], flush=True)
    time.sleep(1)
print(f"probes={probes} lapses={lapses} credentials_seen={len(keys)}")
PY
probe=$!
pids+=($probe)

nice -n 10 wrk -t2 -c16 -d"${minutes}m" --timeout 5s -H "x-aws-ec2-metadata-token: $token" \
  "$url$path" >"$work/wrk.out" &
wrk=$!
pids+=($wrk)
for minute in $(seq $((minutes - 1))); do
  sleep 60
  sample "minute $minute (wrk's 16 connections open)"
done
wait "$wrk"
wait "$probe" || true
sample "end"

status=0
python3 - "$work/wrk.out" "$work/probe.out" <<'PY' || status=$?
import re, sys
wrk, probe = open(sys.argv[1]).read(), open(sys.argv[2]).read()
requests = int(re.search(r"(\d+) requests in", wrk).group(1))
non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
non_200 = int(non_2xx.group(1)) if non_2xx else 0
socket_errors = re.search(r"Socket errors: (.*)", wrk)
rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)
summary = re.search(r"probes=(\d+) lapses=(\d+) credentials_seen=(\d+)", probe)
print(f"wrk: {requests:,} requests ({float(rps):,.0f}/s), {non_200} not 200, socket errors: "
      f"{socket_errors.group(1) if socket_errors else 'none'}")
if summary:
    print(f"probe: {summary.group(1)} probes, {summary.group(2)} without valid credentials, "
          f"{summary.group(3)} different credentials served")
lapses = int(summary.group(2)) if summary else -1
verdict = ("non-200 answers while credentials were valid: 0" if non_200 == 0 and lapses == 0
           else f"FAILED: {non_200} non-200 answers, {lapses} probes without valid credentials")
print(verdict)
sys.exit(0 if non_200 == 0 and lapses == 0 else 1)
PY
# What serve said: a line per failed refresh and one when the next succeeded, nothing else.
echo "serve: $(grep -c 'refreshing credentials failed' "$work/serve.err") refreshes failed," \
  "$(grep -c 'credentials refreshed after the failures' "$work/serve.err") recovered;" \
  "$(grep -v 'export\|Local server started\|Make it available\|refreshing credentials failed\|refreshed after the failures' \
    "$work/serve.err" | wc -l) other line(s) on stderr"
exit $status
