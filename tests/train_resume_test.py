#!/usr/bin/env python3
"""jenny train survives kill -9 and SIGTERM: a run that is killed at random moments (mid-step,
mid-checkpoint-write) and continued with --resume each time ends with the same bits as one that
was never interrupted: the final checkpoint's model.safetensors, optimizer.safetensors and
trainer_state.json, out_dir/model, and the step/loss/lr/grad_norm/val_loss of every
metrics.jsonl line.

Two runs: synthetic tokens, and a real token dataset made by `jenny tokenize-dataset` with the
stories260K tokenizer (skipped when the shared data folder lacks it).

Needs JENNY_BIN; JENNY_SHARED_DATA for the real-data run; JENNY_RESUME_SEED (default: random,
printed) to replay a failure's kill times.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ["JENNY_BIN"]
SHARED = os.environ.get("JENNY_SHARED_DATA", "")
SEED = int(os.environ.get("JENNY_RESUME_SEED", random.randrange(1 << 30)))
rng = random.Random(SEED)
failures = []
TOTAL_STEPS = 16  # schedule.total_steps in BASE

# Synthetic data on 2 threads (the threads' reductions must be deterministic too), the token
# dataset on 1 (quicker on a loaded machine). 16 steps, a checkpoint every 2, an eval every 3.
BASE = """\
batch: {micro_batch: 4, seq_len: 32, grad_accum: 2}
optim: {lr_max: 3.0e-3}
schedule: {kind: cosine, warmup_steps: 2, total_steps: 16}
eval: {every: 3, batches: 2}
checkpoint: {every_steps: 2, keep_last: 2}
seed: 7
"""
SYNTHETIC = """\
model: {vocab_size: 512, hidden_size: 96, intermediate_size: 256, num_hidden_layers: 2,
        num_attention_heads: 4, max_position_embeddings: 64}
