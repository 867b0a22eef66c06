#!/usr/bin/env python3
"""Oracle for jenny's trainer: a tiny LLaMA trained for 10 AdamW steps by PyTorch/transformers,
with the step-0 logits, loss and every parameter gradient, the per-step losses, gradient norms
and learning rates, and the final weights. See tests/fixtures/train/README.md for the exact
definitions (loss, gradient accumulation, clipping, schedule, AdamW) a C++ test must match.

Written to DIR (default tests/fixtures/train/tiny_llama/):
  config.json, generation_config.json, model.safetensors   the initial model, as transformers'
                                                           save_pretrained writes it (f32)
  train_fixture.safetensors   tokens (S, A, B, T+1) int32, targets (S, A, B, T) int32 (-1 =
                              masked), logits0 (B, T, V) f32, grad.<hf name> f32,
                              final.<hf name> f32
  train_fixture.json          loss0, losses, grad_norms, lrs, n_targets, settings, versions,
                              and the float64 re-run's distance (the float noise floor)

Model: LlamaForCausalLM, float32, eager attention, CPU, 1 thread. Weights are drawn like
transformers' default init (normal, std initializer_range = 0.02, for every Linear and the
Embedding) but from numpy's PCG64 rather than torch's generator, so --check regenerates them
bit for bit whatever the torch version; every RMSNorm weight is 1 + 0.1 * N(0, 1) so that norm
gradients are non-trivial.

Usage:
  train_oracle.py [--dir DIR]           write the fixture
  train_oracle.py --check [--dir DIR]   regenerate into a temp dir; exit 1 when a config or
                                        tensor differs (initial weights: exactly; other tensors
                                        and json numbers: beyond 1e-6 relative, or twice the
                                        fixture's own f32-vs-f64 gap for that kind of quantity
                                        when larger: see tolerance())
"""
import argparse
import json
import math
import os
import shutil
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DIR = os.path.join(ROOT, "tests", "fixtures", "train", "tiny_llama")

SEED = 20240611
MODEL = dict(vocab_size=96, hidden_size=48, intermediate_size=128, num_hidden_layers=2,
             num_attention_heads=6, num_key_value_heads=2, head_dim=8,
             max_position_embeddings=64, rope_theta=10000.0, rms_norm_eps=1e-5,
             initializer_range=0.02, bos_token_id=1, eos_token_id=2)
NORM_NOISE = 0.1
S, A, B, T = 10, 2, 2, 16          # steps, grad accumulation, micro-batch, sequence length
MASK_FRACTION = 0.2
OPTIM = dict(kind="AdamW (torch.optim.AdamW, foreach=False, fused=False)", beta1=0.9,
             beta2=0.95, eps=1e-8, weight_decay=0.1,
             decay="q/k/v/o_proj, gate/up/down_proj, lm_head (every 2-D weight but the "
                   "embedding)",
             no_decay="every RMSNorm weight and model.embed_tokens.weight")
SCHEDULE = dict(kind="cosine", lr_max=1e-2, lr_min=1e-3, warmup_steps=3, total_steps=S)
CLIP = dict(max_norm=1.0, eps=1e-6)
REL_TOL = 1e-6                     # --check: regenerated vs committed


def quiet():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import transformers
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def versions():
    import safetensors
    import torch
    import transformers
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "safetensors": safetensors.__version__, "numpy": np.__version__}


def lr_at(step):
    """The schedule, exactly as jenny's trainer implements it (README.md)."""
    c = SCHEDULE
    if step < c["warmup_steps"]:
        return c["lr_max"] * (step + 1) / c["warmup_steps"]
    progress = (step - c["warmup_steps"]) / max(1, c["total_steps"] - c["warmup_steps"])
    return c["lr_min"] + 0.5 * (c["lr_max"] - c["lr_min"]) * (1.0 + math.cos(math.pi * progress))


# ---------------------------------------------------------------------------------------------
# model and data

def hf_config():
    import transformers
    m = MODEL
    return transformers.LlamaConfig(
        vocab_size=m["vocab_size"], hidden_size=m["hidden_size"],
        intermediate_size=m["intermediate_size"], num_hidden_layers=m["num_hidden_layers"],
        num_attention_heads=m["num_attention_heads"],
        num_key_value_heads=m["num_key_value_heads"], head_dim=m["head_dim"],
        max_position_embeddings=m["max_position_embeddings"],
        rope_parameters={"rope_type": "default", "rope_theta": m["rope_theta"]},
        rms_norm_eps=m["rms_norm_eps"], initializer_range=m["initializer_range"],
        tie_word_embeddings=False, attention_bias=False, mlp_bias=False, hidden_act="silu",
        bos_token_id=m["bos_token_id"], eos_token_id=m["eos_token_id"],
        attn_implementation="eager")


