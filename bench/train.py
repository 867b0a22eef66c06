#!/usr/bin/env python3
"""Scenario benchmark: jenny's training speed (tokens/s, MFU) against PyTorch's, side by side.

Model (the issue's): LLaMA, L 6, C 384, H 6 (kv heads 6), head dim 64, FFN 1024 (SwiGLU),
V 50304, untied lm_head, RMSNorm, RoPE theta 1e4; fp32; B 8, T 256 random tokens; AdamW
(lr 3e-4, betas 0.9/0.95, eps 1e-8, weight decay 0.1), gradient clipping at 1.0; 2 threads.
About 49.3 M parameters (19.3 M of them the embedding, 19.3 M the lm_head).

Engines, each run in its own subprocess, interleaved in rounds (pytorch, pytorch-compile,
pytorch-debian, jenny, pytorch, ... for --rounds rounds):
  pytorch           the project venv's PyTorch (newest from PyPI), eager, a hand-written LLaMA
                    (below: the same code runs on every torch version), attention through
                    F.scaled_dot_product_attention (causal) where torch has it
  pytorch-compile   the same model under torch.compile (inductor, CPU); reported
                    "unavailable: <reason>" when compiling or its first step fails. Its first
                    step (the compile) is reported as compile_s, not timed.
  pytorch-debian    Debian's python3-torch (1.13) via /usr/bin/python3, when `import torch`
                    works there (the script never installs it); manual causal attention
  jenny             BUILD/bin/jenny train CFG with a generated config.yaml (same model, synthetic
                    random tokens, constant lr); tokens/s read from OUT/metrics.jsonl
                    ("tokens_per_s" per step); "unavailable (<error>)" when the command fails
  jenny-mpi         data-parallel scaling: `mpirun -np 2 jenny train` with threads / 2 threads
                    per rank and micro_batch B / 2 per rank (the same global batch of B
                    samples; ZeRO-1); its "scaling" is its tokens/s over jenny's (goal >= 0.9).
                    Unavailable without mpirun or a jenny built with MPI
Each PyTorch worker runs --warmup steps (not timed) and then --steps timed steps (one step:
forward, cross-entropy, backward, clip, AdamW step, zero_grad); jenny runs warmup + steps
steps and the first 2 are dropped. An engine's tokens/s is the median over every timed step
of every round.

MFU = tokens/s * flops_per_token / (peak GFLOP/s of `threads` threads * 1e9), with the formula
jenny itself reports MFU with (TrainModel::flops_per_token, train_model.h):
  flops_per_token = 6 * N + 12 * L * T * (H * D)
  N = the matmul weights = every 2-D parameter but the embedding (the untied lm_head counted) =
      L * (2 C (H * D) + 2 C (Hkv * D) + 3 C F) + V C
(the attention term counts the full T x T score and value matmuls, as PaLM and llm.c do; norm
weights are not matmuls and are left out), and the peak measured by BUILD/bench/fma_peak
--threads `threads` (independent AVX2 FMA chains) at the start and the end of the run (the
larger is used). jenny's own per-step MFU (metrics.jsonl "mfu": the same FLOPs over a peak
it measures once at start-up, flops_peak_estimate) is reported next to it as jenny_mfu.

Usage:
  bench/train.py [BUILD] [--rounds 3] [--steps 4] [--warmup 2] [--threads 2]
                 [--engines pytorch,pytorch-compile,pytorch-debian,jenny] [--out FILE]
Prints a markdown table and writes JSON to BUILD/bench-results/train.json (or --out).
"""
import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MODEL = dict(vocab_size=50304, hidden_size=384, intermediate_size=1024, num_hidden_layers=6,
             num_attention_heads=6, num_key_value_heads=6, max_position_embeddings=256,
             rope_theta=10000.0, rms_norm_eps=1e-5)
B, T = 8, 256
OPTIM = dict(lr=3e-4, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, clip=1.0)
ENGINES = ["pytorch", "pytorch-compile", "pytorch-debian", "jenny", "jenny-mpi"]
VENV_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       ".venv", "bin", "python")
DEBIAN_PY = "/usr/bin/python3"
JENNY_SKIP = 2  # jenny: steps dropped before the median


