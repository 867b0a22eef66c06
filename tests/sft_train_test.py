#!/usr/bin/env python3
"""jenny train on SFT chat JSONL end to end (issue 7, first acceptance line), on a tiny
Qwen2-architecture model with the Qwen2.5 tokenizer and chat template.

The chat file is built from ../shared/data/gsm8k/test.jsonl (question -> user, answer ->
assistant). Shared data only has GSM8K's *test* split: here it is conversational text for a
mechanics test (rendering, masking, packing, loss, saving), never for an evaluation claim, and
the model trained here is never evaluated on GSM8K.

Checks:
 1. The tiny model: a Qwen2ForCausalLM-shaped safetensors file with transformers' random
    initialisation drawn in numpy (seed 0; no torch needed) and the Qwen2.5 tokenizer files; jenny continues it (model.init_from, format: sft data).
 2. The packed masked dataset jenny cached under out_dir/sft/: every window starts a document
    and no document crosses a window; every example document's masked tokens decode (with
    the `tokenizers` library, not jenny) to exactly each assistant content + "<|im_end|>",
    in order; padding documents are all mask 0.
 3. Train loss falls (mean of the last 5 steps < 0.85 x the first 5); val loss is reported.
 4. --resume reuses the cached dataset; a changed file on --resume is refused (exit 1).
 5. The model saved in HF layout loads in `jenny generate --chat` and answers (exit 0, text).
 6. Files with errors are refused before training, exit 2, with the line-numbered report
    (unknown role, bad JSON, empty content, no assistant, too long for batch.seq_len).
 7. Continued training from the command line: InternLM2 (saved with its packed wqkv) and
    Mistral's sliding window (seq_len above it refused with exit 2, at or below it trains).
Needs JENNY_BIN and JENNY_SHARED_DATA. --quick: fewer examples and steps (the fast variant).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--quick", action="store_true")
args = ap.parse_args()
BIN = os.environ["JENNY_BIN"]
DATA = os.environ["JENNY_SHARED_DATA"]
QWEN = os.path.join(DATA, "tokenizers", "hf-qwen2_5")
N_EX = 48 if args.quick else 160
STEPS = 16 if args.quick else 60
SEQ = 512
fails = 0


def check(what, ok, detail=""):
    global fails
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else "  " + str(detail)[:2000]))
    if not ok:
        fails += 1


def jenny(*argv, timeout=600):
    r = subprocess.run([BIN, *argv], capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


tmp = tempfile.mkdtemp(prefix="sft_train_")
try:
    # 1. The chat file and the tiny model.
    rows = [json.loads(l) for l, _ in zip(open(os.path.join(DATA, "gsm8k", "test.jsonl")), range(N_EX))]
    chat = os.path.join(tmp, "gsm8k_test_as_chat.jsonl")
    examples = []
    with open(chat, "w") as f:
        for i, r in enumerate(rows):
            if i % 5 == 4:  # some prompt/completion lines too
                f.write(json.dumps({"prompt": r["question"], "completion": r["answer"]}) + "\n")
            else:
                msgs = [{"role": "user", "content": r["question"]},
                        {"role": "assistant", "content": r["answer"]}]
                f.write(json.dumps({"messages": msgs}) + "\n")
            examples.append((r["question"], r["answer"]))

    from safetensors.numpy import save_file
    from tokenizers import Tokenizer
    from transformers import Qwen2Config

    cfg = Qwen2Config(vocab_size=151936, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                      tie_word_embeddings=True, rope_theta=1000000.0, rms_norm_eps=1e-6,
                      bos_token_id=151643, eos_token_id=151645)
    model_dir = os.path.join(tmp, "tiny-qwen2")
    cfg.save_pretrained(model_dir)
    # transformers' initialisation, in numpy (no torch needed): linear and embedding weights
    # N(0, initializer_range), biases 0, norm weights 1; tied, so no lm_head.
    rng = np.random.default_rng(0)
    C, F, D = cfg.hidden_size, cfg.intermediate_size, cfg.hidden_size // cfg.num_attention_heads
    KV = cfg.num_key_value_heads * D
    normal = lambda *shape: (rng.standard_normal(shape) * cfg.initializer_range).astype(np.float32)
    w = {"model.embed_tokens.weight": normal(cfg.vocab_size, C),
         "model.norm.weight": np.ones(C, np.float32)}
    for l in range(cfg.num_hidden_layers):
        p = f"model.layers.{l}."
        w.update({p + "self_attn.q_proj.weight": normal(C, C), p + "self_attn.q_proj.bias": np.zeros(C, np.float32),
                  p + "self_attn.k_proj.weight": normal(KV, C), p + "self_attn.k_proj.bias": np.zeros(KV, np.float32),
                  p + "self_attn.v_proj.weight": normal(KV, C), p + "self_attn.v_proj.bias": np.zeros(KV, np.float32),
                  p + "self_attn.o_proj.weight": normal(C, C),
                  p + "mlp.gate_proj.weight": normal(F, C), p + "mlp.up_proj.weight": normal(F, C),
                  p + "mlp.down_proj.weight": normal(C, F),
                  p + "input_layernorm.weight": np.ones(C, np.float32),
                  p + "post_attention_layernorm.weight": np.ones(C, np.float32)})
    save_file(w, os.path.join(model_dir, "model.safetensors"), metadata={"format": "pt"})
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(QWEN, name), model_dir)

    out = os.path.join(tmp, "run")
    config = os.path.join(tmp, "sft.yaml")
    with open(config, "w") as f:
        f.write(f"""model:
  init_from: {model_dir}