def initial_state(model):
    """HF-default-like weights from numpy PCG64 (name order sorted, so the draw is stable)."""
    import torch
    rng = np.random.Generator(np.random.PCG64(SEED))
    state = {}
    for name, p in sorted(model.state_dict().items()):
        shape = tuple(p.shape)
        if name.endswith("norm.weight"):
            w = 1.0 + NORM_NOISE * rng.standard_normal(shape)
        else:
            w = MODEL["initializer_range"] * rng.standard_normal(shape)
        state[name] = torch.from_numpy(w.astype(np.float32))
    return state


def build_model(dtype):
    import torch
    import transformers
    torch.manual_seed(SEED)
    model = transformers.LlamaForCausalLM(hf_config())
    model.load_state_dict(initial_state(model), strict=True)
    return model.to(dtype).train()


def make_data():
    """tokens (S, A, B, T+1) and targets (S, A, B, T), int32; -1 marks a masked target."""
    rng = np.random.Generator(np.random.PCG64(SEED + 1))
    tokens = rng.integers(0, MODEL["vocab_size"], size=(S, A, B, T + 1)).astype(np.int32)
    targets = tokens[..., 1:].copy()
    mask = rng.random(targets.shape) < MASK_FRACTION
    for s in range(S):
        for a in range(A):
            if mask[s, a].all():  # keep at least one target per micro-batch
                mask[s, a, 0, -1] = False
    targets[mask] = -1
    return tokens, targets


def param_groups(model):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.dim() == 2 and name != "model.embed_tokens.weight":
            decay.append(p)
        else:
            no_decay.append(p)
    return [{"params": decay, "weight_decay": OPTIM["weight_decay"]},
            {"params": no_decay, "weight_decay": 0.0}]


def logits_of(model, inputs):
    import torch
    return model(input_ids=torch.from_numpy(inputs).long(), use_cache=False).logits  # (B, T, V)


def ce_sum(logits, targets):
    """Summed cross-entropy over the unmasked targets (float32 math as torch does it)."""
    import torch
    import torch.nn.functional as F
    t = torch.from_numpy(targets).long().reshape(-1)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t, ignore_index=-1,
                           reduction="sum")


def run(dtype):
    """Step-0 quantities and the 10-step trajectory, computed in `dtype`."""
    import torch
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    model = build_model(dtype)
    names = [n for n, _ in model.named_parameters()]
    tokens, targets = make_data()

    # step 0, micro-batch 0, at the initial weights: mean CE and its gradients
    logits0 = logits_of(model, tokens[0, 0, :, :T])
    n0 = int((targets[0, 0] >= 0).sum())
    loss0 = ce_sum(logits0, targets[0, 0]) / n0
    loss0.backward()
    grads0 = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    model.zero_grad(set_to_none=True)

    opt = torch.optim.AdamW(param_groups(model), lr=SCHEDULE["lr_max"],
                            betas=(OPTIM["beta1"], OPTIM["beta2"]), eps=OPTIM["eps"],
                            foreach=False, fused=False)
    losses, grad_norms, lrs, n_targets = [], [], [], []
    for s in range(S):
        n_global = int((targets[s] >= 0).sum())
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for a in range(A):
            loss = ce_sum(logits_of(model, tokens[s, a, :, :T]), targets[s, a]) / n_global
            loss.backward()
            total += float(loss.detach())
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=CLIP["max_norm"],
                                              foreach=False)
        lr = lr_at(s)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        losses.append(total)
        grad_norms.append(float(norm))
        lrs.append(lr)
        n_targets.append(n_global)

    final = {n: p.detach().clone() for n, p in model.named_parameters()}
    return dict(names=names, tokens=tokens, targets=targets, logits0=logits0.detach(),
                loss0=float(loss0.detach()), grads0=grads0, final=final, losses=losses,
                grad_norms=grad_norms, lrs=lrs, n_targets=n_targets)


