#!/usr/bin/env python3
"""jenny perplexity against llama.cpp's (tests/fixtures/model/smollm2_perplexity.json, written by
tools/oracle/llama_cpp_perplexity.py): rebuilds the fixture's text with the same recipe (the
fortunes files), runs `jenny perplexity --json` on it with the fixture's n_ctx, and checks

  - the token count equals llama.cpp's (the tokenizers agree on the whole text),
  - |ppl_jenny / ppl_llama.cpp - 1| < --rtol (default 1%).

With --chunks N only the first N chunks run and the fixture's running ppl after N chunks is the
reference. Exit 0 when both hold, 1 otherwise, 77 (ctest's skip code) when the fixture, the
model or the fortunes files are missing.

Usage: perplexity_check.py --jenny BIN [--fixture F] [--model GGUF] [--chunks N] [--rtol R]
                           [--threads T]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "oracle"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jenny", required=True)
    ap.add_argument("--fixture",
                    default=os.path.join(ROOT, "tests/fixtures/model/smollm2_perplexity.json"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--chunks", type=int, default=0)
    ap.add_argument("--rtol", type=float, default=0.01)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    if not os.path.isfile(args.fixture):
        print(f"perplexity_check: no fixture {args.fixture} (run "
              "tools/oracle/llama_cpp_perplexity.py --out); skipping")
        return 77
    import llama_cpp_perplexity as oracle
    model = args.model or oracle.default_model()
    if not os.path.isfile(model):
        print(f"perplexity_check: no model at {model} (run scripts/setup.sh); skipping")
        return 77
    with open(args.fixture, encoding="utf-8") as f:
        want = json.load(f)
    try:
        text, recipe = oracle.fortunes_text()
    except SystemExit as e:
        print(f"perplexity_check: {e}; skipping")
        return 77
    if recipe["sha256"] != want["text"]["sha256"]:
        print("perplexity_check: the rebuilt text differs from the fixture's (fortunes package "
              "changed?)")
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fortunes.txt")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        argv = [args.jenny, "perplexity", "--model", model, "--file", path, "--ctx",
                str(want["n_ctx"]), "--threads", str(args.threads), "--json"]
        if args.chunks:
            argv += ["--chunks", str(args.chunks)]
        print("perplexity_check: " + " ".join(argv), flush=True)
        r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr[-3000:])
        print(f"perplexity_check: jenny exited {r.returncode}")
        return 1
    got = json.loads(r.stdout)
    n = got["n_chunks"]
    ref = want["ppl"] if n == want["n_chunks"] else want["chunk_ppl"][n - 1]
    rel = got["ppl"] / ref - 1
    print(f"perplexity_check: {os.path.basename(model)}, {n} chunks of {got['n_ctx']}: jenny ppl "
          f"{got['ppl']:.4f} +/- {got['ppl_stderr']:.4f} ({got['seconds']:.0f} s, "
          f"{got['tokens_per_second']:.0f} tok/s), llama.cpp {ref:.4f}; jenny/llama.cpp - 1 = "
          f"{rel:+.3%} (limit {args.rtol:.1%}); tokens {got['n_tokens']} vs {want['n_tokens']}")
    ok = True
    if got["n_tokens"] != want["n_tokens"]:
        print("perplexity_check: FAIL: token counts differ")
        ok = False
    if abs(rel) >= args.rtol:
        print("perplexity_check: FAIL: perplexity differs by more than the limit")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
