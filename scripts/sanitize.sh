#!/usr/bin/env bash
# Builds the project with sanitizers and runs tests under them:
#   scripts/sanitize.sh address   the whole ctest suite under AddressSanitizer + UBSan (+ leaks)
#   scripts/sanitize.sh thread    the threaded parts (serve, refresher, update, cache, services)
#                                 under ThreadSanitizer
#   scripts/sanitize.sh           both
# Extra arguments go to ctest. Every report, from any process a test starts (the helper, the
# emulator, serve stopped by a signal), is written to a file and the run fails if any exists:
# a report from a process whose exit status a test ignores still counts.
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD

kinds=()
while [ $# -gt 0 ] && [[ $1 != -* ]]; do
  case $1 in
    address | thread) kinds+=("$1") ;;
    *) echo "sanitize.sh: unknown sanitizer '$1' (address or thread)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#kinds[@]} -gt 0 ] || kinds=(address thread)

# The threaded code: the services, the refresher, serve's server, update's file handling and the
# cache's locks. Unit tests only: the end-to-end scripts add processes, not threads.
thread_tests='serve |refresh|update |atomic file|file lock|cache |stop signals|provider|SharedIdentity|first fetch|emulator server'

run_kind() {
  local kind=$1
  shift
  local build sanitize report_dir targets=()
  case $kind in
    address) build=build-asan sanitize=address,undefined ;;
    thread) build=build-tsan sanitize=thread targets=(--target unit_tests) ;;
  esac
  report_dir=$source_dir/$build/sanitizer-reports
  echo "== $sanitize: building $build" >&2
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON -DSANITIZE="$sanitize" \
    >/dev/null
  cmake --build "$build" -j"$(nproc)" "${targets[@]}" >"$build.log" 2>&1 ||
    { tail -40 "$build.log"; echo "sanitize.sh: the $sanitize build failed ($build.log)" >&2; return 1; }
  rm -rf "$report_dir"
  mkdir -p "$report_dir"

  local suppressions=$source_dir/tests/sanitizers
  local common="log_path=$report_dir/report:print_stacktrace=1"
  local selection=()
  case $kind in
    address)
      export ASAN_OPTIONS="$common:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
      export LSAN_OPTIONS="suppressions=$suppressions/lsan.supp:print_suppressions=0"
      export UBSAN_OPTIONS="$common:halt_on_error=1"
      ;;
    thread)
      export TSAN_OPTIONS="$common:halt_on_error=1:second_deadlock_stack=1:suppressions=$suppressions/tsan.supp"
      selection=(-L unit -R "$thread_tests")
      ;;
  esac

  local status=0
  echo "== $sanitize: running tests" >&2
  ctest --test-dir "$build" --output-on-failure --no-tests=error -j"$(nproc)" \
    "${selection[@]}" "$@" || status=$?
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS

  if compgen -G "$report_dir/report*" >/dev/null; then
    echo "== $sanitize: sanitizer reports:" >&2
    for report in "$report_dir"/report*; do
      echo "--- $report" >&2
      head -60 "$report" >&2
    done
    status=1
  fi
  [ $status -eq 0 ] && echo "== $sanitize: clean" >&2
  return $status
}

overall=0
for kind in "${kinds[@]}"; do
  run_kind "$kind" "$@" || overall=1
done
exit $overall
