#!/usr/bin/env python3
"""Oracle for jenny's perplexity: llama.cpp's perplexity of a GGUF over ~55k tokens of English
text, computed the way llama.cpp's llama-perplexity tool does (tools/perplexity/perplexity.cpp,
perplexity() without --ppl-stride), through llama-cpp-python.

The text ("fortunes recipe"): the files FILES of /usr/share/games/fortunes (Debian package
`fortunes`, which scripts/setup.sh installs), in that (sorted) order; each is read as UTF-8,
lines that are exactly "%" (the fortune separators) are dropped, the remaining lines joined
with "\\n", the files joined with "\\n"; the text is the first N_CHARS characters of that. Its
byte count and sha256 are in the fixture, so a changed package shows up as a text mismatch.

llama-perplexity's algorithm, replicated:
  tokens  = tokenize(text, add_bos = tokenizer.ggml.add_bos_token, special = False)
            (common_tokenize(ctx, text, true): BOS only when the vocabulary adds it)
  n_chunk = len(tokens) // n_ctx                      (n_ctx = 512; the tail is dropped)
  chunk i = tokens[i*n_ctx : (i+1)*n_ctx], its first token replaced by BOS when add_bos,
            evaluated from an empty KV cache at positions 0..n_ctx-1, one batch of n_ctx
  scored  = for j in [n_ctx/2, n_ctx-1): -log softmax(logits[j])[chunk[j+1]]
            (255 tokens per chunk; llama.cpp's first = n_ctx/2, count += n_ctx - first - 1)
  ppl     = exp(sum of scored NLL / count)
llama-perplexity evaluates n_batch/n_ctx chunks per decode as separate sequences; that is
the same computation up to float noise. KV cache: llama.cpp's default f16. SmolLM2's GGUF has
add_bos_token = false, so no BOS is inserted or substituted anywhere.

Fixture: {"model", "model_sha256", "text": {"source", "files", "n_chars", "bytes", "sha256"},
"add_bos", "n_ctx", "n_tokens", "n_chunks", "n_scored", "nll_mean", "ppl", "ppl_stderr"
(llama.cpp's +/- estimate), "chunk_ppl" (running ppl after each chunk, as llama-perplexity
prints it), "n_chunks_run" (= n_chunks), "llama_cpp_python", "settings", "seconds"}.

Usage:
  llama_cpp_perplexity.py --out FIXTURE.json [--model GGUF]
  llama_cpp_perplexity.py --check FIXTURE.json [--model GGUF] [--chunks N]
      exit 1 when the text or token count differs or ppl differs by more than 0.1%;
      with --chunks N only the first N chunks run and the running ppl after N is compared
Any GGUF works (--model); jenny's F16/Q8_0/Q4_0 exports get their own --out files.
"""
import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np

FORTUNES = "/usr/share/games/fortunes"
FILES = ["fortunes", "humorists", "literature", "people", "science", "wisdom"]
N_CHARS = 210000
N_CTX = 512
PPL_RTOL = 1e-3
SETTINGS = {"n_ctx": N_CTX, "n_batch": N_CTX, "n_ubatch": N_CTX, "n_threads": 2,
            "n_threads_batch": 2, "seed": 1234, "logits_all": True, "flash_attn": False}


from smollm2_common import default_model, sha256_file  # noqa: E402


def fortunes_text():
    parts = []
    for name in FILES:
        path = os.path.join(FORTUNES, name)
        if not os.path.isfile(path):
            raise SystemExit(f"llama_cpp_perplexity: {path} is missing (apt-get install fortunes)")
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f.read().split("\n") if line != "%"]
        parts.append("\n".join(lines))
    text = "\n".join(parts)
    if len(text) < N_CHARS:
        raise SystemExit(f"llama_cpp_perplexity: the fortunes give {len(text)} chars < {N_CHARS}")
    text = text[:N_CHARS]
    data = text.encode("utf-8")
    return text, {"source": FORTUNES, "files": FILES, "n_chars": N_CHARS, "bytes": len(data),
                  "sha256": hashlib.sha256(data).hexdigest(),
                  "recipe": "lines == '%' dropped, lines joined by \\n, files joined by \\n, "
                            "first n_chars characters"}


def versions():
    import llama_cpp
    out = {"llama_cpp_python": llama_cpp.__version__, "numpy": np.__version__,
           "system_info": llama_cpp.llama_print_system_info().decode().strip()}
    try:
        out["fortunes_deb"] = os.popen("dpkg-query -W -f='${Version}' fortunes 2>/dev/null").read()
    except OSError:
        pass
    return out


def nll_rows(logits, targets):
    """-log softmax(logits[r])[targets[r]] per row, in float64 (llama.cpp: float logits,
    double sum of expf)."""
    x = logits.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    lse = np.log(np.exp(x - m).sum(axis=1)) + m[:, 0]
    return lse - x[np.arange(len(targets)), targets]


