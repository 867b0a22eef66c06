#!/usr/bin/env bash
# Proves layering_test.sh can fail: a tree where base includes a model header must be rejected,
# and the same tree without that include accepted.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
mkdir -p "$t/src/base" "$t/src/model" "$t/include/jenny/base" "$t/include/jenny/model"
echo '#include "jenny/base/status.h"' > "$t/src/model/a.cpp"
echo '#include "jenny/model/llama.h"' > "$t/src/base/b.cpp"
if bash "$here/layering_test.sh" "$t" "base:;model:base" > "$t/out" 2>&1; then
  echo "FAIL: base including model was accepted"; cat "$t/out"; exit 1
fi
grep -q "layer violation: .*src/base/b.cpp.* includes jenny/model/" "$t/out" || { cat "$t/out"; exit 1; }
echo '#include "jenny/base/status.h"' > "$t/src/base/b.cpp"
bash "$here/layering_test.sh" "$t" "base:;model:base" > "$t/out" 2>&1 || { cat "$t/out"; exit 1; }
echo "layering self-test ok"
