#!/usr/bin/env python3
"""RoPE inverse frequencies as Hugging Face transformers computes them, for kernels' rope test.

Writes tests/fixtures/kernels/rope_inv_freq.json: for each config (rope_type default / linear /
llama3; theta 1e4 / 5e5 / 1e6; head dims 64 / 128) the float32 inv_freq that transformers'
LlamaRotaryEmbedding holds, as exact uint32 bit patterns. `--check` recomputes and compares
with the committed file (exit 1 on any difference), so a transformers upgrade that changes the
numbers is noticed.

Usage: .venv/bin/python tools/oracle/rope_fixtures.py [--check] [--out PATH]
"""
import argparse
import json
import os
import struct
import sys
import warnings

import torch
import transformers
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUT = os.path.join(ROOT, "tests", "fixtures", "kernels", "rope_inv_freq.json")

# name, head_dim, rope_parameters (transformers 5 layout; older versions read rope_scaling).
CASES = [
    ("smollm2_135m", 64, {"rope_type": "default", "rope_theta": 100000.0}),
    ("llama2_7b", 128, {"rope_type": "default", "rope_theta": 10000.0}),
    ("qwen2_1e6", 64, {"rope_type": "default", "rope_theta": 1000000.0}),
    ("linear_factor2", 64, {"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0}),
    ("linear_factor2_d128", 128, {"rope_type": "linear", "rope_theta": 500000.0, "factor": 2.0}),
    ("llama3_1_8b", 128, {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                          "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                          "original_max_position_embeddings": 8192}),
    ("llama3_2_1b", 64, {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
                         "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192}),
    ("llama3_theta1e4", 64, {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 4.0,
                             "low_freq_factor": 2.0, "high_freq_factor": 8.0,
                             "original_max_position_embeddings": 2048}),
]


def inv_freq(head_dim, params):
    heads = 4
    cfg = LlamaConfig(hidden_size=head_dim * heads, num_attention_heads=heads,
                      num_key_value_heads=heads, head_dim=head_dim,
                      max_position_embeddings=131072, rope_parameters=dict(params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        emb = LlamaRotaryEmbedding(cfg)
    t = emb.inv_freq
    assert t.dtype == torch.float32 and t.numel() == head_dim // 2
    return [struct.unpack("<I", struct.pack("<f", float(v)))[0] for v in t.tolist()]


def build():
    cases = []
    for name, head_dim, params in CASES:
        case = {"name": name, "head_dim": head_dim}
        case.update(params)
        case["inv_freq_bits"] = inv_freq(head_dim, params)
        cases.append(case)
    return {"generator": "tools/oracle/rope_fixtures.py",
            "transformers_version": transformers.__version__,
            "torch_version": torch.__version__, "cases": cases}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed fixture")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    data = build()
    if args.check:
        with open(args.out) as f:
            old = json.load(f)
        bad = [c["name"] for c, o in zip(data["cases"], old["cases"])
               if c != o] + (["<case list>"] if len(data["cases"]) != len(old["cases"]) else [])
        if bad:
            print(f"rope fixture differs from transformers {transformers.__version__} "
                  f"(fixture made with {old.get('transformers_version')}): {', '.join(bad)}; "
                  f"regenerate with {sys.argv[0]} and review the diff")
            return 1
        print(f"ok: {len(data['cases'])} configs match {args.out}")
        return 0
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out} ({len(data['cases'])} configs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
