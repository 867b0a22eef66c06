#!/usr/bin/env bash
# jenny tokenize-dataset end to end: a fortune file (documents separated by "%") and a JSONL
# file with llama2.c's tokenizer; 1 vs 2 threads byte-identical; bad inputs each a clear
# message and a non-zero exit, and no complete-looking output. Exits 77 (skipped) without the
# fortunes package. Needs JENNY_BIN and JENNY_SHARED_DATA.
set -uo pipefail
bin="${JENNY_BIN:?set JENNY_BIN to the jenny binary}"
data="${JENNY_SHARED_DATA:?set JENNY_SHARED_DATA to the shared data folder}"
tok="$data/tokenizers/llama2c/tokenizer.bin"
fortune=/usr/share/games/fortunes/fortunes
if [[ ! -f "$fortune" ]]; then
  echo "skip: $fortune not installed (apt-get install fortunes)"; exit 77
fi
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

# no_dataset PREFIX: nothing at PREFIX looks like a finished dataset.
no_dataset() {
  if [[ -e "$1.meta.json" ]]; then
    echo "FAIL: $1.meta.json exists after a failed run"; fails=$((fails+1))
  else
    echo "ok: no $1.meta.json"
  fi
}

ndocs=$(grep -c '^%$' "$fortune")
printf '{"text": "Hello, world.", "id": 1}\n{"text": "Second document\\nwith two lines."}\n\n{"text": "caf\\u00e9"}\n' > "$t/small.jsonl"

# ---- a fortune file + a JSONL file ----
expect 0 "tokens/s" -- tokenize-dataset --tokenizer "$tok" --output "$t/one/ds" \
  --separator % --threads 1 "$fortune" "$t/small.jsonl"
expect 0 "documents: " -- tokenize-dataset --tokenizer "$tok" --output "$t/two/ds" \
  --separator % --threads 2 "$fortune" "$t/small.jsonl"
grep -F "wrote:" "$t/out"
for f in bin idx meta.json; do
  if cmp -s "$t/one/ds.$f" "$t/two/ds.$f"; then
    echo "ok: ds.$f identical for 1 and 2 threads"
  else
    echo "FAIL: ds.$f differs between 1 and 2 threads"; fails=$((fails+1))
  fi
done
# The meta counts: the fortunes (about one per "%" line) plus 3 JSONL documents.
if python3 - "$t/one/ds.meta.json" "$ndocs" "$t/one/ds.bin" <<'EOF'
import json, os, sys
m = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert m["format"] == "jenny-token-dataset" and m["version"] == 1, m
assert m["token_dtype"] == "uint16" and m["vocab_size"] == 32000, m
assert n + 3 <= m["n_documents"] <= n + 4, (m["n_documents"], n)
assert os.path.getsize(sys.argv[3]) == 2 * m["n_tokens"], m
assert len(m["tokenizer_hash"]) == 32 and m["has_mask"] is False, m
EOF
then echo "ok: meta.json counts"; else echo "FAIL: meta.json counts"; fails=$((fails+1)); fi

# Without --overwrite an existing dataset is kept; with it, replaced.
expect 1 "already exists" -- tokenize-dataset --tokenizer "$tok" --output "$t/one/ds" "$t/small.jsonl"
expect 0 "documents: 3 from 1 file" -- tokenize-dataset --tokenizer "$tok" --output "$t/one/ds" \
  --overwrite --no-eos "$t/small.jsonl"
expect 0 "EOS no" -- tokenize-dataset --tokenizer "$tok" --output "$t/noeos" --no-eos "$t/small.jsonl"

# ---- bad input: each names the file (and line), exits 1, leaves no dataset ----
printf '{"text": "ok"}\n{"text": "broken\n' > "$t/bad.jsonl"
expect 1 "$t/bad.jsonl:2: malformed JSON" -- tokenize-dataset --tokenizer "$tok" --output "$t/bad" "$t/bad.jsonl"
no_dataset "$t/bad"
printf '{"body": "no text here"}\n' > "$t/nofield.jsonl"
expect 1 "$t/nofield.jsonl:1: no \"text\" field" -- tokenize-dataset --tokenizer "$tok" --output "$t/bad" "$t/nofield.jsonl"
expect 0 "documents: 1" -- tokenize-dataset --tokenizer "$tok" --output "$t/body" --text-field body "$t/nofield.jsonl"
printf 'fine\nbad \xff byte\n' > "$t/latin1.txt"
expect 1 "$t/latin1.txt:2:5: invalid UTF-8" -- tokenize-dataset --tokenizer "$tok" --output "$t/bad" "$t/latin1.txt"
no_dataset "$t/bad"
expect 1 "$t/missing.jsonl does not exist" -- tokenize-dataset --tokenizer "$tok" --output "$t/bad" "$t/missing.jsonl"
expect 1 "tokenizer" -- tokenize-dataset --tokenizer "$t/no-tokenizer.json" --output "$t/bad" "$t/small.jsonl"
no_dataset "$t/bad"
expect 2 "INPUT" -- tokenize-dataset --tokenizer "$tok" --output "$t/bad"
expect 2 "output" -- tokenize-dataset --tokenizer "$tok" "$t/small.jsonl"
expect 2 "threads" -- tokenize-dataset --tokenizer "$tok" --output "$t/bad" --threads many "$t/small.jsonl"

if [[ $fails -ne 0 ]]; then echo "$fails failure(s)"; exit 1; fi
echo "all tokenize-dataset CLI checks passed"
