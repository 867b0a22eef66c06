#!/usr/bin/env bash
# jenny inspect / perplexity / bench generate end to end on llama2.c's stories260K, and their
# bad inputs (each a clear message and a non-zero exit). Needs JENNY_BIN and JENNY_SHARED_DATA.
set -uo pipefail
bin="${JENNY_BIN:?set JENNY_BIN to the jenny binary}"
data="${JENNY_SHARED_DATA:?set JENNY_SHARED_DATA to the shared data folder}"
model="$data/models/stories260K/stories260K.bin"
py=python3
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fails=0

# expect CODE "needle in stdout+stderr" -- ARGS...
expect() {
  local code="$1" needle="$2"; shift 3
  "$bin" "$@" > "$t/out" 2> "$t/err" < /dev/null
  local rc=$?
  if [[ $rc -ne $code ]]; then
    echo "FAIL: jenny $* exited $rc, expected $code"; cat "$t/out" "$t/err"; fails=$((fails+1)); return
  fi
  if [[ -n "$needle" ]] && ! grep -qF -- "$needle" "$t/out" "$t/err"; then
    echo "FAIL: jenny $*: output lacks: $needle"; cat "$t/out" "$t/err"; fails=$((fails+1)); return
  fi
  echo "ok: jenny $* -> $rc"
}

# check "what" PYTHON-EXPR-ON-j FILE: the JSON in FILE satisfies the expression.
check() {
  if $py -c "import json,sys; j=json.load(open(sys.argv[1])); assert $2, j" "$3" 2> "$t/pyerr"; then
    echo "ok: $1"
  else
    echo "FAIL: $1"; cat "$t/pyerr" "$3"; fails=$((fails+1))
  fi
}

# ---- inspect ----
expect 0 "format:       llama2c" -- inspect "$model"
expect 0 "layers.4.feed_forward.w3.weight" -- inspect "$model"
expect 0 "KV cache bytes per token: f16 640 f32 1280" -- inspect "$model"
expect 0 "parameters:   260032" -- inspect "$model" --no-tensors
"$bin" inspect "$model" --json > "$t/inspect.json" 2>/dev/null
check "inspect --json: llama2c, 260032 params, 47 tensors, llama2c tokenizer of 512" \
  'j["format"]=="llama2c" and j["n_params"]==260032 and len(j["tensors"])==47 and j["tokenizer"]["vocab_size"]==512 and j["config"]["n_layers"]==5 and j["kv_bytes_per_token"]["f32"]==1280 and "q8_0" not in j["kv_bytes_per_token"] and j["chat_template"] is False and j["bytes_by_dtype"]["F32"]==4*260032' \
  "$t/inspect.json"
expect 1 "no such model file or directory" -- inspect "$t/missing.gguf"
printf 'not a model' > "$t/notes.txt"
expect 1 "not a model jenny reads" -- inspect "$t/notes.txt"
head -c 1000 "$model" > "$t/truncated.bin"
expect 1 "truncated.bin" -- inspect "$t/truncated.bin"
expect 2 "model" -- inspect

# ---- perplexity ----
story="Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high. Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. Tom was a boy who liked to run. He ran to the tree and saw a bird. The bird was happy and sang a song."
for i in 1 2 3; do printf '%s\n' "$story"; done > "$t/story.txt"
expect 0 "Final estimate: PPL = " -- perplexity --model "$model" --file "$t/story.txt" --ctx 64 --threads 2
expect 0 "[2]" -- perplexity --model "$model" --file "$t/story.txt" --ctx 64 --threads 1
"$bin" perplexity --model "$model" --file "$t/story.txt" --ctx 64 --threads 1 --json > "$t/ppl.json" 2>/dev/null
check "perplexity --json: 31 scored per chunk of 64, ppl finite and > 1, stderr > 0" \
  'j["n_ctx"]==64 and j["n_scored"]==31*j["n_chunks"] and j["n_chunks"]>=2 and 1 < j["ppl"] < 512 and j["ppl_stderr"]>0 and abs(j["chunk_ppl"][-1]-j["ppl"])<1e-9' \
  "$t/ppl.json"
# The same text scored twice in a row gives the same number (no state leaks between chunks).
"$bin" perplexity --model "$model" --file "$t/story.txt" --ctx 64 --threads 1 --chunks 1 --json > "$t/ppl1.json" 2>/dev/null
check "perplexity --chunks 1 equals the first running value" \
  "abs(j['ppl'] - json.load(open('$t/ppl.json'))['chunk_ppl'][0]) < 1e-9 and j['n_chunks']==1" "$t/ppl1.json"
expect 1 "no such text file" -- perplexity --model "$model" --file "$t/missing.txt" --ctx 64
: > "$t/empty.txt"
expect 2 "is empty" -- perplexity --model "$model" --file "$t/empty.txt" --ctx 64
expect 2 "larger than the model's context 512" -- perplexity --model "$model" --file "$t/story.txt" --ctx 4096
expect 2 "use a longer text or a smaller --ctx" -- perplexity --model "$model" --file "$t/story.txt" --ctx 512
expect 2 "too small" -- perplexity --model "$model" --file "$t/story.txt" --ctx 2
expect 1 "no such model file or directory" -- perplexity --model "$t/missing.bin" --file "$t/story.txt"
expect 2 "file" -- perplexity --model "$model"

# ---- bench generate ----
expect 0 "tg16" -- bench generate --model "$model" --pp 64 --tg 16 --reps 2 --threads 1
"$bin" bench generate --model "$model" --pp 64 --tg 16 --reps 2 --threads 1 --json > "$t/bench.json" 2>/dev/null
check "bench generate --json: pp64 and tg16 tok/s > 0, peak RSS > 1 MiB" \
  'j["tests"]["pp64"]["tok_s"]>0 and j["tests"]["tg16"]["tok_s"]>0 and len(j["tests"]["tg16"]["seconds"])==2 and j["peak_rss_bytes"]>2**20 and j["n_params"]==260032' \
  "$t/bench.json"
expect 2 "exceed the model's context 512" -- bench generate --model "$model" --pp 1024 --tg 0
expect 2 "reps must be at least 1" -- bench generate --model "$model" --reps 0
expect 1 "no such model file or directory" -- bench generate --model "$t/missing.gguf"
expect 2 "subcommand is required" -- bench

if [[ $fails -ne 0 ]]; then echo "$fails failure(s)"; exit 1; fi
echo "all model CLI tests passed"
