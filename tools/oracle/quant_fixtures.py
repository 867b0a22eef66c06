#!/usr/bin/env python3
"""Writes the fixtures jenny's GGUF block formats and 16-bit floats are tested against.

Oracle: gguf-py 0.19.0 (`gguf.quants.quantize` / `gguf.quants.dequantize`, numpy), whose
quantizers are written to be bit-exact with ggml's reference C (quantize_row_*_ref), and
PyTorch for f32 -> bf16. Files in tests/fixtures/tensor/ (read by src/tensor/quant_test.cpp):

    q8_0.bin q4_0.bin q4_1.bin q5_0.bin q5_1.bin  input f32 rows, gguf-py's quantized bytes,
                                                  gguf-py's dequantization of those bytes
    q8_K.bin                                      the same from this script's numpy port of
                                                  ggml's quantize_row_q8_K_ref (gguf-py has no
                                                  Q8_K), checked against ggml's C when present
    q4_K.bin q5_K.bin q6_K.bin                    random valid blocks and gguf-py's dequant
    f16.bin                                       all 65536 f16 -> f32; edge/random f32 -> f16
    bf16.bin                                      edge/random f32 -> bf16 (gguf-py = ggml, and
                                                  torch), bf16 -> f32

Each file is a list of named arrays, little-endian:
    magic "JTF1", u32 count, then per array: u32 name length, name (ASCII),
    u32 element kind (0 f32, 1 u8, 2 u16, 3 u32), u64 element count, the elements.
Every quant file has "rows" and "cols" (u32, one element each); "input" (f32, rows*cols) when
the type can be quantized; "quant" (u8, the row bytes); "dequant" (f32).

Usage (from the repository root, with the project's virtualenv):
    .venv/bin/python tools/oracle/quant_fixtures.py            # rewrite the fixtures
    .venv/bin/python tools/oracle/quant_fixtures.py --check    # exit 1 if any file differs
With llama-cpp-python installed (tools/requirements-bench.txt) --check also runs ggml's own C
reference quantizers (libggml-base) over the same inputs and reports where gguf-py differs;
for q8_K, whose bytes come from the port here, a difference is an error.
"""

import argparse
import ctypes
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "tensor"

KIND_F32, KIND_U8, KIND_U16, KIND_U32 = 0, 1, 2, 3
KINDS = {np.dtype(np.float32): KIND_F32, np.dtype(np.uint8): KIND_U8,
         np.dtype(np.uint16): KIND_U16, np.dtype(np.uint32): KIND_U32}

COLS = 256  # one q8_K super-block or eight 32-element blocks per row
QK_K = 256


def write_arrays(path, arrays):
    out = bytearray(b"JTF1")
    out += struct.pack("<I", len(arrays))
    for name, arr in arrays:
        arr = np.ascontiguousarray(arr)
        out += struct.pack("<I", len(name)) + name.encode("ascii")
        out += struct.pack("<IQ", KINDS[arr.dtype], arr.size)
        out += arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
    path.write_bytes(bytes(out))


# ---------------------------------------------------------------- inputs for the quantizers

