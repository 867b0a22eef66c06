#!/usr/bin/env python3
"""Oracle for jenny's GGUF reader: dumps GGUF files as read by the `gguf` PyPI package.

Usage:
  gguf_dump.py FILE...            JSON list, one object per file (see below), on stdout
  gguf_dump.py --types            the ggml type table of gguf-py (id, name, block, type size)
  gguf_dump.py --write-samples DIR
                                  writes small valid GGUFs made with gguf.GGUFWriter (every
                                  metadata type, nested arrays, several tensor types) into DIR

Per file: {"file", "ok": true, "version", "alignment", "data_offset", "n_kv", "n_tensors",
"kv": [{"key", "type", "len" (arrays), "sha256", "value" (short scalars, for humans)}],
"tensors": [{"name", "type", "type_id", "ne", "offset", "data_offset", "n_elements",
"n_bytes"}]}, or {"file", "ok": false, "error"} when gguf-py cannot read it.

"type" reads "uint32", "string", "array of string", "array of array of int32". "sha256" is the
digest of the value's canonical JSON: json.dumps(value, ensure_ascii=False,
separators=(",", ":")) with nested arrays flattened (as gguf-py returns them), floats as Python
repr (float32 widened to double), strings' bytes kept as they are (invalid UTF-8 included),
encoded as UTF-8. checkpoint_gguf_test builds the same text from jenny's reader and compares.
"""
import hashlib
import json
import os
import sys

import numpy as np

import gguf
from gguf import GGMLQuantizationType as Q
from gguf import GGUFValueType as T


def _type_name_at(parts, idx):
    """Type name of the array whose header (element type, length) starts at parts[idx]."""
    itype = T(int(parts[idx][0]))
    n = int(parts[idx + 1][0])
    if itype == T.ARRAY:
        return "array of " + (_type_name_at(parts, idx + 2) if n > 0 else "array")
    return "array of " + itype.name.lower()


def _text(b):
    return bytes(b).decode("utf-8", errors="surrogateescape")


def _field(field):
    vtype = T(int(field.parts[2][0]))
    out = {"key": field.name}
    if vtype == T.ARRAY:
        out["type"] = _type_name_at(field.parts, 3)
        out["len"] = int(field.parts[4][0])
        leaf = field.types[-1] if len(field.types) > 1 else None
        if leaf == T.STRING:
            value = [_text(field.parts[i]) for i in field.data]
        else:
            value = [v for i in field.data for v in field.parts[i].tolist()]
    elif vtype == T.STRING:
        out["type"] = "string"
        value = _text(field.parts[-1])
    else:
        out["type"] = vtype.name.lower()
        value = field.parts[-1].tolist()[0]
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    out["sha256"] = hashlib.sha256(text.encode("utf-8", errors="surrogateescape")).hexdigest()
    if vtype != T.ARRAY and len(text) <= 200:
        out["value"] = value
    return out


def dump(path):
    try:
        r = gguf.GGUFReader(path)
    except Exception as e:  # noqa: BLE001 - any failure is the answer "cannot read"
        return {"file": path, "ok": False, "error": f"{type(e).__name__}: {e}"}
    kv = [_field(f) for name, f in r.fields.items() if not name.startswith("GGUF.")]
    tensors = []
    for t in r.tensors:
        tensors.append({
            "name": t.name,
            "type": t.tensor_type.name,
            "type_id": int(t.tensor_type),
            "ne": [int(d) for d in t.shape],
            "offset": int(t.field.parts[5][0]),
            "data_offset": int(t.data_offset),
            "n_elements": int(t.n_elements),
            "n_bytes": int(t.n_bytes),
        })
    return {
        "file": path,
        "ok": True,
        "version": int(r.fields["GGUF.version"].parts[0][0]),
        "alignment": int(r.alignment),
        "data_offset": int(r.data_offset),
        "n_kv": len(kv),
        "n_tensors": len(tensors),
        "kv": kv,
        "tensors": tensors,
    }


def types():
    return [{"id": int(t), "name": t.name, "block_size": bs, "type_size": ts}
            for t, (bs, ts) in sorted(gguf.GGML_QUANT_SIZES.items())]


def _quant_tensor(w, name, qtype, ne, rng):
    """A tensor of ggml type qtype with shape ne (ne[0] contiguous), random bytes."""
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    row_bytes = ne[0] // block * size
    byte_shape = list(reversed(ne[1:])) + [row_bytes]  # numpy order, last dim in bytes
    w.add_tensor(name, rng.integers(0, 256, size=byte_shape, dtype=np.uint8), raw_dtype=qtype)


