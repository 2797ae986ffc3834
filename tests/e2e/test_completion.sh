#!/usr/bin/env bash
# Shell completions: rolesanywhere-helper completion bash|zsh|fish, as the build writes them into
# completions/ and the package installs them. bash's is driven through bash itself (complete -p,
# the completion function with COMP_WORDS as readline sets them, compgen inside): commands, flag
# prefixes, paths for file flags, directories, fixed words, --flag=value. fish's through
# `complete -C`; zsh's is parsed (zsh -n) and registered by compinit from $fpath. Every flag of
# every command's --help is offered, so a command or flag added later is covered.
source "$(dirname "$0")/lib.sh"
export LC_ALL=C  # sort's order, whatever the machine's locale

COMPLETIONS=$(dirname "$HELPER")/completions
commands=$("$HELPER" --help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
help_flags() { "$HELPER" "$1" --help | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p'; }

for shell in bash zsh fish; do
  run_helper completion "$shell"
  check "completion $shell prints a script, nothing on stderr" \
    test "$STATUS" -eq 0 -a -n "$STDOUT" -a -z "$STDERR"
done
run_helper completion tcsh
check "completion tcsh: an error naming the shells" \
  test "$STATUS" -ne 0 -a -z "$STDOUT" -a -n "$(grep -F 'bash, zsh or fish' <<<"$STDERR")"

# What the build wrote is what the command prints now (the build step is not stale).
for pair in bash:rolesanywhere-helper zsh:_rolesanywhere-helper fish:rolesanywhere-helper.fish; do
  "$HELPER" completion "${pair%%:*}" >"$WORK/${pair#*:}"
  check "the build's completions/${pair#*:} is current" cmp -s "$WORK/${pair#*:}" "$COMPLETIONS/${pair#*:}"
done

# ---- bash, through bash itself.
mkdir -p "$WORK/files/keys" "$WORK/files/cache-a" "$WORK/files/cache-b"
touch "$WORK/files/pkcs8.pem" "$WORK/files/pki.pem" "$WORK/files/cache-a.txt"
# shellcheck source=/dev/null
source "$COMPLETIONS/rolesanywhere-helper"
registration=$(complete -p rolesanywhere-helper 2>&1)
STDOUT=$registration
check "bash: complete -p names the completion function" \
  grep -qx 'complete -F _rolesanywhere_helper rolesanywhere-helper' <<<"$registration"

# bash_complete WORD...: the candidates for the last word, one per line, sorted, as readline
# would ask with the cursor at the end of the line.
bash_complete() {
  COMP_WORDS=(rolesanywhere-helper "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="${COMP_WORDS[*]}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _rolesanywhere_helper rolesanywhere-helper "${COMP_WORDS[COMP_CWORD]}" \
    "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
  printf '%s\n' "${COMPREPLY[@]}" | sort
}
# expect_bash DESCRIPTION EXPECTED(newline-separated) WORD...
expect_bash() {
  local description=$1 expected=$2
  shift 2
  STDOUT=$(bash_complete "$@")
  STDERR="expected: $expected"
  check "bash: $description" test "$STDOUT" = "$expected"
}

expect_bash "cred<TAB> completes the command" credential-process cred
expect_bash "r<TAB>" read-certificate-data r
expect_bash "a flag prefix: credential-process --cert<TAB>" \
  $'--cert-selector\n--certificate' credential-process --cert
expect_bash "--private-key takes a path" "$WORK/files/pkcs8.pem"$'\n'"$WORK/files/pki.pem" \
  credential-process --private-key "$WORK/files/pk"
expect_bash "--certificate=<path> (bash splits at '=')" "$WORK/files/keys" \
  credential-process --certificate = "$WORK/files/ke"
expect_bash "--cache-dir takes directories only" "$WORK/files/cache-a"$'\n'"$WORK/files/cache-b" \
  credential-process --cache-dir "$WORK/files/cache"
expect_bash "sign-string --digest SHA3<TAB>" SHA384 sign-string --digest SHA3
expect_bash "sign-string --format <TAB>" $'bin\njson\ntext' sign-string --format ""
expect_bash "an ARN is not completed" "" credential-process --role-arn ""
expect_bash "completion <TAB> offers the shells" $'bash\nfish\nzsh' completion ""
expect_bash "serve --allow<TAB>" --allow-non-loopback serve --allow

STDOUT=$(bash_complete "")
check "bash: <TAB> offers every command of --help" \
  test "$STDOUT" = "$(sort <<<"$commands")"
for command in $commands; do
  offered=$(bash_complete "$command" "")
  missing=()
  for flag in $(help_flags "$command"); do grep -qx -- "$flag" <<<"$offered" || missing+=("$flag"); done
  STDOUT="not offered: ${missing[*]}"
  check "bash: $command <TAB> offers every flag of its --help" [ ${#missing[@]} -eq 0 ]
done

# ---- zsh
if command -v zsh >/dev/null; then
  STDERR=$(zsh -n "$COMPLETIONS/_rolesanywhere-helper" 2>&1)
  check "zsh -n parses _rolesanywhere-helper" [ -z "$STDERR" ]
  # compinit reads the #compdef line of every file in $fpath.
  STDOUT=$(HOME=$WORK zsh -f -c "fpath=('$COMPLETIONS' \$fpath); autoload -Uz compinit; \
    compinit -u -d '$WORK/zcompdump'; print -r -- \${_comps[rolesanywhere-helper]}" 2>&1)
  check "zsh: compinit registers it for rolesanywhere-helper" test "$STDOUT" = _rolesanywhere-helper
else
  skip "zsh" "zsh is not installed (scripts/install-deps.sh --test installs it)"
fi

# ---- fish
if command -v fish >/dev/null; then
  STDERR=$(fish -n "$COMPLETIONS/rolesanywhere-helper.fish" 2>&1)
  check "fish -n parses rolesanywhere-helper.fish" [ -z "$STDERR" ]
  fish_complete() {
    HOME=$WORK fish --no-config -c "source '$COMPLETIONS/rolesanywhere-helper.fish'; complete -C '$1'" |
      cut -f1 | sort
  }
  STDOUT=$(fish_complete "rolesanywhere-helper cred")
  check "fish: cred<TAB> completes the command" test "$STDOUT" = credential-process
  STDOUT=$(fish_complete "rolesanywhere-helper sign-string --digest ")
  check "fish: --digest offers its words" test "$STDOUT" = $'SHA256\nSHA384\nSHA512'
  STDOUT=$(fish_complete "rolesanywhere-helper credential-process --private-key $WORK/files/pk")
  check "fish: --private-key takes a path" test "$STDOUT" = "$WORK/files/pkcs8.pem"$'\n'"$WORK/files/pki.pem"
  for command in $commands; do
    offered=$(fish_complete "rolesanywhere-helper $command -")
    missing=()
    for flag in $(help_flags "$command"); do grep -qx -- "$flag" <<<"$offered" || missing+=("$flag"); done
    STDOUT="not offered: ${missing[*]}"
    check "fish: $command -<TAB> offers every flag of its --help" [ ${#missing[@]} -eq 0 ]
  done
else
  skip "fish" "fish is not installed (scripts/install-deps.sh --test installs it)"
fi

finish
