#!/usr/bin/env bash
# Builds the release packages into dist/: rolesanywhere-helper and rolesanywhere-emulator .deb
# (with their -dbgsym .ddeb) and the source tarball, from a build of their own in build-package/
# (BUILD_DIR) with the flags Debian builds its packages with (dpkg-buildflags: fortify,
# stack protector, relro, bindnow), installed under /usr. Tests are not built here:
# scripts/test.sh runs them, the package's own included (tests/e2e/test_package_deb.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${BUILD_DIR:-build-package}
dist=$PWD/dist

# CMake reads CXXFLAGS and LDFLAGS at its first configure only, and never CPPFLAGS. All of
# Debian's hardening, bindnow (-z now) included.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
flags=$(dpkg-buildflags --get CXXFLAGS)
export CXXFLAGS="$flags $(dpkg-buildflags --get CPPFLAGS)" LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
rm -rf "$build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
  -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$build" -j"$(nproc)"

mkdir -p "$dist"
(cd "$build" && cpack -G DEB -B "$dist" && cpack --config CPackSourceConfig.cmake -B "$dist")
rm -rf "$dist/_CPack_Packages"
echo "package.sh: in $dist:" >&2
ls -l "$dist" >&2
if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 "$dist"/*.deb 2>&1 | grep -v 'running with root privileges' >&2 || true
fi
