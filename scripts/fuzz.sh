#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ with clang (libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, the libraries instrumented too) in build-fuzz/, and runs each for
# SECONDS (default 60) on a scratch copy of its seed corpus (fuzz/corpus/<target>/ is never
# grown here). Prints, per target, executions, coverage (libFuzzer's final cov:) and crashes,
# grouped by what each one is (a sanitizer's report with the place in src/, a violated
# invariant, an escaped exception) with one input for each; crash inputs are saved to
# build-fuzz/crashes/<target>/ and libFuzzer's logs to build-fuzz/logs/. Exits 1 when any target
# crashed.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     TARGET: a folder of fuzz/corpus; all if none
#
# A crash input replays with `build-fuzz/fuzz/fuzz_<target> FILE`; once the defect is fixed it
# goes into fuzz/regressions/<target>/, which ctest replays in every build (label fuzz-replay).
# Runs one target at a time on one core; FUZZ_JOBS=N runs N at once (the machine has 2 cores).
set -euo pipefail

seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
jobs=${FUZZ_JOBS:-1}

command -v clang++ >/dev/null ||
  { echo "fuzz.sh: clang++ not found (scripts/install-deps.sh --test installs it)" >&2; exit 1; }

# The longest input worth trying per target: a little more than the largest real one.
declare -A max_len=(
  [argv_blanking]=1024 [arn_endpoint]=1024 [aws_config]=4096 [cache_entry]=8192
  [container_token]=8192 [create_session_response]=8192 [credentials_ini]=4096 [emulator_verify]=8192 [identity_certificates]=8192
  [identity_pkcs12]=8192 [identity_private_key]=8192 [iso8601]=128 [pkcs11_uri]=512
  [serve_config]=4096
  [serve_handler]=4096)

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(ls "$root/fuzz/corpus")
fi
for target in "${targets[@]}"; do
  [ -d "$root/fuzz/corpus/$target" ] ||
    { echo "fuzz.sh: no target $target in fuzz/corpus" >&2; exit 2; }
done

mkdir -p "$build"
sanitizers="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBUILD_TESTING=OFF -DRAH_FUZZ=ON \
  "-DCMAKE_C_FLAGS=$sanitizers" "-DCMAKE_CXX_FLAGS=$sanitizers" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
build_targets=()
for target in "${targets[@]}"; do build_targets+=(--target "fuzz_$target"); done
cmake --build "$build" -j"${FUZZ_BUILD_JOBS:-2}" "${build_targets[@]}" >"$build/build.log" 2>&1 ||
  { tail -50 "$build/build.log" >&2; exit 1; }

# Leaks are reported too; UBSan stops at the first finding and prints where.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_target() { # run_target NAME: fuzzes it, leaves its log in $build/logs/NAME.log
  local name=$1 work=$build/work/$1 crashes=$build/crashes/$1
  rm -rf "$work" "$crashes"
  mkdir -p "$work/corpus" "$crashes" "$build/logs"
  cp "$root/fuzz/corpus/$name/"* "$work/corpus/"
  local dict=()
  [ -f "$root/fuzz/dict/$name.dict" ] && dict=("-dict=$root/fuzz/dict/$name.dict")
  # -fork=1: one worker process that is restarted after a crash, so a known defect does not end
  # the run and hide the next one. -timeout: an input taking 10 s is a finding (a hang).
  (cd "$work" && "$build/fuzz/fuzz_$name" corpus "${dict[@]}" -fork=1 -ignore_crashes=1 \
    -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$seconds" \
    -max_len="${max_len[$name]:-4096}" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$crashes/" >"$build/logs/$name.log" 2>&1) || true
}

pids=()
for target in "${targets[@]}"; do
  run_target "$target" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for pid in "${pids[@]}"; do wait "$pid"; done

# What one crash input is: the first report line of running it again alone (a sanitizer's
# SUMMARY, a violated invariant, an exception that escaped). Timeouts and OOMs are not re-run.
classify() { # classify TARGET FILE
  case $(basename "$2") in
    timeout-*) echo "timeout (over 10 s)"; return ;;
    oom-*) echo "out of memory"; return ;;
    slow-unit-*) echo "slow input"; return ;;
  esac
  local output report
  output=$(cd "$build" && timeout 60 "$build/fuzz/fuzz_$1" -timeout=10 "$2" 2>&1 || true)
  local first='fuzz invariant violated: .*|^SUMMARY: [A-Za-z]+Sanitizer: .*'
  first+='|terminate called after throwing .*|ERROR: libFuzzer: .*'
  local tidy='s/ \(BuildId: [0-9a-f]+\)//; s/ in *$//; s/^SUMMARY: //'
  tidy+='; s|/usr/bin/../lib/gcc/[^/]+/[0-9]+/../../../../include/|/usr/include/|'
  report=$(grep -E -o -m1 "$first" <<<"$output" | sed -E "$tidy" || true)
  # Where in the project it happened: the first stack frame in src/.
  local where
  where=$(grep -E -o -m1 '/src/[A-Za-z0-9_/.-]+:[0-9]+' <<<"$output" || true)
  [[ -n $where && $report != fuzz* ]] && report+=" at ${where#/}"
  echo "${report:-crash (no report)}"
}

failed=0
printf '%-26s %12s %8s %8s\n' target executions cov crashes
for target in "${targets[@]}"; do
  log=$build/logs/$target.log
  execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  mapfile -t inputs < <(find "$build/crashes/$target" -type f | sort)
  printf '%-26s %12s %8s %8s\n' "$target" "${execs:-?}" "${cov:-?}" "${#inputs[@]}"
  # Distinct findings, how many inputs hit each, and one of them.
  for input in "${inputs[@]:0:200}"; do
    printf '%s\t%s\n' "$(classify "$target" "$input")" "$input"
  done | sort | awk -F'\t' '{ n[$1]++; if (!($1 in first)) first[$1] = $2 }
    END { for (f in n) printf "      %4d x %s\n             e.g. %s\n", n[f], f, first[f] }'
  if [ ${#inputs[@]} -gt 0 ] || ! grep -q '^INFO: exiting:' "$log"; then failed=1; fi
done
echo "logs: $build/logs/   crash inputs: $build/crashes/<target>/"
exit "$failed"
