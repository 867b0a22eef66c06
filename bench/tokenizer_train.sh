#!/usr/bin/env bash
# Scenario benchmark: `jenny tokenizer train` (byte-level BPE, 32k vocab) on ~100 MB of varied
# real text from Debian packages, next to Hugging Face tokenizers' BpeTrainer (PyPI) on the same
# text with the same vocabulary size, pre-tokenizer and special tokens, in the same run.
#
# Usage: bench/tokenizer_train.sh [BUILD_DIR]     (default: build)
# Env:   CORPUS_MB (100), VOCAB (32000), THREADS (2: jenny --threads, RAYON_NUM_THREADS for HF),
#        WORK (/tmp/jenny_bench_tokenizer_train: the corpus is built once and kept there).
# Prints one JSON line: sizes, seconds for each, the ratio, and whether the merges are identical.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
jenny="$build/bin/jenny"
py="$root/.venv/bin/python"
mb="${CORPUS_MB:-100}"
vocab="${VOCAB:-32000}"
threads="${THREADS:-2}"
work="${WORK:-/tmp/jenny_bench_tokenizer_train}"
corpus="$work/corpus_${mb}mb.txt"
specials='<|begin_of_text|>,<|end_of_text|>,<|start_header_id|>,<|end_header_id|>,<|eot_id|>'
[[ -x "$jenny" ]] || { echo "no $jenny: build it first (cmake --build $build --target jenny)" >&2; exit 2; }
[[ -x "$py" ]] || { echo "no $py: run scripts/setup.sh" >&2; exit 2; }
mkdir -p "$work"

# The corpus: Debian package docs (changelogs, READMEs), man pages in every language, C/C++
# headers, Python sources, licenses and fortunes, each source capped at a share of the total,
# lines that are not valid UTF-8 dropped. Deterministic: files are taken in sorted order.
if [[ ! -s "$corpus" ]]; then
  "$py" - "$corpus" "$mb" <<'EOF'
import glob, gzip, os, sys

out_path, total = sys.argv[1], int(sys.argv[2]) * 1_000_000
sources = [  # (share, file patterns)
    (0.25, ["/usr/share/doc/**/*"]),
    (0.25, ["/usr/share/man/**/*.gz"]),
    (0.20, ["/usr/include/**/*.h", "/usr/include/**/*.hpp"]),
    (0.25, [os.path.expanduser(sys.prefix) + "/lib/**/*.py", "/usr/lib/python3/**/*.py"]),
    (0.05, ["/usr/share/common-licenses/*", "/usr/share/games/fortunes/*"]),
]

def text_of(path):
    if not os.path.isfile(path) or os.path.islink(path) or path.endswith((".dat", ".u8")):
        return ""
    try:
        with open(path, "rb") as f:
            raw = f.read(4_000_000)
        if path.endswith(".gz"):
            raw = gzip.decompress(raw)
    except Exception:
        return ""
    if b"\0" in raw[:4096]:
        return ""  # binary
    return "".join(l for l in raw.decode("utf-8", "replace").splitlines(True) if "\ufffd" not in l)

written = 0
with open(out_path + ".tmp", "w", encoding="utf-8") as out:
    for i, (share, patterns) in enumerate(sources):
        budget = total - written if i == len(sources) - 1 else int(total * share)
        used = 0
        files = sorted({p for pat in patterns for p in glob.glob(pat, recursive=True)})
        for p in files:
            if used >= budget:
                break
            t = text_of(p)[: budget - used]
            out.write(t)
            used += len(t.encode("utf-8"))
        written += used
        print(f"corpus: {patterns[0]} ... {used/1e6:.1f} MB", file=sys.stderr)
os.replace(out_path + ".tmp", out_path)
EOF
fi
bytes=$(stat -c %s "$corpus")

now() { date +%s.%N; }
t0=$(now)
"$jenny" tokenizer train --input "$corpus" --vocab-size "$vocab" --out "$work/jenny" \
  --threads "$threads" --set progress=false > "$work/jenny.log" 2> "$work/jenny.err" ||
  { cat "$work/jenny.err" >&2; exit 1; }
t1=$(now)

# Hugging Face: the same pre-tokenizer (Split(regex, isolated) + ByteLevel without its regex),
# specials and byte alphabet; the text fed in ~1 MiB pieces cut where jenny cuts (after a line
# break followed by printable ASCII), so both count exactly the same words.
regex="$(sed -n 's/.*R"(\(.*\))";$/\1/p' "$root/include/jenny/tokenizer/bpe_trainer.h")"
RAYON_NUM_THREADS="$threads" "$py" - "$corpus" "$vocab" "$specials" "$regex" "$work/hf.json" <<'EOF'
import json, sys, time
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

corpus, vocab, specials, regex, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
start = time.perf_counter()
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=specials.split(","),
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                              show_progress=False)

def chunks():
    with open(corpus, encoding="utf-8", newline="") as f:
        text = f.read()
    pos = 0
    while pos < len(text):
        nl = pos + (1 << 20)
        while nl < len(text) and not (text[nl - 1] == "\n" and "!" <= text[nl] <= "~"):
            nl += 1
        yield text[pos:nl]
        pos = nl

tok.train_from_iterator(chunks(), trainer=trainer)
seconds = time.perf_counter() - start
merges = json.loads(tok.to_str())["model"]["merges"]
merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
json.dump({"seconds": seconds, "merges": merges, "vocab_size": tok.get_vocab_size()}, open(out, "w"))
EOF
t2=$(now)

"$py" - "$work/jenny/tokenizer.json" "$work/hf.json" "$bytes" "$vocab" "$threads" "$t0" "$t1" "$t2" <<'EOF'
import json, sys
ours = json.load(open(sys.argv[1], encoding="utf-8"))["model"]["merges"]
hf = json.load(open(sys.argv[2], encoding="utf-8"))
t0, t1, t2 = map(float, sys.argv[6:9])
diff = next((i for i, (a, b) in enumerate(zip(ours, hf["merges"])) if a != b), None)
if diff is None and len(ours) != len(hf["merges"]):
    diff = min(len(ours), len(hf["merges"]))
print(json.dumps({
    "scenario": "tokenizer_train", "corpus_bytes": int(sys.argv[3]), "vocab_size": int(sys.argv[4]),
    "threads": int(sys.argv[5]), "jenny_s": round(t1 - t0, 2), "hf_tokenizers_s": round(t2 - t1, 2),
    "hf_train_only_s": round(hf["seconds"], 2), "hf_over_jenny": round((t2 - t1) / (t1 - t0), 2),
    "merges": len(ours), "merges_identical": diff is None, "first_differing_merge": diff}))
EOF
cat "$work/jenny.log" >&2
