#!/usr/bin/env python3
"""Oracle for jenny's checkpoint formats: safetensors (the `safetensors` PyPI package, i.e. the
reference Rust implementation), Hugging Face model directories (transformers), and GGUF written
by jenny (the `gguf` package, via gguf_dump.py).

Usage (from the repository root, with the project's virtualenv):
  checkpoint_oracle.py --write-fixtures      rewrite tests/fixtures/checkpoint/ (see below)
  checkpoint_oracle.py --check               regenerate into a temporary folder; exit 1 when any
                                             committed fixture differs byte for byte
  checkpoint_oracle.py --read FILE...        JSON list: each safetensors FILE as the reference
                                             implementation reads it: {"file", "ok": true,
                                             "metadata", "tensors": [{"name", "dtype", "shape",
                                             "sha256",
                                             "hex" (up to 4 KB)}]} (data order), or {"file", "ok": false,
                                             "error"}
  checkpoint_oracle.py --gguf FILE...        JSON list: gguf_dump.py's object per file, with
                                             every kv's full "value" (arrays flattened) and each
                                             tensor's "sha256" and "hex" (up to 4 KB)

Fixtures (tests/fixtures/checkpoint/):
  mixed.safetensors    every common dtype (F32 F16 BF16 I32 I64 U8 BOOL F64), a scalar, an empty
                       tensor, 4-d and 5-d tensors; metadata {"format": "pt"}
  unicode.safetensors  non-ASCII names and a metadata value with escapes
  hf_tiny/             a tiny LlamaForCausalLM saved by transformers in 2 safetensors shards
                       (config.json, generation_config.json, model.safetensors.index.json)
  manifest.json        what the reference implementation reads from each .safetensors above
Metadata has at most one key so the files are deterministic (the reference writer orders
metadata keys by hash).
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HEX_MAX = 4096  # tensors up to this many bytes also get their bytes as "hex"
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "checkpoint"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def read_safetensors(path):
    from safetensors import deserialize

    try:
        data = Path(path).read_bytes()
        tensors = deserialize(data)
        n = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + n])
    except Exception as e:  # noqa: BLE001 - any failure is the answer "cannot read"
        return {"file": str(path), "ok": False, "error": f"{type(e).__name__}: {e}"}
    offsets = {k: v["data_offsets"][0] for k, v in header.items() if k != "__metadata__"}
    out = []
    for name, t in sorted(tensors, key=lambda nt: (offsets[nt[0]], nt[0])):
        out.append({
            "name": name,
            "dtype": t["dtype"],
            "shape": list(t["shape"]),
            "sha256": hashlib.sha256(bytes(t["data"])).hexdigest(),
        })
        if len(t["data"]) <= HEX_MAX:
            out[-1]["hex"] = bytes(t["data"]).hex()
    return {"file": str(path), "ok": True, "metadata": header.get("__metadata__", {}),
            "tensors": out}


def read_gguf(path):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import gguf
    import gguf_dump

    out = gguf_dump.dump(path)
    if not out["ok"]:
        return out
    r = gguf.GGUFReader(path)
    fields = [f for name, f in r.fields.items() if not name.startswith("GGUF.")]
    for kv, field in zip(out["kv"], fields):
        if kv["type"].startswith("array of"):
            if field.types[-1] == gguf.GGUFValueType.STRING:
                kv["value"] = [bytes(field.parts[i]).decode("utf-8", "surrogateescape")
                               for i in field.data]
            else:
                kv["value"] = [v for i in field.data for v in field.parts[i].tolist()]
        elif kv["type"] == "string":
            kv["value"] = bytes(field.parts[-1]).decode("utf-8", "surrogateescape")
        else:
            kv["value"] = field.parts[-1].tolist()[0]
    for t, rt in zip(out["tensors"], r.tensors):
        t["sha256"] = hashlib.sha256(rt.data.tobytes()).hexdigest()
        if rt.data.nbytes <= HEX_MAX:
            t["hex"] = rt.data.tobytes().hex()
    return out


def write_fixtures(out_dir):
    import torch
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    mixed = {
        "w.f32": torch.randn(2, 3, generator=g),
        "w.f16": torch.randn(4, generator=g).half(),
        "w.bf16": torch.randn(2, 2, generator=g).bfloat16(),
        "ids.i32": torch.tensor([1, -2, 2**31 - 1], dtype=torch.int32),
        "ids.i64": torch.tensor([-(2**40), 5], dtype=torch.int64),
        "bytes.u8": torch.tensor([0, 7, 255], dtype=torch.uint8),
        "mask.bool": torch.tensor([True, False, True]),
        "x.f64": torch.tensor([0.1, -2.5], dtype=torch.float64),
        "scalar": torch.tensor(1.5),
        "empty": torch.zeros(0, 3),
        "four.d": torch.randn(1, 2, 1, 2, generator=g),
        "five.d": torch.randn(1, 1, 1, 1, 2, generator=g),
    }
    save_file(mixed, str(out_dir / "mixed.safetensors"), metadata={"format": "pt"})
    uni = {
        "embed.ü": torch.randn(3, 2, generator=g),
        "日本.weight": torch.randn(2, generator=g).half(),
        "q\"uote\\": torch.randn(1, generator=g),
    }
    save_file(uni, str(out_dir / "unicode.safetensors"),
              metadata={"note ✓": "line\n\t\"quoted\" \\ \u0001 é"})

    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                      tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg)
    hf = out_dir / "hf_tiny"
    if hf.exists():
        shutil.rmtree(hf)
    model.save_pretrained(hf, max_shard_size="12KB", safe_serialization=True)
    GenerationConfig(bos_token_id=1, eos_token_id=2, max_new_tokens=8).save_pretrained(hf)

    manifest = {}
    for p in sorted(out_dir.rglob("*.safetensors")):
        r = read_safetensors(p)
        r["file"] = str(p.relative_to(out_dir))
        manifest[r["file"]] = r
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) +
                                           "\n", encoding="utf-8")


def check():
    with tempfile.TemporaryDirectory() as tmp:
        write_fixtures(tmp)
        stale = []
        fresh = sorted(p.relative_to(tmp) for p in Path(tmp).rglob("*") if p.is_file())
        committed = sorted(p.relative_to(FIXTURES) for p in FIXTURES.rglob("*") if p.is_file())
        if fresh != committed:
            stale.append(f"file lists differ: {[str(p) for p in fresh]} vs "
                         f"{[str(p) for p in committed]}")
        for rel in fresh:
            a, b = Path(tmp) / rel, FIXTURES / rel
            if not b.exists() or a.read_bytes() != b.read_bytes():
                stale.append(str(rel))
        if stale:
            print("stale fixtures (rerun tools/oracle/checkpoint_oracle.py --write-fixtures):",
                  *stale, sep="\n  ", file=sys.stderr)
            return 1
    print(f"checkpoint fixtures current ({len(fresh)} files)", file=sys.stderr)
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--write-fixtures":
        write_fixtures(FIXTURES)
        print(f"wrote {FIXTURES}", file=sys.stderr)
        return 0
    if len(argv) == 2 and argv[1] == "--check":
        return check()
    if len(argv) >= 3 and argv[1] == "--read":
        json.dump([read_safetensors(p) for p in argv[2:]], sys.stdout, ensure_ascii=True)
    elif len(argv) >= 3 and argv[1] == "--gguf":
        json.dump([read_gguf(p) for p in argv[2:]], sys.stdout, ensure_ascii=True)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
