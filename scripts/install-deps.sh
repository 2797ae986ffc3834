#!/usr/bin/env bash
# Installs the Debian packages the build (and, with --test, the tests) need, only those missing.
set -euo pipefail

# file: CPack's Debian generator looks at the files it packages with it (scripts/package.sh).
# libtomlplusplus-dev: serve --config's TOML reader, used header-only (nothing linked at run time).
packages=(build-essential cmake pkg-config openssl libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcxxopts-dev libmicrohttpd-dev libp11-dev libp11-kit-dev p11-kit curl python3
  file libtomlplusplus-dev)
if [ "${1:-}" = "--test" ]; then
  # softhsm2/opensc/gnutls-bin: a real PKCS#11 token and the tools that fill it;
  # wrk: the benchmarks; clang: CI checks that the code compiles with it too;
  # swtpm/swtpm-tools/tpm2-tools/tpm2-openssl/libtss2-tcti-swtpm0: a software TPM, the tools that
  # make keys in it and the OpenSSL provider the helper signs through;
  # libclang-rt-dev: libFuzzer and the sanitizer runtimes for scripts/fuzz.sh (clang only
  # recommends it).
  # lintian, man-db, bash-completion, zsh, fish: the package's tests (tests/e2e/test_package_*,
  # test_completion, test_man_pages) check the .deb, its manual and completions with them.
  packages+=(doctest-dev xxd time softhsm2 opensc gnutls-bin wrk clang libclang-rt-dev
    swtpm swtpm-tools tpm2-tools tpm2-openssl libtss2-tcti-swtpm0
    lintian man-db bash-completion zsh fish)
fi

# The real clients of the AWS CLI and boto3 tests, from Debian when this machine lacks them (a
# machine with its own, from pip or pyenv, keeps them). moto, the local STS those tests call, is
# not packaged in Debian 12: without moto_server they report as skipped, which is said below.
if [ "${1:-}" = "--test" ]; then
  command -v aws >/dev/null || packages+=(awscli)
  python3 -c 'import boto3' 2>/dev/null || packages+=(python3-boto3)
  if ! command -v moto_server >/dev/null; then
    if apt-cache show python3-moto >/dev/null 2>&1; then
      packages+=(python3-moto)
    else
      echo "install-deps: moto is not packaged for this Debian release: the tests that call a" \
        "local STS (test_aws_cli, test_update_aws_cli, test_serve_clients) will report as" \
        "skipped; \`pip install 'moto[server]'\` runs them" >&2
    fi
  fi
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
