#!/usr/bin/env bash
# The manual pages stay in step with --help: every command that rolesanywhere-helper --help lists
# is described in rolesanywhere-helper(1), every flag of each command's --help (and of
# rolesanywhere-emulator --help) appears in its page, and both pages render without a warning
# from groff.
source "$(dirname "$0")/lib.sh"
command -v groff >/dev/null || { echo "SKIP: groff is not installed (groff-base)"; exit 77; }

HELPER_PAGE=$SOURCE_DIR/man/rolesanywhere-helper.1
EMULATOR_PAGE=$SOURCE_DIR/man/rolesanywhere-emulator.1

# The page's text with roff's escapes for '-' and fonts removed: "\-\-cache" is "--cache".
page_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/--/g' "$1"; }

# The flags a --help text defines: "  -h, --help", "      --certificate FILE".
help_flags() { sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z0-9-]*\).*/\2/p'; }

# The commands of the helper's usage, as the completion generator reads them.
commands=$("$HELPER" --help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
check "the usage lists commands" [ -n "$commands" ]

text=$(page_text "$HELPER_PAGE")
for command in $commands; do
  STDOUT=$command
  # Each command has its entry in COMMANDS (".B name" after ".TP") and its line in SYNOPSIS.
  check "rolesanywhere-helper(1) describes $command" \
    grep -qx -- "\.B $command" <<<"$(sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$HELPER_PAGE")"
  check "  and shows it in SYNOPSIS" \
    grep -q -- "^\.B rolesanywhere-helper $command\b" <<<"$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$HELPER_PAGE")"
  missing=()
  for flag in $("$HELPER" "$command" --help | help_flags); do
    grep -q -- "--$flag\([^a-z0-9-]\|$\)" <<<"$text" || missing+=("--$flag")
  done
  STDOUT="missing from the page: ${missing[*]}"
  check "  every flag of $command --help is in the page" [ ${#missing[@]} -eq 0 ]
done

text=$(page_text "$EMULATOR_PAGE")
missing=()
for flag in $("$EMULATOR" --help | help_flags); do
  grep -q -- "--$flag\([^a-z0-9-]\|$\)" <<<"$text" || missing+=("--$flag")
done
STDOUT="missing from the page: ${missing[*]}"
check "every flag of rolesanywhere-emulator --help is in rolesanywhere-emulator(1)" \
  [ ${#missing[@]} -eq 0 ]

# groff -ww: every warning (a bad request, a missing font, a line it cannot break...).
for page in "$HELPER_PAGE" "$EMULATOR_PAGE"; do
  STDERR=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
  check "$(basename "$page") renders without warnings" [ -z "$STDERR" ]
  rendered=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -P-cbou "$page" 2>/dev/null)
  check "  and renders to text" grep -q "SYNOPSIS" <<<"$rendered"
done

finish
