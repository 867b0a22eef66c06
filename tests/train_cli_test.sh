#!/usr/bin/env bash
# jenny train on bad input: each mistake is a clear message and a non-zero exit (config errors 2,
# data errors 1, a diverging run 3) and leaves the run's checkpoints byte for byte as they were;
# a corrupt newest checkpoint is skipped with a warning and --resume continues from the one
# before, ending with the same weights as an uninterrupted run. Needs JENNY_BIN and
# JENNY_SHARED_DATA (the stories260K tokenizer; synthetic-data checks only without it).
set -uo pipefail
bin="${JENNY_BIN:?set JENNY_BIN to the jenny binary}"
tok="${JENNY_SHARED_DATA:-}/models/stories260K/tok512.bin"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# expect CODE "needle in stdout+stderr" -- ARGS...
expect() {
  local code="$1" needle="$2"; shift 3
  "$bin" "$@" > "$t/out" 2>&1 < /dev/null
  local rc=$?
  if [[ $rc -ne $code ]]; then
    fail "jenny $* exited $rc, expected $code"; tail -20 "$t/out"; return
  fi
  if [[ -n "$needle" ]] && ! grep -qF -- "$needle" "$t/out"; then
    fail "jenny $*: output lacks: $needle"; tail -20 "$t/out"; return
  fi
  echo "ok: jenny ${*:1:2} ... -> $rc${needle:+ ($needle)}"
}

sums() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

# The run every bad input is tried against: 4 of 6 steps, checkpoints at steps 2 and 4.
common='batch: {micro_batch: 2, seq_len: 32, grad_accum: 2}
optim: {lr_max: 1.0e-3}
schedule: {kind: cosine, warmup_steps: 1, total_steps: 6}
eval: {every: 3, batches: 1}
checkpoint: {every_steps: 2, keep_last: 5}
threads: 2'
model='model: {vocab_size: 512, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2, max_position_embeddings: 64'
run="$t/run"
if [[ -f "$tok" ]] && "$bin" tokenize-dataset --help > /dev/null 2>&1; then
  python3 - "$t/corpus.jsonl" <<'EOF'
import json, random, sys
words = "the cat dog sat on a mat and ran to big red ball little girl boy saw sun tree".split()
r = random.Random(1)
with open(sys.argv[1], "w") as f:
    for _ in range(200):
        f.write(json.dumps({"text": " ".join(r.choice(words) for _ in range(30)) + "."}) + "\n")
EOF
  expect 0 "" -- tokenize-dataset "$t/corpus.jsonl" --tokenizer "$tok" --output "$t/data/train" --threads 1
  data="data: {train: [{path: $t/data/train}]}"
  model="$model, tokenizer: $tok}"
else
  echo "skip: real-data checks (no stories260K tokenizer under JENNY_SHARED_DATA or no jenny tokenize-dataset)"
  tok=""
  data='data: {synthetic: true}'
  model="$model}"
fi
printf '%s\n%s\n%s\nout_dir: %s\n' "$model" "$data" "$common" "$run" > "$t/good.yaml"
expect 0 "checkpoint: step 4" -- train "$t/good.yaml" --max-steps 4
sums "$run/checkpoints" > "$t/sums.before"

# bad CONFIG EXIT NEEDLE [extra args]: fails as expected with --resume; checkpoints untouched.
bad() {
  local cfg="$1" code="$2" needle="$3"; shift 3
  expect "$code" "$needle" -- train "$cfg" --resume "$@"
  sums "$run/checkpoints" > "$t/sums.after"
  cmp -s "$t/sums.before" "$t/sums.after" || fail "checkpoints changed after: jenny train $cfg $*"
}

