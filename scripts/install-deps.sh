#!/usr/bin/env bash
# Installs the Debian packages the build (and, with --test, the tests) need, only those missing.
set -euo pipefail

packages=(build-essential cmake pkg-config openssl libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcxxopts-dev libmicrohttpd-dev libp11-dev libp11-kit-dev p11-kit curl python3)
if [ "${1:-}" = "--test" ]; then
  # softhsm2/opensc/gnutls-bin: a real PKCS#11 token and the tools that fill it;
  # wrk: the benchmarks; clang: CI checks that the code compiles with it too;
  # swtpm/swtpm-tools/tpm2-tools/tpm2-openssl/libtss2-tcti-swtpm0: a software TPM, the tools that
  # make keys in it and the OpenSSL provider the helper signs through;
  # libclang-rt-dev: libFuzzer and the sanitizer runtimes for scripts/fuzz.sh (clang only
  # recommends it).
  packages+=(doctest-dev xxd time softhsm2 opensc gnutls-bin wrk clang libclang-rt-dev
    swtpm swtpm-tools tpm2-tools tpm2-openssl libtss2-tcti-swtpm0)
fi

# Node.js and npm run the AWS SDK for JavaScript test; a machine that has them from elsewhere
# (nodesource, nvm) keeps its own.
if [ "${1:-}" = "--test" ]; then
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing Debian packages: ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null ||
    { echo "install-deps: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
