#!/usr/bin/env python3
"""jenny train under `mpirun -np 2` (data parallel, ZeRO-1, elastic resume, collective timeouts).

(a) 2 ranks x 1 thread x accumulation 2 reach the weights of 1 process with accumulation 4 (the
    same global batch of 8 samples) after 20 steps: every tensor within 1e-6 relative (max
    |a - b| over max |a|), every loss within 1e-6 relative.
(b) Elastic 2 -> 1 -> 2: 2 ranks to step 6 (checkpoint), 1 rank to step 12, 2 ranks to the end.
    The metrics.jsonl losses and the final weights and AdamW state match the uninterrupted
    2-rank run (same tolerance: only the order of float sums differs, never the data or the
    optimiser state); trainer_state.json records global_batch 8.
(c) A rank dying mid-run: rank 1 SIGSTOPs itself at step 5 (dist.timeout_s 4): rank 0's
    collective times out with a message naming the collective, the step and the rank, and the
    job exits non-zero well within the hard limit; rank 1 SIGKILLed at step 5: the job ends
    non-zero too.
(e) SIGUSR1 to mpirun (forwarded to every rank): every rank stops after the same step with a
    checkpoint, the job exits 75 (requeue), and --resume on 2 ranks continues from that step.
(d) Bad input: a global batch that does not divide into ranks x micro_batch exits 2 with the
    numbers in the message, on 2 ranks and on 1; a resume with another batch.global_batch than
    the checkpoint's exits 2.

Needs JENNY_BIN (built with MPI) and mpirun; exits 77 (skip) without them.
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from array import array

BIN = os.environ["JENNY_BIN"]
MPIRUN = shutil.which("mpirun")
TOL = 1e-6
failures = []

CONFIG = """\
model: {vocab_size: 512, hidden_size: 64, intermediate_size: 160, num_hidden_layers: 2,
        num_attention_heads: 4, max_position_embeddings: 64}