def run(model, max_chunks=None):
    import llama_cpp
    text, recipe = fortunes_text()
    llm = llama_cpp.Llama(model_path=model, verbose=False, **SETTINGS)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    add_bos = bool(llama_cpp.llama_vocab_get_add_bos(vocab))
    bos = llama_cpp.llama_vocab_bos(vocab)
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=False)
    n_chunk_all = len(tokens) // N_CTX
    n_chunk = min(n_chunk_all, max_chunks or n_chunk_all)
    if n_chunk_all < 2:
        raise SystemExit(f"llama_cpp_perplexity: {len(tokens)} tokens < 2 * n_ctx")
    first = N_CTX // 2
    nll_sum, nll2_sum, count, chunk_ppl = 0.0, 0.0, 0, []
    t0 = time.time()
    for i in range(n_chunk):
        chunk = list(tokens[i * N_CTX:(i + 1) * N_CTX])
        if add_bos:
            chunk[0] = bos
        llm.reset()
        llm.eval(chunk)
        logits = llm.scores[first:N_CTX - 1]                 # (n_ctx/2 - 1, V)
        nll = nll_rows(logits, np.asarray(chunk[first + 1:N_CTX]))
        nll_sum += float(nll.sum())
        nll2_sum += float((nll * nll).sum())
        count += len(nll)
        chunk_ppl.append(round(float(np.exp(nll_sum / count)), 4))
        if (i + 1) % 10 == 0 or i + 1 == n_chunk:
            print(f"llama_cpp_perplexity: [{i + 1}/{n_chunk}] ppl {chunk_ppl[-1]:.4f} "
                  f"({time.time() - t0:.0f} s)", flush=True)
    seconds = time.time() - t0
    mean = nll_sum / count
    var = nll2_sum / count - mean * mean
    ppl = float(np.exp(mean))
    stderr = float(np.sqrt(var / (count - 1)) * ppl) if var > 0 else 0.0
    return {"model": os.path.basename(model), "model_sha256": sha256_file(model),
            "text": recipe, "add_bos": add_bos, "n_ctx": N_CTX, "n_tokens": len(tokens),
            "n_chunks": n_chunk_all, "n_chunks_run": n_chunk, "n_scored": count,
            "nll_mean": mean, "ppl": ppl, "ppl_stderr": stderr, "chunk_ppl": chunk_ppl,
            "llama_cpp_python": versions()["llama_cpp_python"], "settings": SETTINGS,
            "kv_cache_type": "f16 (llama.cpp default)", "seconds": round(seconds, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--chunks", type=int, default=None,
                    help="--check only: run the first N chunks and compare the running ppl "
                         "after N (chunk_ppl[N-1]); a quick check")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--out")
    group.add_argument("--check")
    args = ap.parse_args()
    model = args.model or default_model()
    if not os.path.isfile(model):
        raise SystemExit(f"llama_cpp_perplexity: no model at {model} (run scripts/setup.sh)")
    print("llama_cpp_perplexity: versions " + json.dumps(versions(), sort_keys=True))
    if args.out and args.chunks:
        raise SystemExit("llama_cpp_perplexity: --chunks is for --check only")
    got = run(model, args.chunks)
    print(f"llama_cpp_perplexity: {got['model']}: ppl {got['ppl']:.4f} +/- "
          f"{got['ppl_stderr']:.4f} over {got['n_scored']} tokens ({got['n_chunks_run']} of "
          f"{got['n_chunks']} chunks of {N_CTX}, {got['n_tokens']} tokens), {got['seconds']} s")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(got, f, indent=1)
            f.write("\n")
        print(f"llama_cpp_perplexity: -> {args.out}")
        return
    with open(args.check, encoding="utf-8") as f:
        want = json.load(f)
    bad = []
    if want["text"]["sha256"] != got["text"]["sha256"]:
        bad.append("the text differs (fortunes package changed?): sha256 "
                   f"{got['text']['sha256'][:12]} vs {want['text']['sha256'][:12]}")
    if want["model_sha256"] != got["model_sha256"]:
        bad.append("the model file differs from the fixture's")
    if (want["n_tokens"], want["n_chunks"]) != (got["n_tokens"], got["n_chunks"]):
        bad.append(f"tokens/chunks {got['n_tokens']}/{got['n_chunks']} vs "
                   f"{want['n_tokens']}/{want['n_chunks']}")
    n = got["n_chunks_run"]
    want_ppl = want["ppl"] if n == want["n_chunks"] else want["chunk_ppl"][n - 1]
    rel = abs(got["ppl"] - want_ppl) / want_ppl
    print(f"llama_cpp_perplexity: ppl after {n} chunks {got['ppl']:.4f} vs fixture "
          f"{want_ppl:.4f} (relative difference {rel:.2e}, limit {PPL_RTOL:.0e})")
    if rel > PPL_RTOL:
        bad.append(f"ppl {got['ppl']:.4f} vs {want_ppl:.4f}")
    if bad:
        print("llama_cpp_perplexity: MISMATCH with " + args.check + ": " + "; ".join(bad))
        sys.exit(1)
    print(f"llama_cpp_perplexity: agrees with {args.check}")


if __name__ == "__main__":
    main()
