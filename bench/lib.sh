# Sourced by the bench scripts, from the repository root: builds what they run and starts the
# local emulator they measure against.
#
#   bench_build [JOBS]   installs the test dependencies and builds the helper and the emulator
#                        (RelWithDebInfo; JOBS defaults to 2)
#   bench_start_emulator [EMULATOR FLAGS]
#                        creates $work (removed on exit, after killing every pid in "${pids[@]}"),
#                        the test PKI in $work/pki, the ARNs $ta, $profile and $role, and the
#                        emulator (with those flags) on a free loopback port at $endpoint

bench_build() {
  scripts/install-deps.sh --test
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"${1:-2}" --target rolesanywhere-helper rolesanywhere-emulator >/dev/null
}

bench_start_emulator() {
  work=$(mktemp -d)
  pids=()
  trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
  # The machine's CA bundle and proxy settings would be measured instead of the helper.
  unset AWS_CA_BUNDLE SSL_CERT_FILE CURL_CA_BUNDLE http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
  testdata/make-test-pki.sh "$work/pki" >/dev/null
  ta=arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a1b2c3d4-0000-4000-8000-00000000000a
  profile=arn:aws:rolesanywhere:us-east-1:123456789012:profile/a1b2c3d4-0000-4000-8000-00000000000b
  role=arn:aws:iam::123456789012:role/bench
  build/rolesanywhere-emulator --port 0 --port-file "$work/port" --ca "$work/pki/root-ca.pem" \
    --trust-anchor-arn "$ta" --profile-arn "$profile" --role-arn "$role" "$@" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  [ -s "$work/port" ] || { echo "the emulator did not start" >&2; exit 1; }
  endpoint=http://127.0.0.1:$(cat "$work/port")
}
