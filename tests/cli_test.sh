#!/usr/bin/env bash
# The jenny command end to end: help, version, exit codes, config errors. Needs JENNY_BIN.
set -uo pipefail
bin="${JENNY_BIN:?set JENNY_BIN to the jenny binary}"
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

expect 0 "info" -- --help
expect 0 "jenny 0.1.0 (git " -- --version
expect 0 "build: cuda=" -- --version
expect 0 "simd: " -- --version
expect 2 "name a command" --
expect 2 "unknown command 'trian'" -- trian
expect 2 "Did you mean 'jenny info'?" -- inof
expect 2 "jenny info: unknown option '--bogus'. Run 'jenny info --help'" -- info --bogus
expect 2 "Run 'jenny info --help'" -- info --data-dir
expect 0 "jenny info: configuration" -- info
expect 0 "cpu features" -- info
expect 2 'json: expected true or false, got "maybe" (--set json=maybe)' -- info --set json=maybe
expect 2 "expected key=value" -- info --set json
expect 2 "reading config" -- info --config "$t/missing.yaml"

printf 'json: true\ndata_dri: /x\n' > "$t/bad.yaml"
expect 2 "data_dri: unknown key ($t/bad.yaml:2); did you mean 'data_dir'?" -- info --config "$t/bad.yaml"
printf '{\n  "json": 3\n}\n' > "$t/bad.json"
expect 2 "json: expected true or false, got \"3\" ($t/bad.json:2)" -- info --config "$t/bad.json"
printf 'json: [\n' > "$t/broken.yaml"
expect 2 "$t/broken.yaml:2" -- info --config "$t/broken.yaml"

# Config file, then flags, then --set: the last word wins and the resolved config says so.
printf 'cache_dir: /from/file\ndata_dir: /from/file\n' > "$t/ok.yaml"
expect 0 "cache_dir: /from/flag" -- info --config "$t/ok.yaml" --cache-dir /from/flag
expect 0 "data_dir: /from/set" -- info --config "$t/ok.yaml" --data-dir /from/flag --set data_dir=/from/set

"$bin" info --json > "$t/info.json" 2>/dev/null
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["cpu"]["logical_cores"] >= 1' "$t/info.json"; then
  echo "ok: info --json is JSON"
else
  echo "FAIL: info --json is not valid JSON"; cat "$t/info.json"; fails=$((fails+1))
fi

# jenny tokenizer train: a tiny vocabulary, a missing input, a vocabulary too small.
printf 'hello world, hello jenny\nthe quick brown fox jumps\n' > "$t/train.txt"
expect 0 "vocab 270 tokens" -- tokenizer train --input "$t/train.txt" --vocab-size 270 --min-frequency 1 --out "$t/tok"
if grep -qF '"<|begin_of_text|>": 265' "$t/tok/tokenizer.json"; then echo "ok: trained tokenizer.json has the specials at the top ids"; else echo "FAIL: $t/tok/tokenizer.json lacks <|begin_of_text|> at id 265"; fails=$((fails+1)); fi
expect 1 "input $t/missing.txt does not exist" -- tokenizer train --input "$t/missing.txt" --vocab-size 300 --out "$t/tok2"
expect 2 "vocab_size: 100 is out of range" -- tokenizer train --input "$t/train.txt" --vocab-size 100 --out "$t/tok2"
expect 2 "A subcommand is required" -- tokenizer

# jenny tokenize / detokenize / chat-template render against shared data (stdin from a file).
data="${JENNY_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}"
expect_in() {  # expect_in CODE "needle" INPUT_FILE -- ARGS...
  local code="$1" needle="$2" input="$3"; shift 4
  "$bin" "$@" > "$t/out" 2> "$t/err" < "$input"
  local rc=$?
  if [[ $rc -ne $code ]] || ! grep -qF -- "$needle" "$t/out" "$t/err"; then
    echo "FAIL: jenny $* < $input exited $rc (expected $code), wanted: $needle"; cat "$t/out" "$t/err"; fails=$((fails+1)); return
  fi
  echo "ok: jenny $* < $(basename "$input") -> $rc"
}
printf 'Hello world' > "$t/hello.txt"
expect_in 0 "9906 1917" "$t/hello.txt" -- tokenize --tokenizer "$data/tokenizers/hf-llama3/tokenizer.json"
expect_in 0 '["Hello","Ġworld"]' "$t/hello.txt" -- tokenize --tokenizer "$data/tokenizers/hf-llama3" --pieces
expect_in 0 "2" "$t/hello.txt" -- tokenize --tokenizer "$data/tokenizers/hf-llama3" --count
printf '{"text": "Hello world"}\n{"text": "<|im_start|>"}\n' > "$t/docs.jsonl"
expect_in 0 "[151644]" "$t/docs.jsonl" -- tokenize --tokenizer "$data/tokenizers/hf-qwen2_5" --jsonl
printf '{"txt": 1}\n' > "$t/bad.jsonl"
expect_in 1 "stdin line 1: expected a JSON object" "$t/bad.jsonl" -- tokenize --tokenizer "$data/tokenizers/hf-qwen2_5" --jsonl
printf 'ok \xff' > "$t/bad_utf8.txt"
expect_in 1 "invalid UTF-8 at byte 3" "$t/bad_utf8.txt" -- tokenize --tokenizer "$data/tokenizers/hf-llama3"
expect_in 1 "no such file or directory" "$t/hello.txt" -- tokenize --tokenizer "$t/nope.json"
expect_in 2 "tokenizer: required key is missing" "$t/hello.txt" -- tokenize
expect_in 2 "output: expected one of ids, pieces, count" "$t/hello.txt" -- tokenize --tokenizer x --output bogus
printf '9906 1917' > "$t/ids.txt"
expect_in 0 "Hello world" "$t/ids.txt" -- detokenize --tokenizer "$data/tokenizers/hf-llama3"
printf '9906 99999999' > "$t/badids.txt"
expect_in 1 "is not a token id of this tokenizer" "$t/badids.txt" -- detokenize --tokenizer "$data/tokenizers/hf-llama3"
printf '[{"role": "user", "content": "Hi!"}]' > "$t/chat.json"
expect_in 0 "<|im_start|>assistant" "$t/chat.json" -- chat-template render --model "$data/tokenizers/hf-qwen2_5" --add-generation-prompt
expect_in 0 "151644 77091 198" "$t/chat.json" -- chat-template render --model "$data/tokenizers/hf-qwen2_5" --add-generation-prompt --tokenize
printf '[{"role": "user"' > "$t/chat_bad.json"
expect_in 1 "stdin: not valid JSON" "$t/chat_bad.json" -- chat-template render --model "$data/tokenizers/hf-qwen2_5"

# The tour: trains a tokenizer, tokenizes the corpus, pretrains (a few steps here), generates,
# loads SmolLM2's vocabulary and renders its chat template.
expect 0 "<|im_start|>assistant" -- quickstart --workdir "$t/qs" --vocab-size 1000 --set train_steps=3 --set train_minutes=0.5
expect 2 "vocab_size: expected an integer" -- quickstart --vocab-size many

if ((fails)); then echo "$fails failed"; exit 1; fi
echo "all cli checks passed"