def write_samples(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(7)

    # Every scalar type, strings (incl. empty and multi-byte UTF-8), arrays of each, nested.
    path = os.path.join(out_dir, "all_types.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_uint8("t.u8", 200)
    w.add_int8("t.i8", -100)
    w.add_uint16("t.u16", 60000)
    w.add_int16("t.i16", -30000)
    w.add_uint32("t.u32", 4000000000)
    w.add_int32("t.i32", -2000000000)
    w.add_uint64("t.u64", 2**63 + 5)
    w.add_int64("t.i64", -(2**62))
    w.add_float32("t.f32", 0.1)
    w.add_float64("t.f64", -1.5e-300)
    w.add_bool("t.bool", True)
    w.add_string("t.str", "héllo \"wörld\"\n\t\\ ✓ 😀")
    w.add_string("t.empty", "")
    w.add_key_value("t.arr_u8", [1, 2, 255], T.ARRAY, T.UINT8)
    w.add_key_value("t.arr_i16", [-1, 7, 300], T.ARRAY, T.INT16)
    w.add_key_value("t.arr_u32", [0, 4000000000], T.ARRAY, T.UINT32)
    w.add_key_value("t.arr_i32", [-5, 0, 5], T.ARRAY, T.INT32)
    w.add_key_value("t.arr_i64", [-(2**40), 2**40], T.ARRAY, T.INT64)
    w.add_key_value("t.arr_u64", [2**64 - 1], T.ARRAY, T.UINT64)
    w.add_key_value("t.arr_f32", [1.0, -0.5, 3.25e-8, 1e20], T.ARRAY, T.FLOAT32)
    w.add_key_value("t.arr_f64", [0.1, 1e16, 1e-5, 123456.789], T.ARRAY, T.FLOAT64)
    w.add_key_value("t.arr_bool", [True, False, True], T.ARRAY, T.BOOL)
    w.add_key_value("t.arr_str", ["a", "", "ü", "\x01ctl", "<|end|>"], T.ARRAY, T.STRING)
    w.add_key_value("t.nested", [[1, 2], [3], [4, 5, 6]], T.ARRAY, T.ARRAY)
    w.add_key_value("t.nested_str", [["x", "y"], ["z"]], T.ARRAY, T.ARRAY)
    w.add_tensor("f32", rng.standard_normal((3, 8)).astype(np.float32))
    w.add_tensor("f16", rng.standard_normal((2, 5)).astype(np.float16))
    w.add_tensor("i32", np.arange(7, dtype=np.int32))
    _quant_tensor(w, "q4_0", Q.Q4_0, [64, 2], rng)
    _quant_tensor(w, "q8_0", Q.Q8_0, [32, 3, 2], rng)
    _quant_tensor(w, "q4_k", Q.Q4_K, [256, 1], rng)
    _quant_tensor(w, "q6_k", Q.Q6_K, [256, 2, 1, 1], rng)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # A vocabulary only (like llama.cpp's ggml-vocab-*.gguf): no tensors.
    path = os.path.join(out_dir, "vocab.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    toks = ["<unk>", "<s>", "</s>"] + [chr(0x20 + i % 90) * (1 + i % 3) + str(i) for i in range(61)]
    w.add_token_list(toks)
    w.add_token_types([1] * len(toks))
    w.add_token_merges(["a b", "Ġ t", "h e"])
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # A custom alignment and a GGUF written with a couple of larger quant types.
    path = os.path.join(out_dir, "aligned64.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_custom_alignment(64)
    w.add_uint32("llama.block_count", 1)
    _quant_tensor(w, "q2_k", Q.Q2_K, [256, 1], rng)
    _quant_tensor(w, "iq4_nl", Q.IQ4_NL, [32, 3], rng)
    _quant_tensor(w, "bf16", Q.BF16, [4, 2], rng)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main(argv):
    if len(argv) == 2 and argv[1] == "--types":
        json.dump(types(), sys.stdout)
    elif len(argv) == 3 and argv[1] == "--write-samples":
        write_samples(argv[2])
    elif len(argv) >= 2 and not argv[1].startswith("--"):
        json.dump([dump(p) for p in argv[1:]], sys.stdout, ensure_ascii=True)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
