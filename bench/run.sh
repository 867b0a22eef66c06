#!/usr/bin/env bash
# Runs every benchmark that exists, printing JSON per benchmark to bench-results/ and a summary.
# Usage: bench/run.sh BUILD_DIR
set -euo pipefail
build="${1:-build}"
out="$build/bench-results"
mkdir -p "$out"
for b in "$build"/bench/base_bench; do
  [[ -x "$b" ]] || continue
  name=$(basename "$b")
  echo "== $name"
  "$b" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
       --benchmark_out="$out/$name.json" --benchmark_out_format=json
done
if [[ -x "$build/bench/tokenizer_bench" ]]; then
  echo "== tokenizer (jenny vs Hugging Face tokenizers)"
  .venv/bin/python bench/tokenizer.py "$build"
fi
if [[ -x "$build/bin/jenny" ]]; then
  echo "== generate (jenny bench generate vs llama.cpp; add --big to bench/generate.py for 1B rows)"
  .venv/bin/python bench/generate.py "$build"
fi
if [[ -x "$build/bench/fma_peak" ]]; then
  echo "== train (jenny train vs PyTorch eager / torch.compile / Debian python3-torch; MFU against fma_peak)"
  .venv/bin/python bench/train.py "$build"
fi
echo "results in $out/"