def anchor_block(qtype, b, rng):
    """Values on the rounding boundaries of `qtype` with a scale of exactly 1 (or 1/16 for
    the f16-scaled types), exactly and one ulp either side."""
    if qtype in (T.Q4_0, T.Q5_0):
        half = 8 if qtype == T.Q4_0 else 16
        # max = -half gives d = 1, id = 1: q = trunc(x + half + 0.5); boundaries at k - 0.5.
        ks = rng.integers(-half, half, size=b).astype(np.float32) + np.float32(0.5)
    elif qtype in (T.Q4_1, T.Q5_1):
        top = 15 if qtype == T.Q4_1 else 31
        # min = 0, max = top gives d = 1: q = trunc(x + 0.5); boundaries at k + 0.5.
        ks = rng.integers(0, top, size=b).astype(np.float32) + np.float32(0.5)
    else:  # Q8_0, Q8_K: d = 1 (amax 127, or max -127 for Q8_K): round on k + 0.5
        ks = rng.integers(-126, 126, size=b).astype(np.float32) + np.float32(0.5)
    nudge = rng.integers(-1, 2, size=b)
    x = np.where(nudge < 0, np.nextafter(ks, np.float32(-np.inf)),
                 np.where(nudge > 0, np.nextafter(ks, np.float32(np.inf)), ks))
    x = x.astype(np.float32)
    if qtype in (T.Q4_0, T.Q5_0):
        x[b // 3] = -(8 if qtype == T.Q4_0 else 16)
    elif qtype in (T.Q4_1, T.Q5_1):
        x[1], x[b - 2] = 0, (15 if qtype == T.Q4_1 else 31)
    elif qtype == T.Q8_0:
        x[5] = -127
    else:
        x[7] = -127
    return x


def fma_sensitive_block(qtype, b, rng):
    """Values where rounding x * id before adding the offset (numpy, ggml's C) and a fused
    multiply-add (what a compiler may emit for x * id + 8.5 under -march=native) land on
    different codes; the anchors fix a scale whose 1/d is not a power of two."""
    s = np.float32(rng.uniform(0.6, 1.9))
    if qtype in (T.Q4_0, T.Q5_0):
        half = 8 if qtype == T.Q4_0 else 16
        anchors = np.array([-half * s], np.float32)
        lo, hi, off = -half * s, half * s, np.float32(half + 0.5)
        idv = np.float32(1) / (anchors[0] / np.float32(-half))
    elif qtype in (T.Q4_1, T.Q5_1):
        top = 15 if qtype == T.Q4_1 else 31
        anchors = np.array([-s, top * s - s], np.float32)
        lo, hi, off = anchors[0], anchors[1], np.float32(0.5)
        idv = np.float32(1) / ((anchors[1] - anchors[0]) / np.float32(top))
    elif qtype == T.Q8_K:
        anchors = np.array([-127 * s], np.float32)
        lo, hi, off = -126 * s, 126 * s, np.float32(12582912.0)
        idv = np.float32(-127.0) / anchors[0]
    else:
        return anchor_block(qtype, b, rng)  # q8_0 adds nothing after its multiply
    # Candidates: a few ulps around every x whose x * id + off is a code boundary.
    base0 = anchors[0] if qtype in (T.Q4_1, T.Q5_1) else np.float32(0)
    ints = np.arange(np.ceil(float(lo * idv + off)), np.floor(float(hi * idv + off)) + 1)
    bounds = ints - np.float64(off) + (0.5 if qtype == T.Q8_K else 0.0)
    centers = (bounds / np.float64(idv) + np.float64(base0)).astype(np.float32)
    x = centers.reshape(-1, 1).repeat(97, axis=1).copy()
    for j in range(1, 49):
        x[:, 48 + j] = np.nextafter(x[:, 47 + j], np.float32(np.inf))
        x[:, 48 - j] = np.nextafter(x[:, 49 - j], np.float32(-np.inf))
    x = x.reshape(-1)
    x = x[(x > lo) & (x < hi)]
    rng.shuffle(x)
    base = (x - anchors[0]).astype(np.float32) if qtype in (T.Q4_1, T.Q5_1) else x
    separate = ((base * idv).astype(np.float32) + off).astype(np.float32)
    fused = (base.astype(np.float64) * np.float64(idv) + np.float64(off)).astype(np.float32)
    if qtype == T.Q8_K:
        differ = separate != fused
    else:
        differ = np.trunc(separate) != np.trunc(fused)
    picked = x[differ][: b - anchors.size]
    fill = rng.uniform(lo, hi, b - anchors.size - picked.size).astype(np.float32)
    return np.concatenate([anchors, picked, fill]).astype(np.float32)


def quant_inputs(qtype, seed):
    """Rows of COLS floats: random normal at several scales, then adversarial blocks."""
    rng = np.random.default_rng(seed)
    b = QK_K if qtype == T.Q8_K else 32
    blocks = []
    for scale in (1e-3, 1.0, 100.0):
        for _ in range(16 if b == 32 else 2):
            blocks.append(rng.standard_normal(b, dtype=np.float32) * np.float32(scale))
    n = rng.standard_normal(b, dtype=np.float32)
    blocks += [
        np.zeros(b, np.float32),
        np.full(b, 0.7, np.float32),
        np.full(b, -3.25, np.float32),
        np.where(np.arange(b) == 9, np.float32(1000.0), n * np.float32(0.01)),
        np.where(np.arange(b) == 0, np.float32(-1000.0), n),
        np.where(np.arange(b) % 2 == 0, np.float32(2.5), np.float32(-2.5)),
        np.where(np.arange(b) % 2 == 0, np.float32(-2.5), np.float32(2.5)),
        np.where(np.arange(b) == b - 1, np.float32(5.0), np.float32(-5.0)),  # tie on |max|
        n * np.float32(1e-30),
        n * np.float32(1e-6),    # f16 scale is subnormal
        n * np.float32(1e-40),   # subnormal inputs: 1/d is inf
        np.where(np.arange(b) == 3, np.float32(1e-45), np.float32(0.0)),
        n * np.float32(4e5),     # f16 scale near its largest finite value
        n * np.float32(1e30),    # f16 scale overflows to inf
        np.abs(n) + np.float32(1.0),
        -(np.abs(n) + np.float32(1.0)),
    ]
    for _ in range(4):
        blocks.append(anchor_block(qtype, b, rng))
    for _ in range(4):
        blocks.append(fma_sensitive_block(qtype, b, rng))
    x = np.concatenate(blocks).astype(np.float32)
    pad = (-x.size) % COLS
    x = np.concatenate([x, rng.standard_normal(pad, dtype=np.float32)])
    return x.reshape(-1, COLS)


# ------------------------------------------------------------- q8_K (not in gguf-py 0.19.0)

def nearest_int(v):
    """ggml's nearest_int: the low mantissa bits of v + 1.5 * 2^23."""
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = (v.astype(np.float32) + np.float32(12582912.0)).astype(np.float32)
    return (shifted.view(np.uint32) & np.uint32(0x007FFFFF)).astype(np.int64) - 0x00400000


def quantize_q8_k(rows):
    blocks = rows.reshape(-1, QK_K).astype(np.float32)
    out = np.zeros((blocks.shape[0], 292), np.uint8)
    for i, x in enumerate(blocks):
        ax = np.abs(x)
        amax = ax.max()
        if amax == 0:
            continue  # d = 0, zero quants; ggml leaves bsums unwritten, jenny writes zeros
        mx = x[int(np.argmax(ax))]
        with np.errstate(over="ignore", divide="ignore"):
            iscale = np.float32(-127.0) / mx
            q = np.minimum(nearest_int((iscale * x).astype(np.float32)), 127)
        qs = (q & 0xFF).astype(np.uint8).view(np.int8)  # C's int -> int8_t store
        bsums = qs.astype(np.int32).reshape(16, 16).sum(axis=1).astype(np.int16)
        with np.errstate(divide="ignore"):
            d = np.float32(1.0) / iscale
        out[i, 0:4] = np.frombuffer(np.float32(d).tobytes(), np.uint8)
        out[i, 4:260] = qs.view(np.uint8)
        out[i, 260:292] = bsums.view(np.uint8)
    return out.reshape(rows.shape[0], -1)


def dequantize_q8_k(qrows):
    blocks = qrows.reshape(-1, 292)
    d = blocks[:, 0:4].copy().view(np.float32)
    qs = blocks[:, 4:260].view(np.int8).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        return (d * qs).astype(np.float32).reshape(qrows.shape[0], -1)


# ------------------------------------------------------------------ random valid K blocks

def f16_bytes(values):
    return np.asarray(values, np.float32).astype(np.float16).view(np.uint8).reshape(-1, 2)


def random_k_blocks(qtype, n_blocks, seed):
    rng = np.random.default_rng(seed)
    d = rng.uniform(1e-4, 5e-2, n_blocks) * rng.choice([-1.0, 1.0], n_blocks, p=[0.1, 0.9])
    dmin = rng.uniform(1e-4, 5e-2, n_blocks)
    d[0], dmin[0] = 0.0, 0.0          # a zero block
    d[1], dmin[1] = 6e-8, 6e-8        # subnormal f16 scales
    d[2], dmin[2] = 60000.0, 60000.0  # near the largest f16
    size = quants.GGML_QUANT_SIZES[qtype][1]
    raw = rng.integers(0, 256, (n_blocks, size), dtype=np.uint8)
    raw[3] = 0xFF  # every scale/min/quant bit set (d, dmin rewritten below)
    if qtype in (T.Q4_K, T.Q5_K):
        raw[:, 0:2] = f16_bytes(d)
        raw[:, 2:4] = f16_bytes(dmin)
    else:  # Q6_K: ql[128] qh[64] scales[16] (int8) d
        raw[:, 208:210] = f16_bytes(d)
    return raw.reshape(-1, (COLS // QK_K) * size)


# ------------------------------------------------------------------------------ the files

QUANTIZABLE = [(T.Q8_0, "q8_0"), (T.Q4_0, "q4_0"), (T.Q4_1, "q4_1"), (T.Q5_0, "q5_0"),
               (T.Q5_1, "q5_1"), (T.Q8_K, "q8_K")]
READ_ONLY = [(T.Q4_K, "q4_K"), (T.Q5_K, "q5_K"), (T.Q6_K, "q6_K")]


def shape_arrays(rows, cols):
    return [("rows", np.array([rows], np.uint32)), ("cols", np.array([cols], np.uint32))]


def quant_file(qtype, seed):
    x = quant_inputs(qtype, seed)
    with np.errstate(all="ignore"):
        if qtype == T.Q8_K:
            q = quantize_q8_k(x)
            y = dequantize_q8_k(q)
        else:
            q = quants.quantize(x, qtype)
            y = quants.dequantize(q, qtype)
    return shape_arrays(*x.shape) + [("input", x), ("quant", q.astype(np.uint8)),
                                      ("dequant", y.astype(np.float32))]


def k_file(qtype, seed):
    q = random_k_blocks(qtype, 16, seed)
    with np.errstate(all="ignore"):
        y = quants.dequantize(q, qtype)
    return shape_arrays(q.shape[0], COLS) + [("quant", q), ("dequant", y.astype(np.float32))]


def edge_f32(rng):
    """f32 values that exercise f16/bf16 rounding: ties, overflow, subnormals, NaN, inf."""
    def bits(u):
        return np.asarray(u, np.uint32).view(np.float32)
    h = np.arange(0, 0x7C00, 29, dtype=np.uint16).view(np.float16).astype(np.float32)
    ulp_f16 = np.spacing(h.astype(np.float16)).astype(np.float32)
    ties = h + ulp_f16 / 2                       # exactly half way between two f16
    near = np.concatenate([np.nextafter(ties, np.float32(np.inf)),
                           np.nextafter(ties, np.float32(-np.inf))])
    b = rng.integers(0, 0x7F80, 1024).astype(np.uint32) << 16
    bf_ties = bits(b | 0x8000)                   # half way between two bf16
    bf_odd = bits((b | 0x10000) | 0x8000)
    specials = bits([0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
                     0x7F800001, 0x7FBFFFFF, 0xFFFFFFFF, 0x7FFF8000, 0x7F7FFFFF, 0xFF7FFFFF,
                     0x00000001, 0x807FFFFF, 0x00800000, 0x477FE000, 0x477FEFFF, 0x477FF000,
                     0x477FF001, 0x33000000, 0x33000001, 0x32FFFFFF, 0x387FC000, 0x38800000,
                     0x7F7FFFFF, 0x7F7F8000, 0x7F7F7FFF])
    rnd = np.concatenate([rng.standard_normal(1024, dtype=np.float32) * np.float32(s)
                          for s in (1e-6, 1.0, 1e4)])
    wild = bits(rng.integers(0, 2**32, 1024, dtype=np.uint64).astype(np.uint32))
    x = np.concatenate([specials, ties, -ties, near, bf_ties, -bf_odd, rnd, wild])
    return x.astype(np.float32)


def f16_file(seed):
    rng = np.random.default_rng(seed)
    all_bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    with np.errstate(all="ignore"):
        widened = quants.dequantize(all_bits.view(np.uint8), T.F16).astype(np.float32)
        x = edge_f32(rng)
        narrowed = quants.quantize(x, T.F16).view(np.uint16)
    return [("f16_to_f32", widened), ("f32_input", x), ("f32_to_f16", narrowed)]


def bf16_file(seed):
    import torch  # only here: the f16 and quant fixtures need no torch

    rng = np.random.default_rng(seed)
    x = edge_f32(rng)
    with np.errstate(all="ignore"):
        ggml = quants.quantize(x, T.BF16).view(np.uint16).reshape(-1)
    t = torch.from_numpy(x.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    patterns = rng.integers(0, 65536, 4096, dtype=np.uint32).astype(np.uint16)
    widened = quants.dequantize(patterns.view(np.uint8), T.BF16).astype(np.float32)
    return [("f32_input", x), ("f32_to_bf16", ggml), ("f32_to_bf16_torch", t),
            ("bf16_input", patterns), ("bf16_to_f32", widened)]


def build_all():
    files = {}
    for seed, (qtype, name) in enumerate(QUANTIZABLE):
        files[f"{name}.bin"] = quant_file(qtype, 1000 + seed)
    for seed, (qtype, name) in enumerate(READ_ONLY):
        files[f"{name}.bin"] = k_file(qtype, 2000 + seed)
    files["f16.bin"] = f16_file(3000)
    files["bf16.bin"] = bf16_file(3001)
    return files


# ------------------------------------------------- ggml's own C, when llama-cpp-python is here

def load_ggml():
    try:
        import llama_cpp
    except ImportError:
        return None
    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    for name in ("libggml-base.so", "libggml-base.dylib"):
        if (lib_dir / name).exists():
            return ctypes.CDLL(str(lib_dir / name))
    return None


def cross_check_ggml(files):
    """Runs ggml's quantize_row_*_ref over each fixture input; returns the error count."""
    lib = load_ggml()
    if lib is None:
        print("ggml cross-check skipped: llama-cpp-python is not installed")
        return 0
    errors = 0
    for qtype, name in QUANTIZABLE:
        arrays = dict(files[f"{name}.bin"])
        x = arrays["input"]
        want = arrays["quant"]
        got = np.zeros_like(want)
        fn = getattr(lib, f"quantize_row_{name}_ref")
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        fn(x.ctypes.data, got.ctypes.data, x.size)
        bs, ts = quants.GGML_QUANT_SIZES[qtype]
        diff = np.flatnonzero((got.reshape(-1, ts) != want.reshape(-1, ts)).any(axis=1))
        where = f" (blocks {diff[:8].tolist()})" if diff.size else ""
        print(f"ggml quantize_row_{name}_ref vs fixture: "
              f"{diff.size} of {x.size // bs} blocks differ{where}")
        if qtype == T.Q8_K and diff.size:
            errors += 1
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="regenerate into a temporary directory and compare byte for byte")
    args = parser.parse_args()
    files = build_all()
    if not args.check:
        FIXTURES.mkdir(parents=True, exist_ok=True)
        for name, arrays in files.items():
            write_arrays(FIXTURES / name, arrays)
        total = sum((FIXTURES / n).stat().st_size for n in files)
        print(f"wrote {len(files)} files, {total} bytes, to {FIXTURES.relative_to(ROOT)}")
        return 0
    stale = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, arrays in files.items():
            path = Path(tmp) / name
            write_arrays(path, arrays)
            committed = FIXTURES / name
            if not committed.exists() or committed.read_bytes() != path.read_bytes():
                print(f"stale: tests/fixtures/tensor/{name} differs from what gguf-py writes now; "
                      "rerun tools/oracle/quant_fixtures.py and review the diff")
                stale += 1
    stale += cross_check_ggml(files)
    print("fixtures current" if not stale else f"{stale} problem(s)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
