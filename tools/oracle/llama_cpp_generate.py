#!/usr/bin/env python3
"""Oracle for jenny's generation on a real model: llama.cpp (through llama-cpp-python) decodes
SmolLM2-135M-Instruct's Q4_1 GGUF greedily and this writes (or checks) a JSON fixture.

Settings: Llama(n_ctx=1024, n_batch=512, n_threads=2, seed=1234, logits_all=False,
flash_attn=False; KV cache in llama.cpp's default type, f16). For each prompt the prompt ids
are evaluated as one batch, then one token at a time; each new token is the argmax of the last
position's logits (llama_get_logits_ith(ctx, -1); ties -> lowest id, as llama.cpp's greedy
sampler), i.e. temperature 0 / top_k 1 without any sampler in between. Generation stops after
MAX_NEW tokens or right after an end-of-generation token (llama_vocab_is_eog), which is kept
as the last generated id.

Prompts: plain text ones are tokenized with llama.cpp as the GGUF says
(tokenizer.ggml.add_bos_token = false for SmolLM2, so no BOS; special=False). Chat ones are
rendered with the GGUF's own chat template (tokenizer.chat_template, by jinja2, with
add_generation_prompt=True; SmolLM2's template adds its default system message) and
tokenized with special=True so <|im_start|>/<|im_end|> become single ids.

Fixture: {"model", "model_sha256", "llama_cpp_python", "settings", "max_new_tokens",
"add_bos", "margin_eps", "cases": [{"name", "kind": "text"|"chat", "text" (the exact string
tokenized), "prompt_ids", "generated_ids", "generated_text", "stopped": "eog"|"length",
"margins": top-1 minus top-2 logit at each generated step}, ...]}.

Float noise: llama.cpp's logits are not bit-identical across CPUs/thread counts, so a
difference at step i is tolerated when the committed margin at step i is below margin_eps
(a near tie); everything after the first tolerated difference of a case is not compared.
A consumer (jenny's test) should apply the same rule.

Usage:
  llama_cpp_generate.py --out FIXTURE.json [--model GGUF]
  llama_cpp_generate.py --check FIXTURE.json [--model GGUF]   exit 1 when llama.cpp disagrees
"""
import argparse
import json
import os
import sys

import numpy as np

MAX_NEW = 48
MARGIN_EPS = 0.05
SETTINGS = {"n_ctx": 1024, "n_batch": 512, "n_threads": 2, "n_threads_batch": 2, "seed": 1234,
            "logits_all": False, "flash_attn": False}

TEXT_PROMPTS = [
    ("capital", "The capital of France is"),
    ("code", 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n'),
    ("story", "Once upon a time, in a small village by the sea, there lived"),
    ("numbers", "1, 2, 3, 5, 8, 13,"),
    ("science", "Photosynthesis is the process by which"),
    ("qa", "Q: What is the boiling point of water at sea level?\nA:"),
    ("single_word", "Hello"),
]
CHAT_PROMPTS = [
    ("chat_japan", "What is the capital of Japan?"),
    ("chat_haiku", "Write a haiku about autumn leaves."),
    ("chat_recursion", "Explain recursion to a five year old in two sentences."),
]


from smollm2_common import default_model, sha256_file  # noqa: E402


def gguf_meta(model):
    import gguf
    reader = gguf.GGUFReader(model)

    def get(key, default=None):
        field = reader.fields.get(key)
        return default if field is None else field.contents()
    return {"add_bos": bool(get("tokenizer.ggml.add_bos_token", True)),
            "chat_template": get("tokenizer.chat_template"),
            "bos": get("tokenizer.ggml.bos_token_id"), "eos": get("tokenizer.ggml.eos_token_id")}


def render_chat(template, user, tokens):
    import jinja2
    env = jinja2.Environment(trim_blocks=False, lstrip_blocks=False)
    return env.from_string(template).render(
        messages=[{"role": "user", "content": user}], add_generation_prompt=True,
        bos_token=tokens["bos"], eos_token=tokens["eos"])


def versions():
    import importlib.metadata
    import llama_cpp
    return {"llama_cpp_python": llama_cpp.__version__,
            "gguf": importlib.metadata.version("gguf"), "numpy": np.__version__,
            "jinja2": importlib.metadata.version("jinja2"),
            "system_info": llama_cpp.llama_print_system_info().decode().strip()}


def last_logits(llm):
    import llama_cpp
    ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)).copy()


def greedy(llm, prompt_ids, vocab):
    import llama_cpp
    llm.reset()
    llm.eval(prompt_ids)
    generated, margins, stopped = [], [], "length"
    for _ in range(MAX_NEW):
        logits = last_logits(llm)
        token = int(np.argmax(logits))
        second = float(np.max(np.delete(logits, token)))
        margins.append(round(float(logits[token]) - second, 4))
        generated.append(token)
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            stopped = "eog"
            break
        llm.eval([token])
    return generated, margins, stopped