def n_params_counted(m=MODEL):
    """N of the MFU formula: the matmul weights (every 2-D parameter but the embedding; the
    untied lm_head counts), as TrainModel::flops_per_token counts them."""
    c, f, v, L = m["hidden_size"], m["intermediate_size"], m["vocab_size"], m["num_hidden_layers"]
    d = c // m["num_attention_heads"]
    qd, kv = m["num_attention_heads"] * d, m["num_key_value_heads"] * d
    return L * (2 * c * qd + 2 * c * kv + 3 * c * f) + v * c


def n_params_total(m=MODEL):
    """Every parameter: the matmul weights, the embedding and the norm weights (2 per layer +
    the final one)."""
    c = m["hidden_size"]
    return n_params_counted(m) + m["vocab_size"] * c + (2 * m["num_hidden_layers"] + 1) * c


def flops_per_token(m=MODEL, t=T):
    qd = m["num_attention_heads"] * (m["hidden_size"] // m["num_attention_heads"])
    return 6 * n_params_counted(m) + 12 * m["num_hidden_layers"] * t * qd


FLOPS_FORMULA = ("6*N + 12*L*T*(H*D), N = L*(2C*H*D + 2C*Hkv*D + 3CF) + V*C (the matmul "
                 "weights: all 2-D parameters but the embedding; untied lm_head counted) - "
                 "jenny's TrainModel::flops_per_token")


# ---------------------------------------------------------------------------------------------
# PyTorch worker (subprocess; runs under the venv's python or Debian's /usr/bin/python3, so it
# imports nothing but torch and the standard library)

def torch_worker(spec):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(spec["threads"])
    torch.manual_seed(1234)
    m = MODEL
    c, h, hkv = m["hidden_size"], m["num_attention_heads"], m["num_key_value_heads"]
    d, ffn, eps = c // h, m["intermediate_size"], m["rms_norm_eps"]
    has_sdpa = hasattr(F, "scaled_dot_product_attention")

    class RMSNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(c))

        def forward(self, x):  # (B, T, C)
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.weight

    def rotate_half(x):
        return torch.cat((-x[..., d // 2:], x[..., :d // 2]), dim=-1)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layernorm = RMSNorm()
            self.q_proj = nn.Linear(c, h * d, bias=False)
            self.k_proj = nn.Linear(c, hkv * d, bias=False)
            self.v_proj = nn.Linear(c, hkv * d, bias=False)
            self.o_proj = nn.Linear(h * d, c, bias=False)
            self.post_attention_layernorm = RMSNorm()
            self.gate_proj = nn.Linear(c, ffn, bias=False)
            self.up_proj = nn.Linear(c, ffn, bias=False)
            self.down_proj = nn.Linear(ffn, c, bias=False)

        def forward(self, x, cos, sin, mask):  # x (B, T, C); cos, sin (T, D)
            b, t, _ = x.shape
            hn = self.input_layernorm(x)
            q = self.q_proj(hn).view(b, t, h, d).transpose(1, 2)      # (B, H, T, D)
            k = self.k_proj(hn).view(b, t, hkv, d).transpose(1, 2)    # (B, Hkv, T, D)
            v = self.v_proj(hn).view(b, t, hkv, d).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if hkv != h:
                k = k.repeat_interleave(h // hkv, dim=1)
                v = v.repeat_interleave(h // hkv, dim=1)
            if has_sdpa:
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d)) + mask  # (B, H, T, T)
                y = att.softmax(-1) @ v
            x = x + self.o_proj(y.transpose(1, 2).reshape(b, t, h * d))
            hn = self.post_attention_layernorm(x)
            return x + self.down_proj(F.silu(self.gate_proj(hn)) * self.up_proj(hn))

    class Llama(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_tokens = nn.Embedding(m["vocab_size"], c)
            self.layers = nn.ModuleList([Block() for _ in range(m["num_hidden_layers"])])
            self.norm = RMSNorm()
            self.lm_head = nn.Linear(c, m["vocab_size"], bias=False)
            for p in self.parameters():
                if p.dim() == 2:
                    nn.init.normal_(p, std=0.02)
            inv_freq = 1.0 / (m["rope_theta"] ** (torch.arange(0, d, 2).float() / d))
            ang = torch.outer(torch.arange(T).float(), inv_freq)
            ang = torch.cat((ang, ang), dim=-1)                           # (T, D)
            self.register_buffer("cos", ang.cos(), persistent=False)
            self.register_buffer("sin", ang.sin(), persistent=False)
            self.register_buffer("mask", torch.full((T, T), float("-inf")).triu(1),
                                 persistent=False)

        def forward(self, idx):  # (B, T) -> logits (B, T, V)
            x = self.embed_tokens(idx)
            for layer in self.layers:
                x = layer(x, self.cos, self.sin, self.mask)
            return self.lm_head(self.norm(x))

    model = Llama()
    n_total = sum(p.numel() for p in model.parameters())
    assert n_total == n_params_total(), (n_total, n_params_total())
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": OPTIM["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=OPTIM["lr"],
                            betas=(OPTIM["beta1"], OPTIM["beta2"]), eps=OPTIM["eps"])

    def step_fn(model_fn, idx, tgt):
        logits = model_fn(idx)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), tgt.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), OPTIM["clip"])
        opt.step()
        opt.zero_grad(set_to_none=True)
        return float(loss)

    out = {"torch": torch.__version__, "threads": torch.get_num_threads(),
           "attention": "sdpa causal" if has_sdpa else "manual masked softmax",
           "n_params": n_total, "compile": spec["compile"]}
    model_fn = model
    if spec["compile"]:
        try:
            model_fn = torch.compile(model)
        except Exception as e:  # noqa: BLE001 - any failure means "unavailable"
            print(json.dumps({"error": f"torch.compile: {type(e).__name__}: {e}"[:500]}))
            return
    gen = torch.Generator().manual_seed(5678)

    def batch():
        tok = torch.randint(0, m["vocab_size"], (B, T + 1), generator=gen)
        return tok[:, :T].contiguous(), tok[:, 1:].contiguous()

    losses, warm_s, step_s = [], [], []
    for i in range(spec["warmup"] + spec["steps"]):
        idx, tgt = batch()
        t0 = time.perf_counter()
        try:
            losses.append(step_fn(model_fn, idx, tgt))
        except Exception as e:  # noqa: BLE001
            if spec["compile"] and i == 0:
                print(json.dumps({"error": f"{type(e).__name__}: {e}"[:500]}))
                return
            raise
        dt = time.perf_counter() - t0
        (warm_s if i < spec["warmup"] else step_s).append(dt)
    out.update({"warmup_s": warm_s, "step_s": step_s,
                "tokens_per_s": [B * T / s for s in step_s],
                "loss_first": losses[0], "loss_last": losses[-1]})
    if spec["compile"]:
        out["compile_s"] = warm_s[0] if warm_s else None
    print(json.dumps(out))


