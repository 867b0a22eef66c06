#!/usr/bin/env bash
# Continued training of the real model: SmolLM2-135M-Instruct (the Q4_1 GGUF, dequantised to
# f32 for training) on a few MB of domain text — Debian's English fortunes — must lower its
# perplexity on held-out text of that domain (the val split), and the saved HF directory must
# load and generate. Slow (~10 min on 2 cores); exit 77 (skip) without the model or fortunes.
set -euo pipefail
jenny=${JENNY_BIN:?}
model=$(python3 -c 'import sys; sys.path.insert(0, "tools/oracle"); import smollm2_common as s; print(s.default_model())' 2>/dev/null || true)
[[ -f "$model" ]] || { echo "SmolLM2 GGUF not found (run scripts/setup.sh)"; exit 77; }
fortunes=/usr/share/games/fortunes
[[ -f $fortunes/fortunes.u8 ]] || { echo "fortunes not installed"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# English fortune files (UTF-8 copies), one document per fortune.
files=()
for f in fortunes literature people science computers wisdom humorists; do
    [[ -f $fortunes/$f.u8 ]] && files+=("$fortunes/$f.u8")
done
"$jenny" tokenize-dataset --tokenizer "$model" --output "$t/data/fortunes" --set 'separator="%"' \
    "${files[@]}" 2>&1 | tail -3
cat > "$t/cfg.yaml" <<YAML
model: {init_from: "$model"}
data: {train: [{path: "$t/data/fortunes"}], val_fraction: 0.05}
batch: {micro_batch: 4, seq_len: 128}
optim: {lr_max: 1.0e-4, lr_min: 1.0e-5, weight_decay: 0.0}
schedule: {kind: cosine, warmup_steps: 2, total_steps: 24}
eval: {every: 12, batches: 8}
checkpoint: {every_steps: 0, keep_last: 1}
threads: 2
out_dir: "$t/run"
log_every: 4
YAML
"$jenny" train "$t/cfg.yaml" 2>&1 | grep -v '^  ' | tee "$t/train.log"
python3 - "$t/train.log" <<'PY'
import math, re, sys
vals = [float(v) for v in re.findall(r"eval: step \d+ val loss ([0-9.]+)", open(sys.argv[1]).read())]
print(f"held-out perplexity {math.exp(vals[0]):.2f} -> {math.exp(vals[-1]):.2f}")
assert len(vals) >= 2 and vals[-1] < vals[0] - 0.02, f"val loss did not fall: {vals}"
PY
out=$("$jenny" generate -m "$t/run/model" --chat --prompt "Tell me a short joke." -n 32 2>/dev/null)
echo "chat: $out"
[[ ${#out} -gt 20 ]] || { echo "generation too short"; exit 1; }
echo "SmolLM2 continued training check passed"