data: {synthetic: true}
threads: 2
"""


def fail(msg):
    print("FAIL: " + msg, flush=True)
    failures.append(msg)


def train(cfg, out_dir, *extra, **kw):
    return subprocess.Popen([BIN, "train", cfg, "--set", "out_dir=" + out_dir, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def finish(p):
    out, _ = p.communicate()
    return p.returncode, out


def metrics(out_dir):
    keys = ("step", "loss", "lr", "grad_norm", "val_loss", "skipped")
    with open(os.path.join(out_dir, "metrics.jsonl")) as f:
        return [{k: d.get(k) for k in keys} for d in map(json.loads, f)]


def final_checkpoint(out_dir):
    root = os.path.join(out_dir, "checkpoints")
    steps = sorted(d for d in os.listdir(root) if d.startswith("step-"))
    return os.path.join(root, steps[-1])


def same_bytes(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def compare(name, ref, got):
    """The run in `got` ends exactly like the uninterrupted one in `ref`."""
    ok = True
    for rel in ("model.safetensors", "optimizer.safetensors", "trainer_state.json"):
        a, b = os.path.join(final_checkpoint(ref), rel), os.path.join(final_checkpoint(got), rel)
        if os.path.basename(final_checkpoint(ref)) != os.path.basename(final_checkpoint(got)):
            fail(f"{name}: final checkpoint {final_checkpoint(got)} vs {final_checkpoint(ref)}")
            return
        if not same_bytes(a, b):
            fail(f"{name}: {b} differs from the uninterrupted run's {a}")
            ok = False
    for f in sorted(os.listdir(os.path.join(ref, "model"))):
        a, b = os.path.join(ref, "model", f), os.path.join(got, "model", f)
        if not os.path.exists(b) or not same_bytes(a, b):
            fail(f"{name}: {b} differs from (or lacks) the uninterrupted run's {a}")
            ok = False
    m_ref, m_got = metrics(ref), metrics(got)
    if m_ref != m_got:
        fail(f"{name}: metrics.jsonl differs:\n  uninterrupted {m_ref}\n  resumed       {m_got}")
        ok = False
    if ok:
        print(f"ok: {name}: final weights, optimizer and trainer state, out_dir/model and "
              f"{len(m_got)} metrics lines are bit-identical", flush=True)


def checkpoint_tmps(out_dir):
    try:
        return {d for d in os.listdir(os.path.join(out_dir, "checkpoints")) if d.startswith(".tmp-")}
    except FileNotFoundError:
        return set()


def last_logged_step(out_dir):
    try:
        with open(os.path.join(out_dir, "metrics.jsonl")) as f:
            lines = [l for l in f.read().split("\n")[:-1] if l]
        return json.loads(lines[-1])["step"] if lines else 0
    except (FileNotFoundError, ValueError, KeyError):
        return 0


def newest_checkpoint_step(out_dir):
    try:
        names = os.listdir(os.path.join(out_dir, "checkpoints"))
    except FileNotFoundError:
        return 0
    return max([int(d[5:]) for d in names if d.startswith("step-")], default=0)


def run_with_kills(name, cfg, out_dir, run_seconds):
    """Trains to the end with --resume, SIGKILLing the process once per mode of a shuffled list:
    early (a random moment of the first half second, or of the first 30 % of an uninterrupted
    run's `run_seconds` when that is shorter: loading, the static files, the metrics rewrite),
    mid-step (a random moment of the 1st to 3rd step after the newest checkpoint) and
    mid-checkpoint (while a checkpoint's temporary directory exists)."""
    kills = {"early": 0, "mid-step": 0, "mid-checkpoint": 0}
    modes = ["early", "mid-step", "mid-step", "mid-checkpoint", "mid-checkpoint", "mid-checkpoint"]
    rng.shuffle(modes)
    for mode in modes + ["none"]:
        target_step = min(newest_checkpoint_step(out_dir) + rng.randint(1, 3), TOTAL_STEPS)
        # A checkpoint's .tmp-* left by an earlier killed run stays until the next save: wait
        # for a new one (its name holds the writer's pid).
        stale = checkpoint_tmps(out_dir)
        p = train(cfg, out_dir, "--resume")
        deadline = time.monotonic() + rng.uniform(0.01, min(0.5, max(0.02, 0.3 * run_seconds)))
        killed = False
        while p.poll() is None and not killed:
            if mode == "early" and time.monotonic() > deadline:
                killed = True
            elif mode == "mid-step" and last_logged_step(out_dir) >= target_step - 1:
                time.sleep(rng.uniform(0, 0.05))  # somewhere inside step target_step
                killed = True
            elif mode == "mid-checkpoint" and checkpoint_tmps(out_dir) - stale:
                time.sleep(rng.uniform(0, 0.003))  # the files stream for a while
                killed = True
            else:
                time.sleep(0.0005)
        if killed:
            p.kill()
        rc, out = finish(p)
        if killed and rc == -signal.SIGKILL:
            if mode == "mid-checkpoint" and not checkpoint_tmps(out_dir) - stale:
                mode = "mid-step"  # the checkpoint was complete when the kill landed
            kills[mode] += 1
            continue
        if rc != 0:
            fail(f"{name}: jenny train --resume exited {rc}:\n{out}")
        return kills
    return kills


def run_with_sigterm(name, cfg, out_dir):
    """SIGTERM after a few steps: exit 75 with a checkpoint; --resume finishes the run."""
    p = train(cfg, out_dir)
    mpath = os.path.join(out_dir, "metrics.jsonl")
    while p.poll() is None:
        try:
            with open(mpath) as f:
                if sum(1 for _ in f) >= 3:
                    break
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    p.send_signal(signal.SIGTERM)
    rc, out = finish(p)
    if rc != 75:
        fail(f"{name}: SIGTERM: jenny train exited {rc}, expected 75 (requeue):\n{out}")
        return
    if "run again with --resume" not in out:
        fail(f"{name}: SIGTERM: the output does not say to run again with --resume:\n{out}")
    stopped_at = len(metrics(out_dir))
    rc, out = finish(train(cfg, out_dir, "--resume"))
    if rc != 0:
        fail(f"{name}: --resume after SIGTERM exited {rc}:\n{out}")
        return
    if f"resume: step {stopped_at} from" not in out:
        fail(f"{name}: --resume after SIGTERM at step {stopped_at} did not resume there:\n{out}")
    print(f"ok: {name}: SIGTERM after step {stopped_at} -> exit 75 -> --resume", flush=True)


def scenario(name, cfg, work):
    t0 = time.monotonic()
    ref, ref2 = os.path.join(work, "ref"), os.path.join(work, "ref2")
    t_run = time.monotonic()
    rc, out = finish(train(cfg, ref))
    run_seconds = time.monotonic() - t_run
    if rc != 0:
        fail(f"{name}: uninterrupted run exited {rc}:\n{out}")
        return
    # The baseline itself must be deterministic, or no resume can match it.
    rc, out = finish(train(cfg, ref2))
    if rc != 0:
        fail(f"{name}: second uninterrupted run exited {rc}:\n{out}")
        return
    compare(name + ", two uninterrupted runs", ref, ref2)

    killed = os.path.join(work, "killed")
    kills = run_with_kills(name, cfg, killed, run_seconds)
    print(f"{name}: kill -9 {kills['early']} times early, {kills['mid-step']} times mid-step, "
          f"{kills['mid-checkpoint']} times while a checkpoint was being written", flush=True)
    if sum(kills.values()) < 5 or kills["mid-checkpoint"] < 1:
        fail(f"{name}: only {kills} kills happened; the test did not exercise resume enough")
    compare(name + ", kill -9 and --resume", ref, killed)

    termed = os.path.join(work, "sigterm")
    run_with_sigterm(name, cfg, termed)
    compare(name + ", SIGTERM and --resume", ref, termed)
    print(f"{name}: {time.monotonic() - t0:.1f} s", flush=True)


def write_corpus(path, n_docs):
    words = ("the cat dog sat on a mat and ran to big red ball little girl boy saw sun tree "
             "happy sad day she he was with play home").split()
    r = random.Random(1)
    with open(path, "w") as f:
        for _ in range(n_docs):
            f.write(json.dumps({"text": " ".join(r.choice(words) for _ in range(40)) + "."}) + "\n")


def main():
    print(f"JENNY_RESUME_SEED={SEED}", flush=True)
    work = tempfile.mkdtemp(prefix="jenny_resume_")
    try:
        cfg = os.path.join(work, "synthetic.yaml")
        with open(cfg, "w") as f:
            f.write(BASE + SYNTHETIC)
        scenario("synthetic", cfg, os.path.join(work, "synthetic"))

        tok = os.path.join(SHARED, "models/stories260K/tok512.bin")
        has_tokenize = subprocess.run([BIN, "tokenize-dataset", "--help"],
                                      capture_output=True).returncode == 0
        if not SHARED or not os.path.exists(tok) or not has_tokenize:
            print("skip: real-data run (no stories260K tokenizer under JENNY_SHARED_DATA, "
                  "or no jenny tokenize-dataset)")
        else:
            corpus = os.path.join(work, "corpus.jsonl")
            write_corpus(corpus, 400)
            prefix = os.path.join(work, "data", "train")
            r = subprocess.run([BIN, "tokenize-dataset", corpus, "--tokenizer", tok,
                                "--output", prefix, "--threads", "1"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                fail(f"jenny tokenize-dataset exited {r.returncode}:\n{r.stdout}{r.stderr}")
            else:
                cfg = os.path.join(work, "real.yaml")
                with open(cfg, "w") as f:
                    f.write(BASE + f"""\
model: {{tokenizer: {tok}, hidden_size: 96, intermediate_size: 256, num_hidden_layers: 2,
        num_attention_heads: 4, max_position_embeddings: 64}}
data: {{train: [{{path: {prefix}}}], val_fraction: 0.05}}
threads: 1
""")
                scenario("token dataset", cfg, os.path.join(work, "real"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failure(s); replay with JENNY_RESUME_SEED={SEED}")
        return 1
    print("all ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
