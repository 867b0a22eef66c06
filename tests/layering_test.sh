#!/usr/bin/env bash
# Checks the layer rules of DESIGN.md against the code: every #include "jenny/<sub>/..." in
# src/<layer>/ must name the layer itself or one it declared in jenny_library(... DEPS ...),
# directly or through those (transitively). cli may include anything.
# Usage: layering_test.sh SOURCE_DIR "base:;tensor:base;...;cli:*"
set -euo pipefail
src="$1"
declare -A deps
IFS=';' read -ra entries <<< "$2"
for e in "${entries[@]}"; do
  [[ -z "$e" ]] && continue
  deps["${e%%:*}"]="${e#*:}"
done

# The transitive closure of what a layer may include.
allowed() {
  local layer="$1" seen=" $1 " queue=("$1")
  while ((${#queue[@]})); do
    local cur="${queue[0]}"; queue=("${queue[@]:1}")
    for d in ${deps[$cur]//,/ }; do
      [[ "$seen" == *" $d "* ]] && continue
      seen+="$d "; queue+=("$d")
    done
  done
  echo "$seen"
}

fail=0
for dir in "$src"/src/*/; do
  layer=$(basename "$dir")
  if [[ -z "${deps[$layer]+x}" ]]; then
    echo "src/$layer has no jenny_library(... DEPS ...) declaration"; fail=1; continue
  fi
  [[ "${deps[$layer]}" == "*" ]] && continue
  ok=$(allowed "$layer")
  while IFS= read -r line; do
    file="${line%%:*}"
    inc=$(sed -E 's/.*#include "jenny\/([a-z_]+)\/.*/\1/' <<< "$line")
    if [[ "$ok" != *" $inc "* ]]; then
      echo "layer violation: $file includes jenny/$inc/ but $layer may use only:$ok"
      fail=1
    fi
  done < <(grep -rnE '#include "jenny/[a-z_]+/' "$dir" || true)
done
# Public headers follow the same rule.
for dir in "$src"/include/jenny/*/; do
  layer=$(basename "$dir")
  [[ -z "${deps[$layer]+x}" ]] && continue
  ok=$(allowed "$layer")
  while IFS= read -r line; do
    inc=$(sed -E 's/.*#include "jenny\/([a-z_]+)\/.*/\1/' <<< "$line")
    if [[ "$ok" != *" $inc "* ]]; then
      echo "layer violation: ${line%%:*} includes jenny/$inc/ but $layer may use only:$ok"
      fail=1
    fi
  done < <(grep -rnE '#include "jenny/[a-z_]+/' "$dir" || true)
done
if ((fail)); then exit 1; fi
echo "layering ok: ${!deps[*]}"