data: {synthetic: true}
batch: {micro_batch: 2, seq_len: 32, grad_accum: 2}
optim: {lr_max: 3.0e-3}
schedule: {kind: cosine, warmup_steps: 2, total_steps: 20}
eval: {every: 0, batches: 2}
checkpoint: {every_steps: 2, keep_last: 2}
dist: {timeout_s: 60}
threads: 1
seed: 11
log_every: 5
"""

MPI_ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl="self,vader", OMPI_MCA_btl_vader_single_copy_mechanism="none",
               OMPI_MCA_rmaps_base_oversubscribe="1")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    failures.append(msg)


def run(cmd, env=None, timeout=300):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=env or MPI_ENV, timeout=timeout)
    return p.returncode, p.stdout, time.monotonic() - t0


def train(cfg, out_dir, ranks, *extra, env=None, timeout=300):
    cmd = [BIN, "train", cfg, "--set", "out_dir=" + out_dir, *extra]
    if ranks > 1:
        cmd = [MPIRUN, "-np", str(ranks)] + cmd
    return run(cmd, env=env, timeout=timeout)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (path, name, info["dtype"])
        b, e = info["data_offsets"]
        out[name] = array("f", data[b:e])
    return out, header.get("__metadata__", {})


def rel_diff(a, b):
    """(||a - b|| / ||a||, max |a - b| / max |a|) of one tensor."""
    num = sum((x - y) * (x - y) for x, y in zip(a, b))
    den = max(sum(x * x for x in a), 1e-60)
    scale = max(max(abs(x) for x in a), 1e-30)
    return (num / den) ** 0.5, max(abs(x - y) for x, y in zip(a, b)) / scale


def final_checkpoint(out_dir):
    root = os.path.join(out_dir, "checkpoints")
    return os.path.join(root, sorted(d for d in os.listdir(root) if d.startswith("step-"))[-1])


def losses(out_dir):
    with open(os.path.join(out_dir, "metrics.jsonl")) as f:
        return [(d["step"], d["loss"], d["grad_norm"]) for d in map(json.loads, f)]


def compare_runs(name, ref, got, files=("model.safetensors",)):
    """Worst relative difference of every tensor and every loss / grad norm; fails above TOL."""
    worst, worst_max = 0.0, 0.0
    for fname in files:
        a, ma = read_safetensors(os.path.join(final_checkpoint(ref), fname))
        b, mb = read_safetensors(os.path.join(final_checkpoint(got), fname))
        if sorted(a) != sorted(b):
            fail(f"{name}: {fname} tensor names differ")
            return
        if ma.get("adamw_step") != mb.get("adamw_step"):
            fail(f"{name}: {fname} adamw_step {mb.get('adamw_step')} vs {ma.get('adamw_step')}")
        for t in a:
            d, dmax = rel_diff(a[t], b[t])
            worst, worst_max = max(worst, d), max(worst_max, dmax)
            if d > TOL:
                fail(f"{name}: {fname} {t} differs by {d:.3g} relative (> {TOL})")
    la, lb = losses(ref), losses(got)
    if [s for s, _, _ in la] != [s for s, _, _ in lb]:
        fail(f"{name}: metrics.jsonl steps differ: {[s for s, _, _ in lb]}")
        return
    worst_loss = max(max(abs(x[1] - y[1]) / abs(x[1]), abs(x[2] - y[2]) / abs(x[2]))
                     for x, y in zip(la, lb))
    if worst_loss > TOL:
        fail(f"{name}: losses / grad norms differ by {worst_loss:.3g} relative (> {TOL}):\n"
             f"  {la}\n  {lb}")
    print(f"ok: {name}: weights{'' if len(files) == 1 else ' and AdamW state'} within "
          f"{worst:.2g} relative (||a-b||/||a|| per tensor; max |a-b|/max |a| {worst_max:.2g}), "
          f"{len(la)} losses and grad norms within {worst_loss:.2g} relative", flush=True)


def main():
    if MPIRUN is None:
        print("skip: no mpirun")
        return 77
    version = subprocess.run([BIN, "--version"], stdout=subprocess.PIPE, text=True).stdout
    if "mpi=on" not in version:
        print("skip: jenny built without MPI: " + version.strip())
        return 77
    work = tempfile.mkdtemp(prefix="jenny-mpi-")
    t_start = time.monotonic()
    try:
        cfg = os.path.join(work, "cfg.yaml")
        with open(cfg, "w") as f:
            f.write(CONFIG)
        one, two = os.path.join(work, "one"), os.path.join(work, "two")

        # (a) 1 process x accumulation 4 vs 2 ranks x accumulation 2.
        rc, out1, t1 = train(cfg, one, 1, "--set", "batch.grad_accum=4")
        if rc != 0:
            fail(f"1 process exited {rc}:\n{out1}")
            return 1
        rc, out2, t2 = train(cfg, two, 2)
        if rc != 0:
            fail(f"mpirun -np 2 exited {rc}:\n{out2}")
            return 1
        if "data parallel: 2 ranks × micro_batch 2 × accum 2 = global batch 8" not in out2:
            fail("the 2-rank run does not log its data-parallel layout:\n" + out2)
        if out2.count("step     20/20") != 1:
            fail("progress is not printed by rank 0 alone:\n" + out2)
        compare_runs(f"(a) 2 ranks x accum 2 vs 1 process x accum 4 ({t2:.1f} s vs {t1:.1f} s)",
                     one, two)

        # (b) Elastic 2 -> 1 -> 2 against the uninterrupted 2-rank run.
        el = os.path.join(work, "elastic")
        rc, out, _ = train(cfg, el, 2, "--max-steps", "6")
        if rc != 0:
            fail(f"elastic, 2 ranks to step 6: exit {rc}:\n{out}")
            return 1
        rc, out, _ = train(cfg, el, 1, "--resume", "--max-steps", "6")
        if rc != 0 or "resume: step 6 from" not in out or "accum 4 = global batch 8" not in out:
            fail(f"elastic, 1 rank from step 6: exit {rc}:\n{out}")
            return 1
        rc, out, _ = train(cfg, el, 2, "--resume")
        if rc != 0 or "resume: step 12 from" not in out:
            fail(f"elastic, 2 ranks from step 12: exit {rc}:\n{out}")
            return 1
        compare_runs("(b) elastic 2 -> 1 -> 2 vs uninterrupted 2 ranks", two, el,
                     ("model.safetensors", "optimizer.safetensors"))
        with open(os.path.join(final_checkpoint(el), "trainer_state.json")) as f:
            state = json.load(f)
        if state.get("global_batch") != 8 or state.get("step") != 20:
            fail(f"(b) trainer_state.json: global_batch {state.get('global_batch')}, "
                 f"step {state.get('step')}")

        # (c) A rank that stops (SIGSTOP) or dies (SIGKILL) at step 5.
        for how in ("stop", "kill"):
            env = dict(MPI_ENV, JENNY_TEST_DIST_FAULT=f"1:5:{how}")
            try:
                rc, out, secs = train(cfg, os.path.join(work, "fault-" + how), 2,
                                      "--set", "dist.timeout_s=4", env=env, timeout=90)
            except subprocess.TimeoutExpired:
                fail(f"(c) rank 1 {how}: the job hung past 90 s")
                continue
            if rc == 0:
                fail(f"(c) rank 1 {how}: the job exited 0:\n{out}")
                continue
            if how == "stop" and not ("collective timeout" in out and "at step 5 on rank 0 of 2"
                                      in out and "a rank died or hangs" in out):
                fail(f"(c) rank 1 stop: no clear timeout message from rank 0:\n{out}")
                continue
            print(f"ok: (c) rank 1 {how} at step 5: the job exited {rc} after {secs:.1f} s"
                  + (" with: " + next(l for l in out.splitlines() if "collective timeout" in l)
                     if how == "stop" else ""), flush=True)

        # (e) SIGUSR1 to mpirun: checkpoint, exit 75, resume.
        sig_dir = os.path.join(work, "sigusr1")
        p = subprocess.Popen([MPIRUN, "-np", "2", BIN, "train", cfg, "--set", "out_dir=" + sig_dir,
                              "--set", "schedule.total_steps=100000"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=MPI_ENV)
        deadline = time.monotonic() + 120
        while p.poll() is None and time.monotonic() < deadline:
            try:
                with open(os.path.join(sig_dir, "metrics.jsonl")) as f:
                    if sum(1 for _ in f) >= 3:
                        break
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        p.send_signal(signal.SIGUSR1)
        try:
            out, _ = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            fail("(e) SIGUSR1: the job did not stop within 120 s")
        stopped = len(losses(sig_dir)) if os.path.exists(os.path.join(sig_dir, "metrics.jsonl")) else 0
        if p.returncode != 75 or "run again with --resume" not in out:
            fail(f"(e) SIGUSR1 to mpirun: exit {p.returncode} (want 75):\n{out[-3000:]}")
        else:
            rc, out, _ = train(cfg, sig_dir, 2, "--resume", "--max-steps", "1", "--set",
                               "schedule.total_steps=100000")
            if rc != 0 or f"resume: step {stopped} from" not in out:
                fail(f"(e) --resume after SIGUSR1 at step {stopped}: exit {rc}:\n{out}")
            else:
                print(f"ok: (e) SIGUSR1 to mpirun after step {stopped}: exit 75, --resume on 2 "
                      "ranks continues there", flush=True)

        # (d) Bad input.
        for ranks, gb, want in ((2, 6, "global batch 6 (batch.global_batch) is not divisible by "
                                       "ranks 2 × batch.micro_batch 2 = 4"),
                                (1, 5, "global batch 5 (batch.global_batch) is not divisible by "
                                       "ranks 1 × batch.micro_batch 2 = 2")):
            rc, out, _ = train(cfg, os.path.join(work, f"bad{ranks}"), ranks,
                               "--set", f"batch.global_batch={gb}", timeout=90)
            if rc != 2 or want not in out:
                fail(f"(d) global_batch {gb} on {ranks} rank(s): exit {rc} (want 2):\n{out}")
            else:
                print(f"ok: (d) global_batch {gb} on {ranks} rank(s): exit 2", flush=True)
        rc, out, _ = train(cfg, el, 2, "--resume", "--set", "batch.global_batch=16", timeout=90)
        if rc != 2 or "differs from the checkpoint's global batch 8" not in out:
            fail(f"(d) resume with another global_batch: exit {rc} (want 2):\n{out}")
        else:
            print("ok: (d) resume with batch.global_batch 16 vs the checkpoint's 8: exit 2",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failure(s) in {time.monotonic() - t_start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
