#!/usr/bin/env bash
# `cmake --install` of the build tree into a private prefix puts every file where its kind goes
# (binaries, man pages, completions, systemd units, sysusers.d, docs), the units naming the
# installed binary; the source tarball holds the sources; `systemd-analyze verify` passes on each
# unit (the update@ template through an instance), and `systemd-analyze security` rates each
# service no worse than the README says.
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$(dirname "$HELPER")
[ -f "$BUILD_DIR/cmake_install.cmake" ] || { echo "SKIP: $BUILD_DIR is not a CMake build tree"; exit 77; }

prefix=$WORK/prefix
STDOUT=$(cmake --install "$BUILD_DIR" --prefix "$prefix" 2>&1)
STATUS=$?
check "cmake --install --prefix $prefix" test "$STATUS" -eq 0
units=$prefix/lib/systemd/system
for file in bin/rolesanywhere-helper bin/rolesanywhere-emulator \
  share/man/man1/rolesanywhere-helper.1 share/man/man1/rolesanywhere-emulator.1 \
  share/bash-completion/completions/rolesanywhere-helper \
  share/zsh/site-functions/_rolesanywhere-helper \
  share/fish/vendor_completions.d/rolesanywhere-helper.fish \
  lib/systemd/system/rolesanywhere-helper-serve.service \
  lib/systemd/system/rolesanywhere-helper-serve.socket \
  lib/systemd/system/rolesanywhere-helper-update@.service \
  lib/sysusers.d/rolesanywhere-helper.conf \
  share/doc/rolesanywhere-helper/examples/rolesanywhere-helper.conf.example \
  share/doc/rolesanywhere-helper/examples/serve.toml.example; do
  check "  installs $file" test -s "$prefix/$file"
done
STDOUT=$(cd "$prefix" && find . -type f | sort)
check "  and nothing from the tests" test -z "$(grep -E 'test|fuzz|replay' <<<"$STDOUT")"
check "the emulator is a component of its own" \
  bash -c "cmake --install '$BUILD_DIR' --prefix '$WORK/helper-only' --component helper >/dev/null &&
    test -x '$WORK/helper-only/bin/rolesanywhere-helper' && ! test -e '$WORK/helper-only/bin/rolesanywhere-emulator'"
STDOUT=$(grep -h '^ExecStart=' "$units"/*.service)
check "the units run the installed binary" \
  test "$(grep -c "^ExecStart=$prefix/bin/rolesanywhere-helper " <<<"$STDOUT")" -eq 2
check "  and nothing is left of the templates' @VARIABLES@" test -z "$(grep -l "@[A-Z_]*@" "$units"/*.service)"

# The source tarball: every file git tracks, nothing of a build tree, package or git itself.
STDOUT=$(cpack --config "$BUILD_DIR/CPackSourceConfig.cmake" -B "$WORK/source" 2>&1)
STATUS=$?
tarball=$(ls "$WORK"/source/rolesanywhere-helper-*.tar.gz 2>/dev/null)
check "cpack builds the source tarball" test "$STATUS" -eq 0 -a -n "$tarball"
if [ -n "$tarball" ]; then
  contents=$(tar tzf "$tarball" | sed 's|^[^/]*/||' | grep -v '/$' | sort)
  STDOUT=$(grep -E '^(build[^/]*|dist|\.git|_CPack_Packages)/|^usr/' <<<"$contents" | head)
  check "  with nothing of build trees, packages or .git" test -z "$STDOUT"
  if git -C "$SOURCE_DIR" rev-parse --git-dir >/dev/null 2>&1; then
    STDOUT=$(comm -23 <(git -C "$SOURCE_DIR" ls-files | sort) <<<"$contents" | head)
    check "  and every file git tracks" test -z "$STDOUT"
  fi
fi

command -v systemd-analyze >/dev/null ||
  { skip "systemd-analyze verify and security" "systemd-analyze is not installed (package systemd)"; finish; }

# verify also runs `man` for Documentation=man:rolesanywhere-helper(1): the installed page.
cp "$units/rolesanywhere-helper-update@.service" "$WORK/"
verify() { MANPATH=$prefix/share/man systemd-analyze verify "$@" 2>&1; }
for unit in rolesanywhere-helper-serve.socket rolesanywhere-helper-serve.service \
  rolesanywhere-helper-update@example.service; do
  STDOUT=$(cd "$units" && verify "./$unit")
  STATUS=$?
  check "systemd-analyze verify $unit" test "$STATUS" -eq 0 -a -z "$STDOUT"
done
# A unit with a mistake is caught, so the checks above mean something.
sed 's/^ProtectSystem=strict/ProtectSystem=very-strict/' "$units/rolesanywhere-helper-serve.service" \
  >"$WORK/broken.service"
STDOUT=$(verify "$WORK/broken.service")
check "  and it reports a bad setting" grep -qi "protect system value" <<<"$STDOUT"

# The exposure levels the README reports (0-10, lower is better; 1.1 each with systemd 252):
# hardening dropped from a unit fails here. --threshold counts tenths.
threshold=12
for unit in rolesanywhere-helper-serve.service rolesanywhere-helper-update@example.service; do
  STDOUT=$(cd "$units" && systemd-analyze security --offline=yes --threshold=$threshold "./$unit" 2>&1)
  STATUS=$?
  level=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' <<<"$STDOUT")
  echo "   $unit: exposure $level"
  check "systemd-analyze security $unit: $level, at most 1.2" test "$STATUS" -eq 0 -a -n "$level"
done

finish
