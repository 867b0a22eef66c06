#!/usr/bin/env python3
"""LoRA adapters between jenny and Hugging Face PEFT (slow: imports torch, transformers, peft).

1. jenny -> PEFT: `jenny train` gives stories260K (converted to an HF directory) a LoRA adapter
   on every projection; PeftModel.from_pretrained(LlamaForCausalLM(base), out_dir/adapter)
   loads it, and its logits on a token list equal `jenny lora logits --lora` (run-time side
   path) within 1e-4 of the largest logit. transformers on the directory `jenny lora merge`
   wrote gives the same logits too.
2. PEFT -> jenny: PEFT (get_peft_model, r = 4 on q/k/v/o/gate/up/down, B drawn non-zero,
   rsLoRA off) saves an adapter for tests/fixtures/train/tiny_llama; `jenny lora logits`
   with it equals PEFT's logits within 1e-4, and differs from the base's.

    JENNY_BIN=build/bin/jenny JENNY_SHARED_DATA=../shared/data .venv/bin/python \
        tests/lora_peft_interop.py
Exit 77 (skipped) without stories260K or the peft package.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

JENNY = os.environ["JENNY_BIN"]
DATA = pathlib.Path(os.environ.get("JENNY_SHARED_DATA", "../shared/data"))
REPO = pathlib.Path(__file__).resolve().parent.parent
TINY = REPO / "tests" / "fixtures" / "train" / "tiny_llama"
TOKENS = [1, 45, 3, 77, 20, 5, 9, 31, 60, 2]
TOL = 1e-4


def jenny(*args):
    p = subprocess.run([JENNY] + [str(a) for a in args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"jenny {' '.join(map(str, args[:3]))} failed ({p.returncode}):\n"
                 f"{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return p.stdout


def jenny_logits(base, adapter, tokens, out, vocab):
    args = ["lora", "logits", "-m", base, "--tokens", " ".join(map(str, tokens)), "-o", out]
    if adapter:
        args += ["--lora", adapter]
    jenny(*args)
    return np.fromfile(out, dtype="<f4").reshape(len(tokens), vocab)


def torch_logits(model, tokens):
    import torch
    with torch.no_grad():
        return model(input_ids=torch.tensor([tokens]), use_cache=False).logits[0].float().numpy()


def rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def main():
    try:
        import peft  # noqa: F401
        import torch
        import transformers
    except ImportError as e:
        print(f"skipped: {e}")
        return 77
    src = DATA / "models" / "stories260K" / "stories260K.bin"
    if not src.exists():
        print(f"skipped: {src} missing")
        return 77
    from peft import LoraConfig, PeftModel, get_peft_model
    torch.manual_seed(0)
    transformers.utils.logging.set_verbosity_error()
    fails = []
    t = pathlib.Path(tempfile.mkdtemp(prefix="jenny-lora-peft-"))
    try:
        # 1. jenny -> PEFT
        base = t / "s260"
        jenny("convert", src, base, "--to", "hf")
        cfg = {"model": {"init_from": str(base)},
               "lora": {"rank": 4, "alpha": 8, "targets": ["q", "k", "v", "o", "gate", "up", "down"]},
               "data": {"synthetic": True},
               "batch": {"micro_batch": 2, "seq_len": 32},
               "optim": {"lr_max": 1e-2, "lr_min": 1e-3},
               "schedule": {"kind": "constant", "total_steps": 8},
               "eval": {"every": 0, "batches": 0}, "checkpoint": {"every_steps": 0},
               "threads": 2, "seed": 1, "out_dir": str(t / "run")}
        (t / "cfg.json").write_text(json.dumps(cfg))
        jenny("train", t / "cfg.json")
        adapter = t / "run" / "adapter"
        hf = transformers.LlamaForCausalLM.from_pretrained(base, torch_dtype=torch.float32).eval()
        vocab = hf.config.vocab_size
        plain = torch_logits(hf, TOKENS)
        pm = PeftModel.from_pretrained(hf, adapter).eval()
        ref = torch_logits(pm, TOKENS)
        got = jenny_logits(base, adapter, TOKENS, t / "a.f32", vocab)
        jenny("lora", "merge", base, adapter, t / "merged")
        merged_hf = transformers.LlamaForCausalLM.from_pretrained(t / "merged",
                                                                  torch_dtype=torch.float32).eval()
        merged = torch_logits(merged_hf, TOKENS)
        print(f"jenny -> PEFT: jenny side path vs PEFT {rel(got, ref):.2e}, transformers on the "
              f"merged dir vs PEFT {rel(merged, ref):.2e}, adapter effect {rel(plain, ref):.2e}")
        if rel(got, ref) > TOL:
            fails.append(f"jenny's adapter in PEFT: logits differ by {rel(got, ref):.3g}")
        if rel(merged, ref) > TOL:
            fails.append(f"jenny lora merge in transformers: logits differ by {rel(merged, ref):.3g}")
        if rel(plain, ref) < 1e-3:
            fails.append("the trained adapter does not change the logits")

        # 2. PEFT -> jenny
        base2 = transformers.LlamaForCausalLM.from_pretrained(TINY, torch_dtype=torch.float32)
        lc = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
                        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                        "up_proj", "down_proj"])
        pm2 = get_peft_model(base2, lc)
        with torch.no_grad():
            for n, p in pm2.named_parameters():
                if "lora_B" in n:
                    p.normal_(0.0, 0.05)
        pm2.eval()
        pm2.save_pretrained(t / "peft_adapter", safe_serialization=True)
        ref2 = torch_logits(pm2, TOKENS)
        vocab2 = base2.config.vocab_size
        got2 = jenny_logits(TINY, t / "peft_adapter", TOKENS, t / "b.f32", vocab2)
        plain2 = jenny_logits(TINY, None, TOKENS, t / "c.f32", vocab2)
        print(f"PEFT -> jenny: jenny vs PEFT {rel(got2, ref2):.2e}, adapter effect "
              f"{rel(plain2, ref2):.2e}")
        if rel(got2, ref2) > TOL:
            fails.append(f"PEFT's adapter in jenny: logits differ by {rel(got2, ref2):.3g}")
        if rel(plain2, ref2) < 1e-3:
            fails.append("PEFT's adapter does not change jenny's logits")
    finally:
        shutil.rmtree(t, ignore_errors=True)
    if fails:
        print("FAILED:\n  " + "\n  ".join(fails))
        return 1
    print("lora_peft_interop: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