sed 's/lr_max:/lr_mx:/' "$t/good.yaml" > "$t/typo.yaml"
bad "$t/typo.yaml" 2 "optim.lr_mx: unknown key ($t/typo.yaml:4); did you mean 'lr_max'?"
sed 's/micro_batch: 2/micro_batch: two/' "$t/good.yaml" > "$t/type.yaml"
bad "$t/type.yaml" 2 "batch.micro_batch: expected an integer, got \"two\" ($t/type.yaml:3)"
bad "$t/good.yaml" 2 "did you mean 'grad_clip'?" --set optim.grad_clp=1
bad "$t/good.yaml" 2 "batch.seq_len (100) exceeds model.max_position_embeddings (64)" --set batch.seq_len=100
bad "$t/good.yaml" 2 "expected key=value" --set x
bad "$t/good.yaml" 2 "nothing: unknown key (--set nothing=1)" --set nothing=1
bad "$t/missing.yaml" 2 "$t/missing.yaml"
# The model changed since the checkpoint: resume refuses, naming the file and tensor.
bad "$t/good.yaml" 1 "the config changed since this checkpoint" --set model.intermediate_size=96

if [[ -n "$tok" ]]; then
  sed "s#$t/data/train#$t/data/none#" "$t/good.yaml" > "$t/nodata.yaml"
  bad "$t/nodata.yaml" 1 "no token dataset at $t/data/none"
  mkdir -p "$t/cut" && cp "$t"/data/train.* "$t/cut/"
  truncate -s -3 "$t/cut/train.bin"
  sed "s#$t/data/train#$t/cut/train#" "$t/good.yaml" > "$t/cut.yaml"
  bad "$t/cut.yaml" 1 "$t/cut/train.bin"
  mkdir -p "$t/other" && cp "$t"/data/train.* "$t/other/"
  ours=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokenizer_hash"])' "$t/data/train.meta.json")
  python3 - "$t/other/train.meta.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1])); m["tokenizer_hash"] = "0123456789abcdef0123456789abcdef"
json.dump(m, open(sys.argv[1], "w"))
EOF
  sed "s#$t/data/train#$t/other/train#" "$t/good.yaml" > "$t/other.yaml"
  bad "$t/other.yaml" 1 "was made by tokenizer 0123456789abcdef0123456789abcdef but the model's tokenizer is $ours"
fi

# A learning rate that overflows float: every update is skipped, exit 3 after max_bad_steps.
expect 3 "stopping: 2 non-finite steps in a row" -- train "$t/good.yaml" --set out_dir="$t/diverge" \
  --set optim.lr_max=1e30 --set schedule.warmup_steps=0 --set guards.max_bad_steps=2
grep -q '"skipped":"non-finite"' "$t/diverge/metrics.jsonl" && echo "ok: skipped steps are marked in metrics.jsonl" \
  || fail "$t/diverge/metrics.jsonl marks no skipped step"

# After all that, the run resumes from step 4 and finishes.
expect 0 "resume: step 4 from $run/checkpoints/step-00000004" -- train "$t/good.yaml" --resume

# A corrupt newest checkpoint: --resume warns, skips it and continues from the one before, to
# the same final weights as an uninterrupted run.
expect 0 "" -- train "$t/good.yaml" --set out_dir="$t/ref"
corrupt="$t/corrupt"
expect 0 "checkpoint: step 4" -- train "$t/good.yaml" --set out_dir="$corrupt" --max-steps 4
python3 - "$corrupt/checkpoints/step-00000004/model.safetensors" <<'EOF'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) - 100); b = f.read(1); f.seek(-1, 1); f.write(bytes([b[0] ^ 1]))
EOF
expect 0 "resume: step 2 from $corrupt/checkpoints/step-00000002" -- train "$t/good.yaml" --set out_dir="$corrupt" --resume
grep -qF "skipping checkpoint $corrupt/checkpoints/step-00000004 (step 4): " "$t/out" && echo "ok: the corrupt checkpoint is named and skipped" \
  || { fail "--resume did not warn about the corrupt step-00000004"; tail -20 "$t/out"; }
for f in checkpoints/step-00000006/model.safetensors model/model.safetensors; do
  cmp -s "$t/ref/$f" "$corrupt/$f" && echo "ok: $f equals the uninterrupted run's" || fail "$corrupt/$f differs from $t/ref/$f"
done

if [[ $fails -ne 0 ]]; then echo "$fails failure(s)"; exit 1; fi
echo "all ok"