def max_rel(a, b):
    """max |a - b| / max |b| over a tensor (or list), 0 when both are zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    d = float(np.max(np.abs(a - b))) if b.size else 0.0
    return d / scale if scale > 0 else d


# ---------------------------------------------------------------------------------------------
# writing

def write_fixture(out_dir):
    import torch
    from safetensors.torch import save_file
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)

    model = build_model(torch.float32)
    model.save_pretrained(out_dir, safe_serialization=True)
    for f in os.listdir(out_dir):
        if f not in ("config.json", "generation_config.json", "model.safetensors"):
            os.remove(os.path.join(out_dir, f))

    r32 = run(torch.float32)
    r64 = run(torch.float64)
    # the float32 reference's distance from the same computation in float64: the noise floor
    # a float32 implementation can be expected to reach
    f64 = {"loss0_rel": abs(r32["loss0"] - r64["loss0"]) / abs(r64["loss0"]),
           "logits0_rel": max_rel(r32["logits0"], r64["logits0"]),
           "grad0_rel_max": max(max_rel(r32["grads0"][n], r64["grads0"][n])
                                for n in r32["names"]),
           "losses_rel_max": max(abs(a - b) / abs(b)
                                 for a, b in zip(r32["losses"], r64["losses"])),
           "grad_norms_rel_max": max(abs(a - b) / abs(b)
                                     for a, b in zip(r32["grad_norms"], r64["grad_norms"])),
           "final_abs_max": max(float((r32["final"][n].double() - r64["final"][n]).abs().max())
                                for n in r32["names"]),
           "final_rel_max": max(max_rel(r32["final"][n], r64["final"][n])
                                for n in r32["names"])}

    tensors = {"tokens": torch.from_numpy(r32["tokens"]),
               "targets": torch.from_numpy(r32["targets"]),
               "logits0": r32["logits0"].contiguous()}
    for n in r32["names"]:
        tensors["grad." + n] = r32["grads0"][n].contiguous()
        tensors["final." + n] = r32["final"][n].contiguous()
    save_file(tensors, os.path.join(out_dir, "train_fixture.safetensors"),
              metadata={"format": "pt"})

    meta = {
        "loss0": r32["loss0"], "losses": r32["losses"], "grad_norms": r32["grad_norms"],
        "lrs": r32["lrs"], "n_targets": r32["n_targets"],
        "n_targets0": int((r32["targets"][0, 0] >= 0).sum()),
        "S": S, "A": A, "B": B, "T": T, "seed": SEED, "mask_fraction": MASK_FRACTION,
        "model": MODEL, "norm_weight_init": f"1 + {NORM_NOISE} * N(0, 1)",
        "optimiser": OPTIM, "schedule": SCHEDULE, "clip": CLIP,
        "loss": "step loss = sum over the A micro-batches of CE summed over unmasked targets "
                "/ n_targets (unmasked targets of the whole step); loss0 = mean CE over "
                "micro-batch (0, 0)'s unmasked targets",
        "param_names": r32["names"],
        "f64_gap": f64,
        "versions": versions(),
    }
    with open(os.path.join(out_dir, "train_fixture.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    sizes = {f: os.path.getsize(os.path.join(out_dir, f)) for f in sorted(os.listdir(out_dir))}
    print("train_oracle: " + ", ".join(f"{f} {s}" for f, s in sizes.items())
          + f"; total {sum(sizes.values())} bytes")
    print(f"train_oracle: loss0 {r32['loss0']:.6f}; losses "
          + " ".join(f"{x:.4f}" for x in r32["losses"]))
    print("train_oracle: grad_norms " + " ".join(f"{x:.4f}" for x in r32["grad_norms"]))
    print("train_oracle: f32 vs f64 " + json.dumps({k: float(f"{v:.3g}") for k, v in f64.items()}))


# ---------------------------------------------------------------------------------------------
# checking

# What the fixture's own f32 arithmetic can promise: the committed f64_gap (f32 run vs f64
# run of the same oracle) per kind of quantity. Regenerating on another CPU (MKL's AVX-512 vs
# AVX2 kernels sum in another order) moves a quantity by up to about that gap, which is not
# staleness; the limit is the larger of REL_TOL and twice the gap.
GAP_KIND = (("final.", "final_rel_max"), ("grad.", "grad0_rel_max"), ("grads.", "grad0_rel_max"),
            ("logits0", "logits0_rel"), ("base_logits0", "logits0_rel"),
            ("grad_norms", "grad_norms_rel_max"), ("losses", "losses_rel_max"),
            ("loss0", "loss0_rel"))


def tolerance(name, gap):
    """The --check limit for quantity `name` (a tensor name or a json path) given f64_gap."""
    leaf = name
    for file_prefix in ("train_fixture.json.", "lora_fixture.json."):
        if leaf.startswith(file_prefix):
            leaf = leaf[len(file_prefix):]
    for prefix, kind in GAP_KIND:
        if leaf.startswith(prefix) and kind in (gap or {}):
            return max(REL_TOL, 2 * gap[kind])
    return REL_TOL


def compare_numbers(path, a, b, bad, gap=None):
    """Every number in json value a (committed) against b (regenerated), within
    tolerance(path, gap) relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            bad.append(f"{path}: keys differ: {sorted(set(a) ^ set(b))}")
        for k in sorted(set(a) & set(b)):
            compare_numbers(f"{path}.{k}", a[k], b[k], bad, gap)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            bad.append(f"{path}: length {len(a)} vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            compare_numbers(f"{path}[{i}]", x, y, bad, gap)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        if abs(a - b) > tolerance(path, gap) * max(abs(a), abs(b), 1e-30):
            bad.append(f"{path}: committed {a!r}, regenerated {b!r}")
    elif a != b:
        bad.append(f"{path}: committed {a!r}, regenerated {b!r}")


def compare_dirs(want, got):
    from safetensors.torch import load_file
    bad = []
    for cfg in ("config.json", "generation_config.json"):
        with open(os.path.join(want, cfg)) as f:
            a = json.load(f)
        with open(os.path.join(got, cfg)) as f:
            b = json.load(f)
        a.pop("transformers_version", None)
        b.pop("transformers_version", None)
        if a != b:
            bad.append(f"{cfg} differs: committed {a}, regenerated {b}")
    with open(os.path.join(want, "train_fixture.json")) as f:
        gap = json.load(f).get("f64_gap")
    for fname, exact in (("model.safetensors", True), ("train_fixture.safetensors", False)):
        ta = load_file(os.path.join(want, fname))
        tb = load_file(os.path.join(got, fname))
        if set(ta) != set(tb):
            bad.append(f"{fname}: tensor names differ: {sorted(set(ta) ^ set(tb))}")
            continue
        worst = 0.0
        for k in sorted(ta):
            x, y = ta[k], tb[k]
            if x.dtype != y.dtype or x.shape != y.shape:
                bad.append(f"{fname}: {k}: {x.dtype}{tuple(x.shape)} vs {y.dtype}{tuple(y.shape)}")
                continue
            if exact or not x.is_floating_point():
                if not x.equal(y):
                    bad.append(f"{fname}: {k} differs")
                continue
            d = max_rel(y.numpy(), x.numpy())
            worst = max(worst, d)
            if d > tolerance(k, gap):
                bad.append(f"{fname}: {k} differs by {d:.3e} (relative to its max |x|; "
                           f"limit {tolerance(k, gap):.1e})")
        print(f"train_oracle: {fname}: {len(ta)} tensors, worst relative diff {worst:.2e}")
    with open(os.path.join(want, "train_fixture.json")) as f:
        ma = json.load(f)
    with open(os.path.join(got, "train_fixture.json")) as f:
        mb = json.load(f)
    print("train_oracle: committed with " + json.dumps(ma.get("versions"), sort_keys=True))
    for m in (ma, mb):
        m.pop("versions", None)
        m.pop("f64_gap", None)  # a float64 rerun's noise: not part of the reference
    compare_numbers("train_fixture.json", ma, mb, bad, gap)
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    quiet()
    print("train_oracle: versions " + json.dumps(versions(), sort_keys=True))
    if not args.check:
        write_fixture(args.dir)
        return
    tmp = tempfile.mkdtemp(prefix="jenny_train_oracle_")
    try:
        write_fixture(os.path.join(tmp, "tiny_llama"))
        bad = compare_dirs(args.dir, os.path.join(tmp, "tiny_llama"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if bad:
        print("train_oracle: MISMATCH with " + args.dir + "\n  " + "\n  ".join(bad))
        print("train_oracle: if the change is intended, rewrite the fixture with "
              ".venv/bin/python tools/oracle/train_oracle.py and commit it")
        sys.exit(1)
    print(f"train_oracle: {args.dir} is current")


if __name__ == "__main__":
    main()
