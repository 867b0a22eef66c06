#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD/fuzz for SECONDS each, seeded from fuzz/<target>/ when
# that folder exists (and a scratch corpus in BUILD/fuzz-corpus/<target>/). Fails on the first
# crash, leaving the input in BUILD/crashes/.
# Usage: fuzz/run.sh BUILD SECONDS [TARGET...]
set -euo pipefail
build="$1"; seconds="$2"; shift 2
here="$(cd "$(dirname "$0")" && pwd)"
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in "$build"/fuzz/*; do [[ -x "$f" ]] && targets+=("$(basename "$f")"); done
fi
mkdir -p "$build/crashes"
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"; mkdir -p "$corpus"
  seeds=(); [[ -d "$here/$t" ]] && seeds=("$here/$t")
  echo "== $t for ${seconds}s"
  "$build/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 \
    -artifact_prefix="$build/crashes/$t-" "$corpus" "${seeds[@]}" 2>&1 | tail -n 12
done
echo "fuzzing done: ${targets[*]}"
