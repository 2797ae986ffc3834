#!/usr/bin/env bash
# The Debian packages, built by CPack from this build tree: dpkg -i installs them (with the
# system user of the units), the installed helper gets credentials from the installed emulator,
# `man rolesanywhere-helper` renders, bash-completion and fish find the completions, systemd
# accepts the installed units, and dpkg -r removes every file; lintian reports no error.
# Needs root (CI runs as root) or passwordless sudo; never touches packages installed before.
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$(dirname "$HELPER")
[ -f "$BUILD_DIR/CPackConfig.cmake" ] || { echo "SKIP: no CPackConfig.cmake in $BUILD_DIR"; exit 77; }
if grep -q '^SANITIZE:STRING=..*' "$BUILD_DIR/CMakeCache.txt"; then
  echo "SKIP: a sanitizer build is not packaged"
  exit 77
fi
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  sudo -n true 2>/dev/null || { echo "SKIP: dpkg -i needs root or passwordless sudo"; exit 77; }
  as_root=(sudo -n)
fi
PACKAGES=(rolesanywhere-helper rolesanywhere-emulator)
for package in "${PACKAGES[@]}"; do
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed'; then
    echo "SKIP: $package is installed on this machine; the test would replace it, then remove it"
    exit 77
  fi
done
user_existed=0
getent passwd rolesanywhere-helper >/dev/null && user_existed=1

# Whatever happens, the machine is left as it was: packages purged, the user the test made gone.
restore_machine() {
  "${as_root[@]}" dpkg --purge "${PACKAGES[@]}" >/dev/null 2>&1
  [ $user_existed = 1 ] || ! getent passwd rolesanywhere-helper >/dev/null ||
    "${as_root[@]}" userdel rolesanywhere-helper 2>/dev/null
  cleanup
}
trap restore_machine EXIT

# ---- Build: the tree is already built, so this is an install into a staging directory, the
# debug symbols moved to -dbgsym packages, dpkg-shlibdeps and dpkg-deb.
started=$SECONDS
STDOUT=$(cpack -G DEB --config "$BUILD_DIR/CPackConfig.cmake" -B "$WORK/dist" 2>&1)
STATUS=$?
check "cpack builds the packages ($((SECONDS - started)) s)" test "$STATUS" -eq 0
version=$("$HELPER" version)
arch=$(dpkg --print-architecture)
HELPER_DEB=$WORK/dist/rolesanywhere-helper_${version}-1_${arch}.deb
EMULATOR_DEB=$WORK/dist/rolesanywhere-emulator_${version}-1_${arch}.deb
check "  rolesanywhere-helper_${version}-1_${arch}.deb" test -s "$HELPER_DEB"
check "  rolesanywhere-emulator_${version}-1_${arch}.deb" test -s "$EMULATOR_DEB"
[ -s "$HELPER_DEB" ] && [ -s "$EMULATOR_DEB" ] || { echo "$STDOUT"; finish; }

depends=$(dpkg-deb -f "$HELPER_DEB" Depends)
STDOUT=$depends
# libc6 and libssl3 come from dpkg-shlibdeps, the dlopen'ed libraries from packaging.cmake.
for package in libc6 libssl3 libcurl4 libmicrohttpd12; do
  check "the helper Depends on $package" grep -q "\\b$package\\b" <<<"$depends"
done
check "  and not on the emulator, which is a package of its own" \
  test -z "$(dpkg-deb -c "$HELPER_DEB" | grep emulator)"

if command -v lintian >/dev/null; then
  # As root lintian says it would rather not; that line is not about the packages.
  lintian_out=$(lintian --tag-display-limit 0 "$HELPER_DEB" "$EMULATOR_DEB" 2>&1 |
    grep -v 'running with root privileges')
  echo "$lintian_out" | sed 's/^/   lintian: /'
  STDOUT=$lintian_out
  check "lintian reports no error" test -z "$(grep '^E:' <<<"$lintian_out")"
else
  skip "lintian" "lintian is not installed (scripts/install-deps.sh --test installs it)"
fi

# ---- Install.
STDOUT=$("${as_root[@]}" dpkg -i "$HELPER_DEB" "$EMULATOR_DEB" 2>&1)
STATUS=$?
check "dpkg -i installs both" test "$STATUS" -eq 0
installed_files=$(dpkg -L "${PACKAGES[@]}" 2>/dev/null)
STDOUT=$(getent passwd rolesanywhere-helper)
check "the system user rolesanywhere-helper exists" test -n "$STDOUT"
STDOUT=$(/usr/bin/rolesanywhere-helper version 2>&1)
check "/usr/bin/rolesanywhere-helper version: $version" test "$STDOUT" = "$version"

