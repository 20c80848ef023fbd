#!/usr/bin/env bash
# Copyright 2026 The Eddy Authors
# SPDX-License-Identifier: Apache-2.0
#
# Checks that the documentation of every public package mentions no internal
# package: `go doc -all` of each package outside internal/, cmd/, examples/
# and integration/ must contain neither "internal/" (an import path) nor a
# qualified identifier of an internal package, such as engine.Record. Such a
# mention means the public API shows users something they cannot import or
# look up: a type alias or constant defined by an internal one, a parameter
# of an internal type, a method documented as implementing an internal
# interface.
#
# The internal packages are those with an internal/ directory in their
# import path (go list ./...); their names (their directories' names) are
# the qualifiers. A qualifier counts when a dot and an upper-case letter
# follow it and no letter, digit, underscore or dot precedes it:
# "engine.Header" counts, "partitiongroup.go", "the engine." and
# "x.engine.Y" do not.
#
# Lists the offending lines as package:line: text and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"

public=()  # directories of the public packages
pubnames=() # their names
names=()   # the internal packages' names
while read -r path name; do
  rel=${path#github.com/eddy-streams/eddy}
  rel=${rel#/}
  case "/$rel/" in
    */internal/*) names+=("$name") ;;
    /cmd/* | /examples/* | /integration/*) ;;
    *) public+=("./$rel"); pubnames+=("$name") ;;
  esac
done < <(go list -f '{{.ImportPath}} {{.Name}}' ./...)

if [ "${#public[@]}" -eq 0 ] || [ "${#names[@]}" -eq 0 ]; then
  echo "check-godoc: found ${#public[@]} public and ${#names[@]} internal packages; expected some of each" >&2
  exit 2
fi

# A public package named like an internal one would match its own
# references; leave such names out.
qualifiers=()
for n in $(printf '%s\n' "${names[@]}" | sort -u); do
  if ! printf '%s\n' "${pubnames[@]}" | grep -qxF "$n"; then
    qualifiers+=("$n")
  fi
done
alt=$(IFS='|'; echo "${qualifiers[*]}")
pattern="internal/|(^|[^A-Za-z0-9_.])($alt)\\.[A-Z]"

found=0
for p in "${public[@]}"; do
  doc=$(go doc -all "$p")
  if hits=$(grep -nE "$pattern" <<<"$doc"); then
    found=$((found + $(wc -l <<<"$hits")))
    while IFS= read -r line; do echo "${p#./}:$line"; done <<<"$hits"
  fi
done

if [ "$found" -gt 0 ]; then
  echo "check-godoc: $found lines of public documentation (go doc -all) mention internal packages (internal/ or a qualifier: $(IFS=' '; echo "${qualifiers[*]}"))"
  exit 1
fi
echo "check-godoc: the documentation of ${#public[@]} public packages mentions no internal package"