data:
  train:
    - path: {chat}
      format: sft
  val_fraction: 0.1
batch:
  micro_batch: 2
  seq_len: {SEQ}
optim:
  lr_max: 0.01
  lr_min: 0.001
  weight_decay: 0.0
schedule:
  kind: cosine
  warmup_steps: 2
  total_steps: {STEPS}
eval:
  every: {STEPS // 2}
  batches: 2
checkpoint:
  every_steps: 0
threads: 2
out_dir: {out}
log_every: 10
""")

    # 4a. Half the steps, then --resume (the cached dataset is reused).
    rc, log = jenny("train", config, "--max-steps", str(STEPS // 2))
    check("jenny train on SFT JSONL runs (first half)", rc == 0, log)
    check("the SFT file is packed into windows", "packed into" in log and "windows of 512" in log, log)
    check("attention reset is on for SFT", "attention reset" in log, log)
    rc, log2 = jenny("train", config, "--resume")
    check("--resume finishes the run", rc == 0, log2)
    check("--resume reuses the cached SFT dataset", "reuses" in log2 and "packed into" not in log2, log2)

    # 2. The packed masked dataset.
    prefix = os.path.join(out, "sft", "train0")
    meta = json.load(open(prefix + ".meta.json"))
    dt = np.uint32 if meta["token_dtype"] == "uint32" else np.uint16
    toks = np.fromfile(prefix + ".bin", dtype=dt).astype(np.int64)
    mask = np.fromfile(prefix + ".mask", dtype=np.uint8)
    offs = np.fromfile(prefix + ".idx", dtype=np.uint64, offset=16).astype(np.int64)
    check("dataset sizes agree", len(toks) == len(mask) == offs[-1] == meta["n_tokens"])
    n_windows = (len(toks) - 1) // SEQ
    starts = set(offs[:-1].tolist())
    check("every window starts a document", all(w * SEQ in starts for w in range(n_windows)))
    crossing = [d for d in range(len(offs) - 1)
                if offs[d] // SEQ != (offs[d + 1] - 1) // SEQ and offs[d + 1] > offs[d] and offs[d + 1] - offs[d] > 1]
    check("no document crosses a window boundary", not crossing, crossing[:5])
    tok = Tokenizer.from_file(os.path.join(QWEN, "tokenizer.json"))
    im_end = tok.token_to_id("<|im_end|>")
    pad_id = None
    found = {}
    bad_mask = []
    for d in range(len(offs) - 1):
        a, b = offs[d], offs[d + 1]
        ids, m = toks[a:b].tolist(), mask[a:b]
        text = tok.decode(ids, skip_special_tokens=False)
        if "<|im_start|>" not in text:  # padding
            pad_id = ids[0]
            if m.any() or len(set(ids)) != 1:
                bad_mask.append(("pad", d))
            continue
        # The masked spans, decoded span by span.
        spans, cur = [], []
        for t, k in zip(ids, m):
            if k:
                cur.append(t)
            elif cur:
                spans.append(cur)
                cur = []
        if cur:
            spans.append(cur)
        hit = [i for i, (q, _) in enumerate(examples) if q in text]
        if len(hit) != 1:
            bad_mask.append(("which example?", d, text[:200]))
            continue
        q, ans = examples[hit[0]]
        got = [tok.decode(s, skip_special_tokens=False) for s in spans]
        if got != [ans + "<|im_end|>"]:
            bad_mask.append((d, got, ans))
        found[hit[0]] = True
    check(f"masked tokens == assistant content + <|im_end|> for all {len(found)} examples",
          not bad_mask and len(found) == len(examples), bad_mask[:3])
    check("padding is the tokenizer's pad/eos token", pad_id in (151643, 151645, None), pad_id)

    # 3. Loss falls.
    lines = [json.loads(l) for l in open(os.path.join(out, "metrics.jsonl"))]
    losses = [l["loss"] for l in lines]
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    print(f"train loss: first 5 steps {first:.4f}, last 5 steps {last:.4f} ({len(losses)} steps)")
    check("train loss falls", len(losses) == STEPS and last < 0.85 * first, (first, last))
    vals = [l["val_loss"] for l in lines if "val_loss" in l]
    check("val loss reported", len(vals) >= 1, vals)
    print("val loss:", vals)

    # 5. The saved model answers with --chat.
    rc, gen = jenny("generate", "-m", os.path.join(out, "model"), "--chat", "-p", examples[0][0],
                    "-n", "16", "--temperature", "0")
    check("jenny generate --chat loads the trained model and answers", rc == 0 and len(gen.strip()) > 0, gen)
    print(gen.strip()[:300])

    # 4b. A changed file on --resume is refused.
    with open(chat, "a") as f:
        f.write(json.dumps({"prompt": "one more", "completion": "line"}) + "\n")
    rc, log3 = jenny("train", config, "--resume")
    check("a changed SFT file on --resume is refused (exit 1)",
          rc == 1 and "changed since this run started" in log3, (rc, log3))

    # 6. Files with errors: refused before training with the report.
    bad = os.path.join(tmp, "bad.jsonl")
    good = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]})
    with open(bad, "w") as f:
        f.write(good + "\n")
        f.write(json.dumps({"messages": [{"role": "bot", "content": "x"}, {"role": "assistant", "content": "y"}]}) + "\n")
        f.write("not json\n")
        f.write(json.dumps({"messages": [{"role": "user", "content": "  "}, {"role": "assistant", "content": "y"}]}) + "\n")
        f.write(json.dumps({"messages": [{"role": "user", "content": "only a question"}]}) + "\n")
        f.write(json.dumps({"prompt": "long " * 700, "completion": "answer"}) + "\n")
    bad_out = os.path.join(tmp, "bad_run")
    rc, log4 = jenny("train", config, "--set", f"data.train=[{{path: {bad}, format: sft}}]",
                     "--set", f"out_dir={bad_out}")
    check("a file with errors is refused with exit 2", rc == 2, (rc, log4))
    for needle in (f"{bad}:2: error [unknown_role]", f"{bad}:3: error [bad_json]",
                   f"{bad}:4: error [empty_content]", f"{bad}:5: error [no_assistant]",
                   f"{bad}:6: error [too_long]", "batch.seq_len", "training refuses"):
        check(f"the report says {needle!r}", needle in log4, log4)
    check("nothing was trained", not os.path.exists(os.path.join(bad_out, "metrics.jsonl")))

    # 6b. data.last_turn_only: two-turn chats train fewer tokens (checked on --dry-run's report).
    two = os.path.join(tmp, "two_turns.jsonl")
    with open(two, "w") as f:
        for i in range(0, 8, 2):
            (q1, a1), (q2, a2) = examples[i], examples[i + 1]
            f.write(json.dumps({"messages": [{"role": "user", "content": q1}, {"role": "assistant", "content": a1},
                                             {"role": "user", "content": q2}, {"role": "assistant", "content": a2}]}) + "\n")
    trained = {}
    for last in ("false", "true"):
        rc, log8 = jenny("train", config, "--dry-run", "--set", f"data.train=[{{path: {two}, format: sft}}]",
                         "--set", f"data.last_turn_only={last}", "--set", f"out_dir={tmp}/two_{last}")
        import re
        m = re.search(r"tokens \((\d+) trained\)", log8)
        trained[last] = int(m.group(1)) if (rc == 0 and m) else None
    want = sum(len(tok.encode(examples[i][1] + "<|im_end|>", add_special_tokens=False).ids) for i in range(1, 8, 2))
    check("last_turn_only trains only the last assistant turn",
          trained["true"] is not None and abs(trained["true"] - want) <= 4 and
          trained["false"] is not None and trained["false"] > trained["true"] + want // 2,
          (trained, want))

    # 7. Continued training of the other architectures from the command line (synthetic tokens;
    #    the tiny fixtures have no tokenizer, so the llama2.c one is named): InternLM2 trains and
    #    is saved with its packed wqkv; Mistral with seq_len > sliding_window is refused (exit 2).
    from safetensors import safe_open
    tiny = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "model", "tiny")
    llama2c_tok = os.path.join(DATA, "tokenizers", "llama2c", "tokenizer.model")
    ct = os.path.join(tmp, "ct.yaml")
    with open(ct, "w") as f:
        f.write(f"""model: {{init_from: {tiny}/internlm2, tokenizer: {llama2c_tok}}}
data: {{synthetic: true}}
batch: {{micro_batch: 2, seq_len: 16}}
schedule: {{total_steps: 3}}
eval: {{every: 0, batches: 1}}
checkpoint: {{every_steps: 0}}
threads: 2
out_dir: {tmp}/ct_internlm2
""")
    rc, log5 = jenny("train", ct)
    check("InternLM2 continued training runs", rc == 0, log5)
    saved = os.path.join(tmp, "ct_internlm2", "model")
    if rc == 0:
        cfg_saved = json.load(open(os.path.join(saved, "config.json")))
        with safe_open(os.path.join(saved, "model.safetensors"), "np") as st:
            names = set(st.keys())
        check("InternLM2 saved in its own layout (model_type, packed wqkv)",
              cfg_saved.get("model_type") == "internlm2" and
              "model.layers.0.attention.wqkv.weight" in names and
              not any("q_proj" in n for n in names), (cfg_saved.get("model_type"), sorted(names)[:6]))
    sw = os.path.join(tmp, "mistral_sw")
    shutil.copytree(os.path.join(tiny, "mistral"), sw)
    c = json.load(open(os.path.join(sw, "config.json")))
    c["sliding_window"] = 8
    json.dump(c, open(os.path.join(sw, "config.json"), "w"))
    rc, log6 = jenny("train", ct, "--set", f"model.init_from={sw}", "--set", f"out_dir={tmp}/ct_sw")
    check("Mistral seq_len > sliding_window is refused (exit 2)",
          rc == 2 and "set batch.seq_len <= 8" in log6, (rc, log6[-500:]))
    rc, log7 = jenny("train", ct, "--set", f"model.init_from={sw}", "--set", f"out_dir={tmp}/ct_sw",
                     "--set", "batch.seq_len=8")
    check("Mistral with seq_len <= sliding_window trains", rc == 0, log7[-500:])
finally:
    shutil.rmtree(tmp, ignore_errors=True)

if fails:
    print(f"{fails} check(s) failed")
    sys.exit(1)
print("all SFT training checks passed")
