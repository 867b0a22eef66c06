#!/usr/bin/env python3
"""Builds a deterministic mixed-language test corpus from Debian text packages.

English and Chinese text come from the fortunes and fortunes-zh packages, code from C headers
in /usr/include (libc6-dev), and the rest is generated: emoji (ZWJ sequences, flags, skin
tones), odd whitespace (tabs, CRLF, NBSP, ideographic and zero-width spaces, runs of spaces),
digits, combining marks and special-token look-alikes. Output: JSONL, one {"text": ...} per
document, at least --min-bytes bytes of text in total.

Usage: mixed_corpus.py OUT.jsonl [--min-bytes N] [--seed S]
"""
import argparse
import glob
import json
import os
import random

FORTUNES = "/usr/share/games/fortunes"
CHINESE = ["chinese", "tang300", "song100"]

EMOJI = ["🦙", "🚀", "😶‍🌫️", "👩‍👩‍👧‍👦", "🇨🇳", "🇺🇸", "👍🏽", "✅", "❤️", "🎉", "🤖", "😁", "🧑🏿‍💻",
         "☕", "🌍", "🔥"]
SPACES = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\u00a0", "\u3000", "\u2009", "\u200b",
          " \n", "\t\t", "    ", "\n \n", "\u2028"]
SPECIALS = ["<|im_start|>", "<|im_end|>", "<s>", "</s>", "<|endoftext|>", "<|begin_of_text|>",
            "<unk>", "<|eot_id|>"]
ODD = ["e\u0301", "n\u0303", "ﬁ", "Ａ", "①", "½", "ÅÄÖ", "Ελληνικά", "русский", "עברית",
       "العربية", "हिन्दी", "日本語のテキスト", "한국어", "ไทย", "ကာန်", "1234567890", "3.14159",
       "0x7fff", "don't", "I'M", "we'LL", "y'all"]


def read_fortunes(names):
    texts = []
    for name in names:
        path = os.path.join(FORTUNES, name)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            raw = f.read()
        # Drop ANSI colour escapes some fortune files carry.
        raw = raw.replace("\x1b[m", "")
        for code in range(30, 38):
            raw = raw.replace(f"\x1b[{code}m", "")
        texts += [t.strip("\n") for t in raw.split("\n%\n") if t.strip()]
    return texts


def english_fortunes():
    names = []
    for path in sorted(glob.glob(os.path.join(FORTUNES, "*"))):
        base = os.path.basename(path)
        if "." in base or base in CHINESE or os.path.isdir(path):
            continue
        names.append(base)
    return read_fortunes(names)


def code_snippets():
    out = []
    # libc6-dev's own headers only: the corpus must not change when another -dev package
    # (gumbo.h, ...) is installed.
    owned = set()
    for lst in glob.glob("/var/lib/dpkg/info/libc6-dev*.list"):
        with open(lst) as f:
            owned.update(line.strip() for line in f)
    headers = [p for p in sorted(glob.glob("/usr/include/*.h")) if not owned or p in owned]
    for path in headers[:80]:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for i in range(0, min(len(text), 12000), 1500):
            out.append(text[i:i + 1500])
    return out


def generated(rng):
    parts = []
    for _ in range(rng.randint(20, 80)):
        kind = rng.random()
        if kind < 0.3:
            parts.append(rng.choice(EMOJI))
        elif kind < 0.55:
            parts.append(rng.choice(SPACES))
        elif kind < 0.85:
            parts.append(rng.choice(ODD))
        elif kind < 0.92:
            parts.append(rng.choice(SPECIALS))
        else:
            parts.append(str(rng.randint(0, 10 ** rng.randint(1, 9))))
    return "".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--min-bytes", type=int, default=1_100_000)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    english = english_fortunes()
    chinese = read_fortunes(CHINESE)
    code = code_snippets()
    if not english or not chinese or not code:
        raise SystemExit("mixed_corpus: need the fortunes, fortunes-zh and libc6-dev packages "
                         "(run scripts/setup.sh)")
    total = 0
    docs = []
    while total < args.min_bytes:
        pick = rng.random()
        n = rng.randint(1, 4)
        if pick < 0.35:
            doc = "\n\n".join(rng.choice(english) for _ in range(n))
        elif pick < 0.6:
            doc = "\n".join(rng.choice(chinese) for _ in range(n))
        elif pick < 0.8:
            doc = rng.choice(code)
        else:
            # Everything at once: the hardest case for pre-tokenizer regexes.
            doc = rng.choice(english) + generated(rng) + rng.choice(chinese) + generated(rng) + \
                rng.choice(code)[:300]
        if rng.random() < 0.2:
            doc = rng.choice(SPACES) + doc + rng.choice(SPACES)
        docs.append(doc)
        total += len(doc.encode("utf-8"))
    with open(args.out, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
    print(f"mixed_corpus: {len(docs)} documents, {total} bytes -> {args.out}")


if __name__ == "__main__":
    main()