EMULATOR=/usr/bin/rolesanywhere-emulator
start_emulator installed-emulator
HELPER=/usr/bin/rolesanywhere-helper
read -ra SESSION <<<"$(session_flags)"
expect_credentials "the installed helper's credential-process, against the installed emulator" \
  --certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem" "${SESSION[@]}"

# man-db finds the page where the package put it (unless dpkg is told to leave man pages out, as
# in slimmed container images).
if grep -qsr 'path-exclude=*/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
  skip "man rolesanywhere-helper" "dpkg excludes /usr/share/man on this machine"
elif command -v man >/dev/null; then
  for page in rolesanywhere-helper rolesanywhere-emulator; do
    STDOUT=$(MANPAGER=cat MANWIDTH=80 man "$page" 2>&1)
    check "man $page renders" grep -q "^SYNOPSIS" <<<"$STDOUT"
  done
else
  skip "man rolesanywhere-helper" "man-db is not installed"
fi

if [ -f /usr/share/bash-completion/bash_completion ]; then
  # bash-completion loads a command's completion on first use, from its completions directory.
  STDOUT=$(bash -c 'source /usr/share/bash-completion/bash_completion
    _completion_loader rolesanywhere-helper; complete -p rolesanywhere-helper' 2>&1)
  check "bash-completion loads the installed completion" \
    grep -q '_rolesanywhere_helper rolesanywhere-helper$' <<<"$STDOUT"
else
  skip "bash-completion" "bash-completion is not installed"
fi
if command -v fish >/dev/null; then
  # (--no-config would also leave out the vendor directories.)
  STDOUT=$(HOME=$WORK XDG_CONFIG_HOME=$WORK fish -c 'complete -C "rolesanywhere-helper cred"' 2>&1)
  check "fish finds the installed completion" grep -q '^credential-process' <<<"$STDOUT"
fi
check "the zsh completion is in Debian zsh's \$fpath" \
  test -f /usr/share/zsh/vendor-completions/_rolesanywhere-helper

unit_dir=$(dirname "$(grep '/rolesanywhere-helper-serve.service$' <<<"$installed_files")")
STDOUT=$(grep -h '^ExecStart=' "$unit_dir"/rolesanywhere-helper-*.service)
check "the units run /usr/bin/rolesanywhere-helper" \
  test "$(grep -c '^ExecStart=/usr/bin/rolesanywhere-helper ' <<<"$STDOUT")" -eq 2
if command -v systemd-analyze >/dev/null; then
  STDOUT=$(cd "$WORK" && systemd-analyze verify "$unit_dir/rolesanywhere-helper-serve.socket" \
    "$unit_dir/rolesanywhere-helper-serve.service" rolesanywhere-helper-update@example.service 2>&1)
  STATUS=$?
  check "systemd-analyze verify accepts the installed units" test "$STATUS" -eq 0 -a -z "$STDOUT"
else
  skip "systemd-analyze verify" "systemd-analyze is not installed"
fi

# ---- Remove.
STDOUT=$("${as_root[@]}" dpkg -r "${PACKAGES[@]}" 2>&1)
STATUS=$?
check "dpkg -r removes both" test "$STATUS" -eq 0
left=()
while IFS= read -r path; do
  [ -e "$path" ] && [ ! -d "$path" ] && left+=("$path")
done <<<"$installed_files"
STDOUT="left behind: ${left[*]}"
check "  and every file they installed" test ${#left[@]} -eq 0
# Removed, a package with maintainer scripts stays known to dpkg ("rc") until purged.
STDOUT=$(dpkg-query -W -f='${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null)
check "  leaving at most their purge to dpkg" test -z "$(grep -v '^\(un\|rc\)' <<<"$STDOUT")"
"${as_root[@]}" mkdir -p /var/lib/rolesanywhere-helper/example
STDOUT=$("${as_root[@]}" dpkg --purge "${PACKAGES[@]}" 2>&1)
STATUS=$?
check "dpkg --purge" test "$STATUS" -eq 0
check "  removes the update units' credentials directory" test ! -e /var/lib/rolesanywhere-helper
STDOUT=$(dpkg-query -W -f='${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null)
check "  and dpkg forgets both" test -z "$(grep -v '^un' <<<"$STDOUT")"

finish
