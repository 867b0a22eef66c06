#!/usr/bin/env python3
"""Oracle for jenny's LoRA training: PEFT (peft.get_peft_model, LoraConfig r=4, lora_alpha=8,
target_modules q_proj + v_proj, bias "none", dropout 0) on the tiny LLaMA of train_oracle.py
(tests/fixtures/train/tiny_llama is the base: this fixture holds only the adapter and the
numbers), its step-0 logits, loss and adapter gradients, and a 4-step AdamW trajectory of the
adapters (accumulation 2, masked targets, clipping, warmup + cosine, as train_oracle.py).

The adapter starts from numpy PCG64 draws (A ~ U(±1/√in) like PEFT's kaiming-uniform, and B ~
0.05 · N(0, 1) rather than PEFT's zeros, so that the A gradients and the side path are not
trivially zero) and is loaded into the PEFT model with set_peft_model_state_dict.

Written to DIR (default tests/fixtures/train/tiny_lora/):
  adapter_config.json, adapter_model.safetensors   the initial adapter, as PEFT's
                                                   save_pretrained writes it
  lora_fixture.safetensors   tokens (S, A, B, T+1) int32, targets (S, A, B, T) int32,
                             logits0 (B, T, V) base + adapter, base_logits0 (B, T, V),
                             grad.<peft name> (step 0, micro-batch 0), final.<peft name>
  lora_fixture.json          loss0, losses, grad_norms, lrs, settings, versions, f64 gap

Usage:
  lora_oracle.py [--dir DIR]           write the fixture
  lora_oracle.py --check [--dir DIR]   regenerate into a temp dir; exit 1 when something differs
                                       beyond 1e-6 relative, or twice the fixture's own f32-vs-f64
                                       gap for that quantity if larger (train_oracle.tolerance)
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import train_oracle as base  # noqa: E402  (the tiny model, data, schedule, AdamW settings)

ROOT = base.ROOT
DEFAULT_DIR = os.path.join(ROOT, "tests", "fixtures", "train", "tiny_lora")
LORA = dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], lora_dropout=0.0,
            bias="none", b_init_std=0.05)
S = 4  # steps of the trajectory (train_oracle's data, first S steps)


def initial_adapter(model):
    """PEFT state dict names (as saved) -> numpy arrays, drawn in sorted-name order."""
    rng = np.random.Generator(np.random.PCG64(base.SEED + 7))
    out = {}
    from peft import get_peft_model_state_dict
    for name, p in sorted(get_peft_model_state_dict(model).items()):
        shape = tuple(p.shape)
        if ".lora_A." in name:
            bound = 1.0 / np.sqrt(shape[1])
            out[name] = rng.uniform(-bound, bound, size=shape).astype(np.float32)
        else:
            out[name] = (LORA["b_init_std"] * rng.standard_normal(shape)).astype(np.float32)
    return out


def build(dtype):
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    model = base.build_model(torch.float32)
    cfg = LoraConfig(r=LORA["r"], lora_alpha=LORA["lora_alpha"],
                     target_modules=LORA["target_modules"], lora_dropout=LORA["lora_dropout"],
                     bias=LORA["bias"], task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, cfg)
    init = initial_adapter(peft_model)
    res = set_peft_model_state_dict(peft_model, {k: torch.from_numpy(v) for k, v in init.items()})
    assert not [k for k in res.unexpected_keys if "lora" in k], res.unexpected_keys
    return peft_model.to(dtype).train(), init


def run(dtype):
    import torch
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    model, init = build(dtype)
    from peft import get_peft_model_state_dict
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert all("lora_" in n for n, _ in trainable), [n for n, _ in trainable]
    # PEFT's in-memory names carry the adapter name ("lora_A.default.weight"); saved names drop it.
    saved_name = {n: n.replace(".default", "") for n, _ in trainable}
    tokens, targets = base.make_data()
    tokens, targets = tokens[:S], targets[:S]

    def logits_of(inputs):
        return model(input_ids=torch.from_numpy(inputs).long(), use_cache=False).logits

    logits0 = logits_of(tokens[0, 0, :, :base.T])
    n0 = int((targets[0, 0] >= 0).sum())
    loss0 = base.ce_sum(logits0, targets[0, 0]) / n0
    loss0.backward()
    grads0 = {saved_name[n]: p.grad.detach().clone() for n, p in trainable}
    model.zero_grad(set_to_none=True)
    with torch.no_grad(), model.disable_adapter():
        base_logits0 = logits_of(tokens[0, 0, :, :base.T])

    opt = torch.optim.AdamW([p for _, p in trainable], lr=base.SCHEDULE["lr_max"],
                            betas=(base.OPTIM["beta1"], base.OPTIM["beta2"]),
                            eps=base.OPTIM["eps"], weight_decay=base.OPTIM["weight_decay"],
                            foreach=False, fused=False)
    losses, grad_norms, lrs = [], [], []
    for s in range(S):
        n_global = int((targets[s] >= 0).sum())
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for a in range(base.A):
            loss = base.ce_sum(logits_of(tokens[s, a, :, :base.T]), targets[s, a]) / n_global
            loss.backward()
            total += float(loss.detach())
        norm = torch.nn.utils.clip_grad_norm_([p for _, p in trainable],
                                              max_norm=base.CLIP["max_norm"], foreach=False)
        lr = base.lr_at(s)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        losses.append(total)
        grad_norms.append(float(norm))
        lrs.append(lr)
    final = {k: v.detach().clone() for k, v in get_peft_model_state_dict(model).items()}
    return dict(model=model, init=init, tokens=tokens, targets=targets,
                logits0=logits0.detach(), base_logits0=base_logits0.detach(),
                loss0=float(loss0.detach()), grads0=grads0, final=final, losses=losses,
                grad_norms=grad_norms, lrs=lrs, names=sorted(grads0))


def write_fixture(out_dir):
    import torch
    from safetensors.torch import save_file
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    r32 = run(torch.float32)
    r64 = run(torch.float64)
    # The initial adapter as PEFT saves it (a fresh model, before any step).
    import peft
    fresh, _ = build(torch.float32)
    fresh.save_pretrained(out_dir, safe_serialization=True)
    with open(os.path.join(out_dir, "adapter_config.json")) as f:
        cfg = json.load(f)
    cfg["base_model_name_or_path"] = "../tiny_llama"
    with open(os.path.join(out_dir, "adapter_config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    for f in os.listdir(out_dir):
        if f not in ("adapter_config.json", "adapter_model.safetensors"):
            p = os.path.join(out_dir, f)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    f64 = {"loss0_rel": abs(r32["loss0"] - r64["loss0"]) / abs(r64["loss0"]),
           "logits0_rel": base.max_rel(r32["logits0"], r64["logits0"]),
           "grad0_rel_max": max(base.max_rel(r32["grads0"][n], r64["grads0"][n])
                                for n in r32["names"]),
           "losses_rel_max": max(abs(a - b) / abs(b) for a, b in zip(r32["losses"], r64["losses"])),
           "final_rel_max": max(base.max_rel(r32["final"][n], r64["final"][n])
                                for n in r32["names"])}
    tensors = {"tokens": torch.from_numpy(r32["tokens"]).contiguous(),
               "targets": torch.from_numpy(r32["targets"]).contiguous(),
               "logits0": r32["logits0"].contiguous(),
               "base_logits0": r32["base_logits0"].contiguous()}
    for n in r32["names"]:
        tensors["grad." + n] = r32["grads0"][n].contiguous()
        tensors["final." + n] = r32["final"][n].contiguous()
    save_file(tensors, os.path.join(out_dir, "lora_fixture.safetensors"), metadata={"format": "pt"})
    meta = {"loss0": r32["loss0"], "losses": r32["losses"], "grad_norms": r32["grad_norms"],
            "lrs": r32["lrs"], "S": S, "A": base.A, "B": base.B, "T": base.T,
            "lora": LORA, "optimiser": base.OPTIM, "schedule": base.SCHEDULE, "clip": base.CLIP,
            "decay": "every adapter tensor (lora_A, lora_B) decays",
            "base": "tests/fixtures/train/tiny_llama", "param_names": r32["names"],
            "f64_gap": f64,
            "versions": dict(base.versions(), peft=peft.__version__)}
    with open(os.path.join(out_dir, "lora_fixture.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    sizes = {f: os.path.getsize(os.path.join(out_dir, f)) for f in sorted(os.listdir(out_dir))}
    print("lora_oracle: " + ", ".join(f"{f} {s}" for f, s in sizes.items())
          + f"; total {sum(sizes.values())} bytes")
    print(f"lora_oracle: loss0 {r32['loss0']:.6f}; losses "
          + " ".join(f"{x:.4f}" for x in r32["losses"]))
    print("lora_oracle: f32 vs f64 " + json.dumps({k: float(f"{v:.3g}") for k, v in f64.items()}))


def check(want):
    from safetensors.torch import load_file
    tmp = tempfile.mkdtemp(prefix="lora_oracle_")
    try:
        got = os.path.join(tmp, "tiny_lora")
        write_fixture(got)
        bad = []
        with open(os.path.join(want, "lora_fixture.json")) as f:
            gap = json.load(f).get("f64_gap")
        for fname in ("adapter_model.safetensors", "lora_fixture.safetensors"):
            ta = load_file(os.path.join(want, fname))
            tb = load_file(os.path.join(got, fname))
            if set(ta) != set(tb):
                bad.append(f"{fname}: tensor names differ: {sorted(set(ta) ^ set(tb))}")
                continue
            for k in sorted(ta):
                a, b = ta[k].double().numpy(), tb[k].double().numpy()
                if a.shape != b.shape:
                    bad.append(f"{fname}:{k}: shape {a.shape} vs {b.shape}")
                elif base.max_rel(b, a) > base.tolerance(k, gap):
                    bad.append(f"{fname}:{k}: differs by {base.max_rel(b, a):.3g} relative")
        with open(os.path.join(want, "lora_fixture.json")) as f:
            ja = json.load(f)
        with open(os.path.join(got, "lora_fixture.json")) as f:
            jb = json.load(f)
        ja.pop("versions", None)
        jb.pop("versions", None)
        ja.pop("f64_gap", None)
        jb.pop("f64_gap", None)
        base.compare_numbers("lora_fixture.json", ja, jb, bad, gap)
        with open(os.path.join(want, "adapter_config.json")) as f:
            ca = json.load(f)
        with open(os.path.join(got, "adapter_config.json")) as f:
            cb = json.load(f)
        for k in ("r", "lora_alpha", "target_modules", "peft_type", "bias", "lora_dropout"):
            if (sorted(ca[k]) if isinstance(ca[k], list) else ca[k]) != \
                    (sorted(cb[k]) if isinstance(cb[k], list) else cb[k]):
                bad.append(f"adapter_config.json: {k} {ca[k]!r} vs {cb[k]!r}")
        if bad:
            print("lora_oracle --check: the committed fixture is stale:\n  " + "\n  ".join(bad))
            return 1
        print("lora_oracle --check: the committed fixture is current")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    base.quiet()
    if args.check:
        return check(args.dir)
    write_fixture(args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
