#!/usr/bin/env python3
"""LoRA from the command line (fast, stdlib only): stories260K (converted to an HF directory)
gets a LoRA adapter from `jenny train` (synthetic tokens, dropout on); the run killed by
--max-steps and resumed ends with the same adapter bytes as an uninterrupted run; the adapter
is a PEFT directory; `jenny lora logits --lora` (run-time side path) equals the logits of the
model `jenny lora merge` wrote (1e-5 of the largest logit) and differs from the base;
`jenny generate --lora` runs. Bad input: LoRA without init_from, an unknown target, a q8_0 base
whose rows are not whole blocks (exit 2); a missing adapter (exit 1); an adapter for another
model and a rank mismatch (exit 2), each with a message that says what is wrong.

    JENNY_BIN=build/bin/jenny JENNY_SHARED_DATA=../shared/data python3 tests/lora_cli_test.py
"""
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

JENNY = os.environ["JENNY_BIN"]
DATA = pathlib.Path(os.environ.get("JENNY_SHARED_DATA", "../shared/data"))
REPO = pathlib.Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "train"
fails = []


def run(args, expect=0, says=None):
    p = subprocess.run([JENNY] + [str(a) for a in args], capture_output=True, text=True)
    out = p.stdout + p.stderr
    if p.returncode != expect:
        fails.append(f"{' '.join(map(str, args[:3]))}: exit {p.returncode}, wanted {expect}\n"
                     + out[-1500:])
    elif says and says not in out:
        fails.append(f"{' '.join(map(str, args[:3]))}: output lacks {says!r}:\n" + out[-1500:])
    return out


def floats(path):
    b = pathlib.Path(path).read_bytes()
    return struct.unpack(f"<{len(b) // 4}f", b)


def main():
    src = DATA / "models" / "stories260K" / "stories260K.bin"
    if not src.exists():
        print(f"skipped: {src} missing")
        return 77
    t = pathlib.Path(tempfile.mkdtemp(prefix="jenny-lora-cli-"))
    try:
        base = t / "s260"
        run(["convert", src, base, "--to", "hf"])

        def config(name, **lora):
            cfg = {"model": {"init_from": str(base)},
                   "lora": dict({"rank": 4, "alpha": 8, "dropout": 0.1,
                                 "targets": ["q", "k", "v", "o", "gate", "up", "down"]}, **lora),
                   "data": {"synthetic": True},
                   "batch": {"micro_batch": 2, "seq_len": 32, "grad_accum": 2},
                   "optim": {"lr_max": 5e-3, "lr_min": 5e-4},
                   "schedule": {"kind": "cosine", "warmup_steps": 1, "total_steps": 6},
                   "eval": {"every": 0, "batches": 0},
                   "checkpoint": {"every_steps": 2, "keep_last": 2},
                   "threads": 2, "seed": 3, "out_dir": str(t / name), "log_every": 1}
            path = t / f"{name}.json"
            path.write_text(json.dumps(cfg))
            return path

        # Uninterrupted vs stopped after 3 steps and resumed (dropout masks included).
        out = run(["train", config("full")], says="adapter: ")
        if "trainable LoRA parameters" not in out:
            fails.append("train: the model line does not say the parameters are LoRA's:\n" + out)
        run(["train", config("resumed"), "--max-steps", "3"])
        run(["train", config("resumed"), "--resume"], says="resume: step 3")
        a = (t / "full/adapter/adapter_model.safetensors").read_bytes()
        b = (t / "resumed/adapter/adapter_model.safetensors").read_bytes()
        if a != b:
            fails.append("resume: the resumed run's adapter differs from the uninterrupted one")
        cfg = json.loads((t / "full/adapter/adapter_config.json").read_text())
        for k, v in {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "bias": "none",
                     "task_type": "CAUSAL_LM"}.items():
            if cfg.get(k) != v:
                fails.append(f"adapter_config.json: {k} = {cfg.get(k)!r}, wanted {v!r}")
        ckpts = sorted((t / "full/checkpoints").iterdir())
        if not ckpts or not (ckpts[-1] / "adapter_model.safetensors").exists() or \
                not (ckpts[-1] / "optimizer.safetensors").exists():
            fails.append(f"checkpoints: no adapter + optimizer state in {ckpts}")
        if (t / "full/model").exists():
            fails.append("a LoRA run wrote a full model directory")

        # Run-time side path == merged weights; != base.
        adapter = t / "full/adapter"
        tokens = "1 450 3 77 200 5 9 31"
        run(["lora", "merge", base, adapter, t / "merged"], says="jenny lora merge")
        run(["lora", "logits", "-m", base, "--lora", adapter, "--tokens", tokens, "-o", t / "side.f32"])
        run(["lora", "logits", "-m", t / "merged", "--tokens", tokens, "-o", t / "merged.f32"])
        run(["lora", "logits", "-m", base, "--tokens", tokens, "-o", t / "base.f32"])
        side, merged, plain = floats(t / "side.f32"), floats(t / "merged.f32"), floats(t / "base.f32")
        scale = max(abs(x) for x in side)
        d_merge = max(abs(x - y) for x, y in zip(side, merged)) / scale
        d_base = max(abs(x - y) for x, y in zip(side, plain)) / scale
        print(f"lora logits: |side - merged| {d_merge:.2e}, |side - base| {d_base:.2e} of max |logit|")
        if len(side) != len(merged) or d_merge > 1e-5:
            fails.append(f"side path vs merged: {d_merge:.3g} relative (bound 1e-5)")
        if d_base < 1e-3:
            fails.append(f"the adapter changes nothing ({d_base:.3g})")
        run(["generate", "-m", base, "--lora", adapter, "-p", "Once upon", "-n", "8",
             "--temp", "0", "--no-stats"], says="Once upon")

        # Bad input.
        bad = json.loads(config("bad").read_text())
        bad["model"] = {"tokenizer": str(base)}
        (t / "bad1.json").write_text(json.dumps(bad))
        run(["train", t / "bad1.json"], expect=2, says="needs model.init_from")
        run(["train", config("bad2", targets=["q", "qkv"])], expect=2,
            says='unknown target module "qkv"')
        run(["train", config("bad3", base_dtype="q8_0"), "--dry-run"], expect=2,
            says="base_dtype q8_0")
        run(["generate", "-m", base, "--lora", t / "nowhere", "-p", "x", "-n", "1"], expect=1,
            says="adapter_config.json: no such file")
        other = FIXTURE / "tiny_lora"  # made for tiny_llama: q is (48, 48), not stories260K's
        run(["generate", "-m", base, "--lora", other, "-p", "x", "-n", "1"], expect=2,
            says="another model")
        rank = t / "rank"
        shutil.copytree(adapter, rank)
        c = json.loads((rank / "adapter_config.json").read_text())
        c["r"] = 8
        (rank / "adapter_config.json").write_text(json.dumps(c))
        run(["lora", "merge", base, rank, t / "m2"], expect=2, says="rank mismatch")
        run(["lora", "merge", base, adapter, t / "m3", "--dtype", "q4_0"], expect=2,
            says="use f32, f16 or bf16")
    finally:
        shutil.rmtree(t, ignore_errors=True)
    if fails:
        print("FAILED:\n" + "\n".join(fails))
        return 1
    print("lora_cli_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
