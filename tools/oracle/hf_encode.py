#!/usr/bin/env python3
"""Oracle: encodes a JSONL corpus with Hugging Face `tokenizers` and writes one JSON list of ids
per line. Usage: hf_encode.py TOKENIZER_JSON CORPUS.jsonl OUT.jsonl [--no-special]"""
import json
import sys

from tokenizers import Tokenizer


def main():
    tok = Tokenizer.from_file(sys.argv[1])
    add_special = "--no-special" not in sys.argv
    with open(sys.argv[2], encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    encs = tok.encode_batch(texts, add_special_tokens=add_special)
    with open(sys.argv[3], "w") as out:
        for e in encs:
            out.write(json.dumps(e.ids) + "\n")


if __name__ == "__main__":
    main()