# ---------------------------------------------------------------------------------------------
# driver

def tail(text, n=300):
    text = (text or "").strip()
    lines = [l for l in text.splitlines() if l.strip()]
    return (lines[-1] if lines else "no output")[:n]


def run_torch(python, spec, timeout):
    """One PyTorch worker run: its result dict, or {"error": ...}."""
    cmd = [python, os.path.abspath(__file__), "--torch-worker", json.dumps(spec)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    except OSError as e:
        return {"error": str(e)}
    last = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not last:
        return {"error": f"exit {p.returncode}: {tail(p.stderr or p.stdout)}"}
    return json.loads(last[-1])


def jenny_config(out_dir, threads, total_steps, micro_batch=B):
    m = MODEL
    model = ", ".join(f"{k}: {m[k]}" for k in (
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
        "num_attention_heads", "num_key_value_heads", "max_position_embeddings"))
    return (f"model: {{{model}}}\n"
            "data: {synthetic: true}\n"
            f"batch: {{micro_batch: {micro_batch}, seq_len: {T}, grad_accum: 1}}\n"
            f"optim: {{lr_max: {OPTIM['lr']}, weight_decay: {OPTIM['weight_decay']}}}\n"
            f"schedule: {{kind: constant, warmup_steps: 0, total_steps: {total_steps}}}\n"
            "eval: {every: 0, batches: 0}\n"
            "checkpoint: {every_steps: 0}\n"
            f"threads: {threads}\n"
            f"out_dir: {out_dir}\n")


def run_jenny(build, threads, steps, timeout, ranks=1):
    exe = os.path.join(build, "bin", "jenny")
    if not os.access(exe, os.X_OK):
        return {"error": f"{exe} not built"}
    cmd, env = [exe], None
    if ranks > 1:
        mpirun = shutil.which("mpirun")
        if mpirun is None:
            return {"error": "no mpirun (apt-get install openmpi-bin)"}
        version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
        if "mpi=on" not in version:
            return {"error": f"{exe} built without MPI: {version.strip()}"}
        cmd = [mpirun, "-np", str(ranks), "--bind-to", "core"] + cmd
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_btl="self,vader", OMPI_MCA_btl_vader_single_copy_mechanism="none")
    with tempfile.TemporaryDirectory(prefix="jenny_bench_train_") as tmp:
        out_dir = os.path.join(tmp, "out")
        cfg = os.path.join(tmp, "config.yaml")
        with open(cfg, "w") as f:
            f.write(jenny_config(out_dir, max(1, threads // ranks), JENNY_SKIP + steps,
                                 micro_batch=B // ranks))
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd + ["train", cfg], capture_output=True, text=True,
                               timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout} s"}
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            return {"error": f"`jenny train` exit {p.returncode}: {tail(p.stderr or p.stdout)}"}
        metrics = os.path.join(out_dir, "metrics.jsonl")
        try:
            with open(metrics) as f:
                rows = [json.loads(l) for l in f if l.strip()]
        except (OSError, ValueError) as e:
            return {"error": f"no usable {metrics}: {e}"}
    rows.sort(key=lambda r: r.get("step", 0))
    timed = rows[JENNY_SKIP:]
    if not timed or any("tokens_per_s" not in r for r in timed):
        return {"error": f"metrics.jsonl has {len(rows)} steps, need > {JENNY_SKIP} with "
                         "tokens_per_s"}
    return {"tokens_per_s": [float(r["tokens_per_s"]) for r in timed],
            "jenny_mfu": [r.get("mfu") for r in timed], "wall_s": wall,
            "loss_first": rows[0].get("loss"), "loss_last": rows[-1].get("loss"),
            "steps": len(rows)}


def fma_peak(build, threads):
    exe = os.path.join(build, "bench", "fma_peak")
    if not os.access(exe, os.X_OK):
        return {"error": f"{exe} not built (ninja -C {build} fma_peak)"}
    p = subprocess.run([exe, "--threads", str(threads)], capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": f"fma_peak exit {p.returncode}: {tail(p.stderr)}"}
    return json.loads(p.stdout)


def loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--torch-worker":
        torch_worker(json.loads(sys.argv[2]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=4, help="timed steps per run")
    ap.add_argument("--warmup", type=int, default=2, help="untimed PyTorch steps per run")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per engine run")
    ap.add_argument("--out")
    args = ap.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    bad = [e for e in engines if e not in ENGINES]
    if bad:
        sys.exit(f"unknown engine(s) {bad}; choose from {ENGINES}")

    fpt = flops_per_token()
    peaks = [fma_peak(args.build, args.threads)]
    print(f"train: fma peak {json.dumps(peaks[0])}", flush=True)
    spec = {"threads": args.threads, "warmup": args.warmup, "steps": args.steps}
    runs = {e: [] for e in engines}
    unavailable = {}
    load_start = loadavg()
    if "pytorch-debian" in engines:
        p = subprocess.run([DEBIAN_PY, "-c", "import torch; print(torch.__version__)"],
                           capture_output=True, text=True) if os.path.exists(DEBIAN_PY) else None
        if p is None or p.returncode != 0:
            why = f"{DEBIAN_PY} missing" if p is None else tail(p.stderr)
            unavailable["pytorch-debian"] = f"{DEBIAN_PY} cannot import torch: {why}"
    for r in range(args.rounds):
        for e in engines:
            if e in unavailable:
                continue
            t0 = time.perf_counter()
            if e in ("jenny", "jenny-mpi"):
                res = run_jenny(args.build, args.threads, args.steps, args.timeout,
                                ranks=2 if e == "jenny-mpi" else 1)
            else:
                python = DEBIAN_PY if e == "pytorch-debian" else VENV_PY
                res = run_torch(python, dict(spec, compile=(e == "pytorch-compile")),
                                args.timeout)
            if "error" in res:
                unavailable[e] = res["error"]
                print(f"train: round {r + 1} {e}: unavailable ({res['error']})", flush=True)
                continue
            res["round"] = r + 1
            res["run_s"] = time.perf_counter() - t0
            runs[e].append(res)
            print(f"train: round {r + 1} {e}: median "
                  f"{statistics.median(res['tokens_per_s']):.0f} tok/s "
                  f"({', '.join(f'{x:.0f}' for x in res['tokens_per_s'])}; "
                  f"run {res['run_s']:.0f} s)", flush=True)
    peaks.append(fma_peak(args.build, args.threads))
    good = [p for p in peaks if "error" not in p]
    peak = max((p["gflops_nthreads"] for p in good), default=None)
    # On a loaded machine the threads of fma_peak may share cores (the n-thread figure then
    # equals the 1-thread one); threads x the 1-thread peak is what free cores would give.
    peak_free = max((p["gflops_1thread"] * args.threads for p in good), default=None)

    summary = {}
    for e in engines:
        rates = [x for res in runs[e] for x in res["tokens_per_s"]]
        if not rates:
            summary[e] = {"status": f"unavailable ({unavailable.get(e, 'not run')})"}
            continue
        med = statistics.median(rates)
        s = {"status": "ok", "tokens_per_s_median": med, "tokens_per_s_all": rates,
             "mfu": med * fpt / (peak * 1e9) if peak else None,
             "mfu_vs_free_cores": med * fpt / (peak_free * 1e9) if peak_free else None,
             "rounds": len(runs[e]), "runs": runs[e]}
        own = [x for res in runs[e] for x in res.get("jenny_mfu", []) if x is not None]
        if own:
            s["jenny_mfu_median"] = statistics.median(own)
        if e in unavailable:
            s["note"] = f"failed in a later round: {unavailable[e]}"
        summary[e] = s
    jt = summary.get("jenny", {}).get("tokens_per_s_median")
    for e in engines:
        if e not in ("jenny", "jenny-mpi") and jt and summary[e].get("tokens_per_s_median"):
            summary[e]["jenny_ratio"] = jt / summary[e]["tokens_per_s_median"]
    if jt and summary.get("jenny-mpi", {}).get("tokens_per_s_median"):
        # 2 ranks x threads/2 over 1 rank x threads, the same global batch (goal >= 0.9).
        summary["jenny-mpi"]["scaling"] = summary["jenny-mpi"]["tokens_per_s_median"] / jt

    result = {
        "scenario": "train", "model": MODEL, "batch": {"B": B, "T": T},
        "optim": OPTIM, "threads": args.threads, "rounds": args.rounds, "steps": args.steps,
        "warmup": args.warmup, "n_params": n_params_total(),
        "n_params_counted": n_params_counted(), "flops_per_token": fpt,
        "flops_formula": FLOPS_FORMULA,
        "mfu_formula": "tokens/s * flops_per_token / (fma_peak gflops_nthreads * 1e9)",
        "fma_peak": peaks, "peak_gflops": peak, "peak_free_cores_gflops": peak_free,
        "engines": summary,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_start": load_start, "load_end": loadavg()},
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    out = args.out or os.path.join(args.build, "bench-results", "train.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")

    print(json.dumps({e: {k: v for k, v in s.items() if k not in ("runs", "tokens_per_s_all")}
                      for e, s in summary.items()}, indent=1))
    print(f"\nflops/token = {FLOPS_FORMULA} = {fpt / 1e6:.1f} M; "
          f"peak {args.threads} threads = {peak if peak is not None else 'n/a'} GFLOP/s "
          f"({args.threads} x 1 thread = {peak_free if peak_free is not None else 'n/a'})")
    print("\n| engine | torch | tokens/s (median) | MFU | MFU vs threads x 1-thread peak "
          "| jenny / engine | note |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for e in engines:
        s = summary[e]
        if s["status"] != "ok":
            print(f"| {e} | | | | | | {s['status']} |")
            continue
        ver = s["runs"][0].get("torch", "")
        mfu = f"{100 * s['mfu']:.1f} %" if s["mfu"] is not None else "n/a"
        mfu_free = (f"{100 * s['mfu_vs_free_cores']:.1f} %"
                    if s["mfu_vs_free_cores"] is not None else "n/a")
        ratio = f"{s['jenny_ratio']:.2f}" if "jenny_ratio" in s else ""
        note = ""
        if e == "pytorch-compile":
            cs = [r.get("compile_s") for r in s["runs"] if r.get("compile_s")]
            note = f"first step (compile) {statistics.median(cs):.0f} s" if cs else ""
        if "jenny_mfu_median" in s:
            note = f"jenny's own MFU (its start-up peak): {100 * s['jenny_mfu_median']:.1f} %"
        if "scaling" in s:
            note += (f"; 2 ranks x {max(1, args.threads // 2)} thread(s) / 1 rank x "
                     f"{args.threads} threads = {s['scaling']:.2f}")
        print(f"| {e} | {ver} | {s['tokens_per_s_median']:.0f} | {mfu} | {mfu_free} | {ratio} "
              f"| {note} |")
    print(f"\nJSON: {out}")


if __name__ == "__main__":
    main()
