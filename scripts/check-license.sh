#!/usr/bin/env bash
# Copyright 2026 The Eddy Authors
# SPDX-License-Identifier: Apache-2.0
#
# Checks that every Go file tracked by git starts with the license header
#
#   // Copyright <year> The Eddy Authors
#   // SPDX-License-Identifier: Apache-2.0
#
# followed by a blank line (so that the header never becomes part of a
# package doc comment). Lists the files that do not and exits 1.
#
#   scripts/check-license.sh        check
#   scripts/check-license.sh -fix   add the header (this year's) where missing
#
# -fix puts the header above everything else, build constraints included:
# a //go:build line may follow line comments, so it stays valid, and the
# blank line after the header keeps a package doc comment attached to the
# package clause. A file that has the two header lines without the blank
# line after them gets the blank line.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=
case "${1:-}" in
  "") ;;
  -fix) fix=1 ;;
  *) echo "usage: $0 [-fix]" >&2; exit 2 ;;
esac

copyright_re='^// Copyright [0-9]{4} The Eddy Authors$'
spdx='// SPDX-License-Identifier: Apache-2.0'
year=$(date +%Y)

# state FILE prints ok (header and blank line), noblank (header without
# the blank line after it) or missing.
state() {
  local lines=()
  mapfile -n 3 -t lines <"$1"
  if [[ "${lines[0]:-}" =~ $copyright_re ]] && [ "${lines[1]:-}" = "$spdx" ]; then
    if [ "${#lines[@]}" -ge 3 ] && [ -n "${lines[2]}" ]; then
      echo noblank
    else
      echo ok
    fi
  else
    echo missing
  fi
}

bad=()
total=0
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue # deleted in the work tree
  total=$((total + 1))
  s=$(state "$f")
  [ "$s" = ok ] && continue
  if [ -z "$fix" ]; then
    bad+=("$f")
    continue
  fi
  tmp=$(mktemp)
  if [ "$s" = noblank ]; then
    { head -n 2 "$f"; echo; tail -n +3 "$f"; } >"$tmp"
  else
    # The header, a blank line, then the file without its leading blank
    # lines (gofmt would remove a second blank line).
    { printf '// Copyright %s The Eddy Authors\n%s\n\n' "$year" "$spdx"
      awk 'started || NF { started = 1; print }' "$f"; } >"$tmp"
  fi
  cat "$tmp" >"$f" # keeps the file's mode
  rm -f "$tmp"
  echo "added the license header: $f"
done < <(git ls-files -z -- '*.go')

if [ "${#bad[@]}" -gt 0 ]; then
  echo "${#bad[@]} of $total Go files do not start with the license header"
  echo "(// Copyright <year> The Eddy Authors, // SPDX-License-Identifier: Apache-2.0, a blank line):"
  printf '  %s\n' "${bad[@]}"
  echo "scripts/check-license.sh -fix adds it."
  exit 1
fi
echo "license header: all $total Go files tracked by git have it"
