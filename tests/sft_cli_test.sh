#!/usr/bin/env bash
# jenny validate-sft and jenny sft-dataset end to end with the Qwen2.5 chat template: a clean
# chat file (a *rendering fixture* of GSM8K test questions -> user, answers -> assistant; it
# checks rendering and masking only and must never train a model evaluated on GSM8K), the
# report and its exit codes, --json, a file with errors refused with nothing written, usage
# errors. Needs JENNY_BIN and JENNY_SHARED_DATA.
set -uo pipefail
bin="${JENNY_BIN:?set JENNY_BIN to the jenny binary}"
data="${JENNY_SHARED_DATA:?set JENNY_SHARED_DATA to the shared data folder}"
qwen="$data/tokenizers/hf-qwen2_5"
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
check() {  # check "what" CONDITION...
  local what="$1"; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails+1)); fi
}

# The rendering fixture: 40 GSM8K test problems as two-turn chats, plus prompt/completion lines.
fixture="$t/gsm8k_test_rendering_fixture.jsonl"
python3 - "$data/gsm8k/test.jsonl" "$fixture" <<'PY'
import json, sys
rows = [json.loads(l) for l, _ in zip(open(sys.argv[1]), range(40))]
with open(sys.argv[2], "w") as out:
    for i in range(0, 36, 2):
        a, b = rows[i], rows[i + 1]
        msgs = [{"role": "user", "content": a["question"]},
                {"role": "assistant", "content": a["answer"], "weight": i % 4 // 2},
                {"role": "user", "content": b["question"]},
                {"role": "assistant", "content": b["answer"]}]
        out.write(json.dumps({"messages": msgs}) + "\n")
    for r in rows[36:]:
        out.write(json.dumps({"prompt": r["question"], "completion": r["answer"]}) + "\n")
PY

expect 0 "22 lines, 22 examples without errors, 0 errors" -- validate-sft "$fixture" --model "$qwen" --epochs 3
expect 0 "x 3 epoch(s)" -- validate-sft "$fixture" --model "$qwen" --epochs 3
expect 0 '"ok": true' -- validate-sft "$fixture" --model "$qwen" --json
expect 0 "wrote 22 examples" -- sft-dataset "$fixture" --model "$qwen" --output "$t/ds/sft"
check "dataset files with a mask" test -s "$t/ds/sft.bin" -a -s "$t/ds/sft.idx" -a -s "$t/ds/sft.mask"
check "meta.json has_mask" grep -q '"has_mask": *true' "$t/ds/sft.meta.json"
expect 1 "pass --overwrite" -- sft-dataset "$fixture" --model "$qwen" --output "$t/ds/sft"
expect 0 "wrote 22 examples" -- sft-dataset "$fixture" --model "$qwen" --output "$t/ds/sft" --overwrite --last-turn-only

# A file with errors: line-numbered report, exit 1, nothing written.
bad="$t/bad.jsonl"
head -n 2 "$fixture" > "$bad"
echo '{"messages": [{"role": "bot", "content": "x"}]}' >> "$bad"
echo 'not json' >> "$bad"
head -n 1 "$fixture" >> "$bad"
expect 1 "$bad:3: error [unknown_role]" -- validate-sft "$bad" --model "$qwen"
expect 1 "$bad:4: error [bad_json]" -- validate-sft "$bad" --model "$qwen"
expect 1 "$bad:5: warning [duplicate]: the same example as line 1" -- validate-sft "$bad" --model "$qwen"
expect 1 '"kind": "no_assistant"' -- validate-sft "$bad" --model "$qwen" --json
expect 1 "error [too_long]" -- validate-sft "$fixture" --model "$qwen" --max-tokens 100
expect 1 "nothing was written" -- sft-dataset "$bad" --model "$qwen" --output "$t/bad/sft"
check "no dataset after a refused file" test ! -e "$t/bad/sft.meta.json" -a ! -e "$t/bad/sft.bin"

# Failures and usage errors.
expect 1 "does not exist" -- validate-sft "$t/missing.jsonl" --model "$qwen"
expect 1 "chat" -- validate-sft "$fixture" --model "$data/tokenizers/llama2c"
expect 2 "model" -- validate-sft "$fixture"
expect 2 "input" -- validate-sft --model "$qwen"
expect 2 "--epochs" -- validate-sft "$fixture" --model "$qwen" --epochs 0
expect 2 "output" -- sft-dataset "$fixture" --model "$qwen"

if [[ $fails -ne 0 ]]; then echo "$fails check(s) failed"; exit 1; fi
echo "all sft CLI checks passed"
