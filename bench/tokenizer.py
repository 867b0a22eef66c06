#!/usr/bin/env python3
"""bench/tokenizer: encode throughput of jenny vs Hugging Face `tokenizers` (Rust, via PyPI) on
the same >= 10 MB mixed corpus, one thread and all threads, interleaved in one run, ids
compared through a hash of every document's ids.

Usage: bench/tokenizer.py BUILD_DIR [--mb 10] [--rounds 3]
Prints a Markdown table (medians over rounds) and writes JSON to BUILD_DIR/bench-results/.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("JENNY_DATA", os.path.join(ROOT, "..", "shared", "data"))
TOKENIZERS = {"Llama-3": "hf-llama3", "Qwen2.5": "hf-qwen2_5", "InternLM2": "hf-internlm2"}


def fnv_ids(ids):
    h = 1469598103934665603
    for i in ids:
        h = ((h ^ (i & 0xFFFFFFFF)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def hf_run(path, docs, threads):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(path)
    start = time.perf_counter()
    if threads == 1:
        encs = [tok.encode(d, add_special_tokens=False) for d in docs]
    else:
        encs = tok.encode_batch(docs, add_special_tokens=False)
    secs = time.perf_counter() - start
    all_h = 1469598103934665603
    tokens = 0
    for e in encs:
        all_h = ((all_h ^ fnv_ids(e.ids)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
        tokens += len(e.ids)
    return secs, tokens, f"{all_h:016x}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--mb", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    out_dir = os.path.join(args.build, "bench-results")
    os.makedirs(out_dir, exist_ok=True)
    corpus = os.path.join(out_dir, "tokenizer_corpus.jsonl")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools/oracle/mixed_corpus.py"), corpus,
                    "--min-bytes", str(int(args.mb * 1e6)), "--seed", "99"], check=True)
    docs = [json.loads(l)["text"] for l in open(corpus, encoding="utf-8")]
    nbytes = sum(len(d.encode()) for d in docs)
    ncpu = os.cpu_count()
    rows = []
    for name, folder in TOKENIZERS.items():
        path = os.path.join(DATA, "tokenizers", folder, "tokenizer.json")
        jenny = {1: [], ncpu: []}
        hf = {1: [], ncpu: []}
        hashes = set()
        for _ in range(args.rounds):  # interleaved: jenny, HF, jenny, HF, ...
            r = subprocess.run([os.path.join(args.build, "bench", "tokenizer_bench"), path, corpus, "1"],
                               check=True, capture_output=True, text=True)
            res = json.loads(r.stdout)
            for run in res["runs"]:
                jenny.setdefault(run["threads"], []).append(run["seconds_median"])
                hashes.add(("jenny", run["ids_hash"]))
            for t in (1, ncpu):
                os.environ["RAYON_NUM_THREADS"] = str(t)
                secs, tokens, h = hf_run(path, docs, t)
                hf[t].append(secs)
                hashes.add(("hf", h))
        same = len({h for _, h in hashes}) == 1
        for t in (1, ncpu):
            js, hs = statistics.median(jenny[t]), statistics.median(hf[t])
            rows.append({"tokenizer": name, "threads": t, "jenny_mb_s": nbytes / 1e6 / js,
                         "hf_mb_s": nbytes / 1e6 / hs, "ratio": hs / js,
                         "jenny_tok_s": tokens / js, "hf_tok_s": tokens / hs, "ids_equal": same})
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        json.dump({"bytes": nbytes, "documents": len(docs), "rows": rows}, f, indent=1)
    print(f"corpus: {nbytes/1e6:.1f} MB, {len(docs)} documents; medians of {args.rounds} interleaved rounds")
    print("| tokenizer | threads | jenny MB/s | HF MB/s | jenny/HF | jenny Mtok/s | HF Mtok/s | ids equal |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['tokenizer']} | {r['threads']} | {r['jenny_mb_s']:.2f} | {r['hf_mb_s']:.2f} | "
              f"{r['ratio']:.2f}x | {r['jenny_tok_s']/1e6:.2f} | {r['hf_tok_s']/1e6:.2f} | {r['ids_equal']} |")


if __name__ == "__main__":
    main()
