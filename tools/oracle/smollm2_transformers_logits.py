#!/usr/bin/env python3
"""Oracle for jenny's forward pass on a real quantised model: Hugging Face transformers loads
SmolLM2-135M-Instruct's Q4_1 GGUF, dequantised to float32, and writes the last-position logits
of 4 prompts.

Loading path (recorded in the fixture as "loader"): transformers 5.24's
AutoModelForCausalLM.from_pretrained(dir, gguf_file=...) refuses to run without the
`accelerate` package, which tools/requirements.txt does not install, so this script uses the
same transformers machinery by hand:
  config  = AutoConfig.from_pretrained(dir, gguf_file=name)           (GGUF metadata -> LlamaConfig)
  model   = AutoModelForCausalLM.from_config(config, dtype=float32)   (LlamaForCausalLM)
  tensors = transformers.modeling_gguf_pytorch_utils.load_gguf_checkpoint(
                path, return_tensors=True, model_to_load=model)["tensors"]
  model.load_state_dict(tensors)   (lm_head tied to embed_tokens: the GGUF has no output.weight)
load_gguf_checkpoint dequantises every tensor with gguf-py (gguf.dequantize: Q4_1, Q8_0 and F32
here) and its LlamaTensorProcessor undoes llama.cpp's q/k row permutation
(w.reshape(n_head, D/2, 2, C).swapaxes(1, 2): GGUF stores each head's rows interleaved for
llama.cpp's adjacent-pair rope, HF uses rotate_half). The forward pass is plain float32 torch
(eager attention, no KV cache).

Prompts: 4 cases of tests/fixtures/model/smollm2_llama_cpp_greedy.json (their prompt_ids,
exactly). The script also reports whether the argmax equals llama.cpp's first generated token.

Fixture: FIXTURE.bin holds float32 little-endian logits, prompt after prompt, (V,) each;
FIXTURE.json {"model", "model_sha256", "loader", "versions", "vocab_size", "file",
"prompts": [{"name", "prompt_ids", "offset" (first float), "argmax", "top5": [[id, logit]...],
"llama_cpp_first_token"}], "max_abs_logit"}.

Usage:
  smollm2_transformers_logits.py --out PREFIX [--model GGUF] [--prompts GREEDY.json]
      writes PREFIX.bin and PREFIX.json
  smollm2_transformers_logits.py --check PREFIX [--model GGUF] [--prompts GREEDY.json]
      exit 1 when recomputed logits differ by more than 1e-4 * max|logit|
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GREEDY = os.path.join(ROOT, "tests", "fixtures", "model", "smollm2_llama_cpp_greedy.json")
CASES = ["capital", "code", "chat_japan", "chat_haiku"]
RTOL = 1e-4


from smollm2_common import default_model, sha256_file  # noqa: E402


def versions():
    import importlib.metadata
    import torch
    import transformers
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "gguf": importlib.metadata.version("gguf"), "numpy": np.__version__}


def load(model_path):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    import transformers
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    d, name = os.path.split(os.path.abspath(model_path))
    config = transformers.AutoConfig.from_pretrained(d, gguf_file=name)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    tensors = load_gguf_checkpoint(model_path, return_tensors=True, model_to_load=model)["tensors"]
    state = {k: torch.as_tensor(np.ascontiguousarray(v), dtype=torch.float32)
             for k, v in tensors.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = bool(config.tie_word_embeddings)
    if unexpected or set(missing) - ({"lm_head.weight"} if tied else set()):
        raise SystemExit(f"smollm2_transformers_logits: missing {missing}, unexpected {unexpected}")
    if tied:
        model.tie_weights()
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    model.config._attn_implementation = "eager"
    return model.eval(), config


def build(model_path, greedy_path):
    import torch
    torch.set_num_threads(1)
    with open(greedy_path, encoding="utf-8") as f:
        greedy = {c["name"]: c for c in json.load(f)["cases"]}
    model, config = load(model_path)
    rows, prompts = [], []
    with torch.no_grad():
        for name in CASES:
            ids = greedy[name]["prompt_ids"]
            logits = model(torch.tensor([ids]), use_cache=False).logits[0, -1].float().numpy()
            top = np.argsort(-logits, kind="stable")[:5]
            prompts.append({"name": name, "prompt_ids": ids, "offset": len(rows) * logits.size,
                            "argmax": int(top[0]),
                            "top5": [[int(i), round(float(logits[i]), 4)] for i in top],
                            "llama_cpp_first_token": greedy[name]["generated_ids"][0]})
            rows.append(logits.astype("<f4"))
    meta = {"model": os.path.basename(model_path), "model_sha256": sha256_file(model_path),
            "loader": "transformers AutoConfig(gguf_file) + from_config + "
                      "modeling_gguf_pytorch_utils.load_gguf_checkpoint (gguf-py dequantize, "
                      "LlamaTensorProcessor q/k un-permute), float32, eager attention",
            "versions": versions(), "vocab_size": int(config.vocab_size),
            "dtype": "float32", "byte_order": "little", "max_abs_logit": float(
                max(np.max(np.abs(r)) for r in rows)), "prompts": prompts}
    return meta, np.concatenate(rows)


def dump(meta):
    """JSON with one prompt per line."""
    head = {k: v for k, v in meta.items() if k != "prompts"}
    lines = [json.dumps(p) for p in meta["prompts"]]
    return json.dumps(head, indent=1)[:-2] + ',\n "prompts": [\n  ' + ",\n  ".join(lines) + \
        "\n ]\n}\n"


def report(meta):
    for p in meta["prompts"]:
        agree = "agrees" if p["argmax"] == p["llama_cpp_first_token"] else "DIFFERS"
        print(f"smollm2_transformers_logits: {p['name']}: {len(p['prompt_ids'])} ids, argmax "
              f"{p['argmax']} ({p['top5'][0][1]:.3f}, next {p['top5'][1][1]:.3f}); llama.cpp's "
              f"first token {p['llama_cpp_first_token']} {agree}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--prompts", default=GREEDY, help="llama_cpp_generate.py's fixture")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", help="output prefix: PREFIX.bin and PREFIX.json")
    group.add_argument("--check", help="fixture prefix to compare with")
    args = ap.parse_args()
    model = args.model or default_model()
    if not os.path.isfile(model):
        raise SystemExit(f"smollm2_transformers_logits: no model at {model} (run scripts/setup.sh)")
    print("smollm2_transformers_logits: versions " + json.dumps(versions(), sort_keys=True))
    meta, flat = build(model, args.prompts)
    report(meta)
    if args.out:
        flat.tofile(args.out + ".bin")
        with open(args.out + ".json", "w", encoding="utf-8") as f:
            f.write(dump(meta))
        print(f"smollm2_transformers_logits: {len(meta['prompts'])} x {meta['vocab_size']} "
              f"logits -> {args.out}.bin")
        return
    with open(args.check + ".json", encoding="utf-8") as f:
        want = json.load(f)
    want_flat = np.fromfile(args.check + ".bin", dtype="<f4")
    bad = []
    if [p["prompt_ids"] for p in want["prompts"]] != [p["prompt_ids"] for p in meta["prompts"]]:
        bad.append("prompt ids differ")
    elif want_flat.shape != flat.shape:
        bad.append(f"{want_flat.size} floats vs {flat.size}")
    else:
        diff = float(np.max(np.abs(want_flat.astype(np.float64) - flat)))
        limit = RTOL * max(1.0, want["max_abs_logit"])
        print(f"smollm2_transformers_logits: max abs diff {diff:.3e} (limit {limit:.3e})")
        if diff > limit:
            bad.append(f"logits differ by {diff:.3e}")
    if bad:
        print("smollm2_transformers_logits: MISMATCH with " + args.check + ": " + "; ".join(bad))
        sys.exit(1)
    print(f"smollm2_transformers_logits: agrees with {args.check}")


if __name__ == "__main__":
    main()
