#!/usr/bin/env bash
# Continued training: stories260K (llama2.c, converted to an HF directory by jenny convert)
# trained further on simple TinyStories-like stories (generated here from templates, a style
# the model has not seen) must lower its held-out val loss clearly, and the saved model must
# still generate. Also continues from the llama2.c .bin directly (init_from any format).
set -euo pipefail
jenny=${JENNY_BIN:?}
data=${JENNY_SHARED_DATA:?}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

"$jenny" convert "$data/models/stories260K/stories260K.bin" "$t/s260" --to hf > /dev/null 2>&1
python3 - "$t/stories.txt" <<'PY'
import random, sys
r = random.Random(5)
names = ["Tom", "Lily", "Ben", "Mia", "Sam", "Anna", "Max", "Sue"]
things = ["ball", "kite", "cat", "dog", "boat", "book", "cake", "hat"]
colors = ["red", "blue", "green", "big", "small", "yellow"]
places = ["park", "garden", "house", "school", "beach", "forest"]
docs = []
for _ in range(600):
    n, m = r.choice(names), r.choice(names)
    t, c, p = r.choice(things), r.choice(colors), r.choice(places)
    docs.append(f"{n} had a {c} {t}. {n} took the {t} to the {p}. At the {p}, {n} met {m}. "
                f"{m} said, \"I like your {c} {t}!\" {n} and {m} played with the {t} all day. "
                "They were very happy.")
open(sys.argv[1], "w").write("\n%\n".join(docs) + "\n")
PY
"$jenny" tokenize-dataset --tokenizer "$t/s260" --output "$t/data/stories" --set 'separator="%"' \
    "$t/stories.txt" > /dev/null 2>&1

run() {  # run NAME INIT_FROM
    cat > "$t/$1.yaml" <<YAML
model: {init_from: "$2"}
data: {train: [{path: "$t/data/stories"}], val_fraction: 0.1}
batch: {micro_batch: 8, seq_len: 64}
optim: {lr_max: 2.0e-3, lr_min: 2.0e-4}
schedule: {kind: cosine, warmup_steps: 3, total_steps: 30}
eval: {every: 10, batches: 4}
checkpoint: {every_steps: 0, keep_last: 1}
threads: 2
out_dir: "$t/$1"
log_every: 10
YAML
    "$jenny" train "$t/$1.yaml" > "$t/$1.log" 2>&1 || { cat "$t/$1.log"; exit 1; }
    python3 - "$t/$1.log" <<'PY'
import re, sys
vals = [float(v) for v in re.findall(r"eval: step \d+ val loss ([0-9.]+)", open(sys.argv[1]).read())]
print(f"val loss {vals[0]:.4f} -> {vals[-1]:.4f}")
assert len(vals) >= 2 and vals[-1] < 0.5 * vals[0], f"val loss did not fall clearly: {vals}"
PY
    out=$("$jenny" generate -m "$t/$1/model" --prompt "Once upon a time" -n 24 2>/dev/null)
    [[ ${#out} -gt 30 ]] || { echo "generation from $t/$1/model too short: '$out'"; exit 1; }
    echo "$1: $out"
}
run from_hf "$t/s260"
run from_llama2c "$data/models/stories260K/stories260K.bin"
echo "continued training checks passed"