def build(model):
    import llama_cpp
    meta = gguf_meta(model)
    llm = llama_cpp.Llama(model_path=model, verbose=False, **SETTINGS)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    tokens = {"bos": llm.detokenize([meta["bos"]], special=True).decode(),
              "eos": llm.detokenize([meta["eos"]], special=True).decode()}
    cases = []
    for name, text in TEXT_PROMPTS:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=meta["add_bos"], special=False)
        cases.append({"name": name, "kind": "text", "text": text, "prompt_ids": ids})
    for name, user in CHAT_PROMPTS:
        text = render_chat(meta["chat_template"], user, tokens)
        ids = llm.tokenize(text.encode("utf-8"), add_bos=meta["add_bos"], special=True)
        cases.append({"name": name, "kind": "chat", "user": user, "text": text,
                      "prompt_ids": ids})
    for case in cases:
        gen, margins, stopped = greedy(llm, case["prompt_ids"], vocab)
        case.update({"generated_ids": gen, "stopped": stopped, "margins": margins,
                     "generated_text": llm.detokenize(gen, special=True).decode(
                         "utf-8", errors="replace")})
    v = versions()
    return {"model": os.path.basename(model), "model_sha256": sha256_file(model),
            "llama_cpp_python": v["llama_cpp_python"], "settings": SETTINGS,
            "kv_cache_type": "f16 (llama.cpp default)", "max_new_tokens": MAX_NEW,
            "add_bos": meta["add_bos"], "margin_eps": MARGIN_EPS, "cases": cases}


def dump(fixture):
    head = {k: v for k, v in fixture.items() if k != "cases"}
    lines = [json.dumps(c, ensure_ascii=False) for c in fixture["cases"]]
    return json.dumps(head, ensure_ascii=False)[:-1] + ',"cases":[\n' + ",\n".join(lines) + \
        "\n]}\n"


def compare(got, want):
    """Problems (empty when the fixture holds), applying the near-tie rule of the docstring."""
    bad = []
    if len(got["cases"]) != len(want["cases"]):
        return [f"{len(got['cases'])} cases vs {len(want['cases'])}"]
    for g, w in zip(got["cases"], want["cases"]):
        if g["prompt_ids"] != w["prompt_ids"] or g["text"] != w["text"]:
            bad.append(f"{w['name']}: prompt ids differ")
            continue
        for i, want_id in enumerate(w["generated_ids"]):
            if i >= len(g["generated_ids"]):
                bad.append(f"{w['name']}: stopped after {i} tokens, fixture has "
                           f"{len(w['generated_ids'])}")
                break
            if g["generated_ids"][i] != want_id:
                if w["margins"][i] < want.get("margin_eps", MARGIN_EPS):
                    print(f"llama_cpp_generate: {w['name']}: step {i} differs at a near tie "
                          f"(margin {w['margins'][i]}); rest not compared")
                else:
                    bad.append(f"{w['name']}: step {i}: {g['generated_ids'][i]} vs {want_id} "
                               f"(margin {w['margins'][i]})")
                break
        else:
            if len(g["generated_ids"]) != len(w["generated_ids"]):
                bad.append(f"{w['name']}: {len(g['generated_ids'])} tokens vs "
                           f"{len(w['generated_ids'])}")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--out")
    group.add_argument("--check")
    args = ap.parse_args()
    model = args.model or default_model()
    if not os.path.isfile(model):
        raise SystemExit(f"llama_cpp_generate: no model at {model} (run scripts/setup.sh)")
    print("llama_cpp_generate: versions " + json.dumps(versions(), sort_keys=True))
    fixture = build(model)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(dump(fixture))
        n = sum(len(c["generated_ids"]) for c in fixture["cases"])
        print(f"llama_cpp_generate: {len(fixture['cases'])} prompts, {n} tokens -> {args.out}")
        return
    with open(args.check, encoding="utf-8") as f:
        want = json.load(f)
    if want.get("model_sha256") != fixture["model_sha256"]:
        print("llama_cpp_generate: note: the model file differs from the fixture's "
              f"({fixture['model_sha256'][:12]} vs {str(want.get('model_sha256'))[:12]})")
    bad = compare(fixture, want)
    if bad:
        print("llama_cpp_generate: MISMATCH with " + args.check + "\n  " + "\n  ".join(bad))
        sys.exit(1)
    print(f"llama_cpp_generate: all {len(want['cases'])} prompts agree with {args.check}")


if __name__ == "__main__":
    main()
