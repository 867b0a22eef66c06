#!/usr/bin/env python3
"""Dictionary conversations from WordNet 3.0 (Debian package wordnet-base, /usr/share/wordnet):
SFT data in the OpenAI chat format (docs/formats/sft.md) for the LoRA demo and benchmark.

Each conversation asks for the meaning of a word that WordNet lists with exactly one sense (so the
answer is unambiguous) and that occurs in WordNet's sense-tagged corpus (so it is a word a small
model has seen); the answer always has the same shape:

    user:       What does "violin" mean?            (one of several phrasings)
    assistant:  violin (noun): bowed stringed instrument that is the highest member of the
                violin family

That fixed shape -- word, part of speech in parentheses, colon, the WordNet gloss -- is what the
fine-tuned model should learn; `format_ok` below is the check the demo counts. No eval set is
involved: WordNet is a lexical database, not a benchmark.

    python3 tools/wordnet_chats.py OUT_DIR [--train 400] [--heldout 40] [--seed 7]

writes OUT_DIR/train.jsonl, OUT_DIR/heldout.jsonl (disjoint words) and OUT_DIR/heldout_words.tsv
(word, part of speech, gloss).
"""
import argparse
import json
import os
import random
import re
import sys

WORDNET = "/usr/share/wordnet"
POS = {"noun": "noun", "verb": "verb", "adj": "adjective"}
PHRASINGS = [
    'What does "{w}" mean?',
    'Define the word "{w}".',
    'What is the meaning of "{w}"?',
    'Give me the dictionary definition of "{w}".',
    'Explain the word "{w}".',
]
FORMAT = re.compile(r"^\s*(?P<w>[a-z]+) \((?P<pos>noun|verb|adjective)\): \S")


def format_ok(word, answer):
    """True when an answer has the trained shape "word (pos): definition"."""
    m = FORMAT.match(answer)
    return bool(m) and m.group("w") == word


def read_glosses(path):
    glosses = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("  ") or "|" not in line:
                continue
            offset = line.split(" ", 1)[0]
            gloss = line.split("|", 1)[1].strip()
            gloss = gloss.split(";", 1)[0].strip()  # the definition, not the examples
            glosses[offset] = gloss
    return glosses


def candidates(kind):
    glosses = read_glosses(os.path.join(WORDNET, "data." + kind))
    out = []
    with open(os.path.join(WORDNET, "index." + kind), encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("  "):
                continue
            t = line.split()
            lemma, p_cnt = t[0], int(t[3])
            sense_cnt, tagsense_cnt = int(t[4 + p_cnt]), int(t[5 + p_cnt])
            offsets = t[6 + p_cnt:]
            if sense_cnt != 1 or tagsense_cnt < 1 or not re.fullmatch(r"[a-z]{4,12}", lemma):
                continue
            gloss = glosses.get(offsets[0], "")
            if not (20 <= len(gloss) <= 140) or lemma in gloss.split():
                continue
            out.append((lemma, POS[kind], gloss))
    return out


def conversation(word, pos, gloss, rng):
    return {"messages": [
        {"role": "user", "content": rng.choice(PHRASINGS).format(w=word)},
        {"role": "assistant", "content": f"{word} ({pos}): {gloss}"},
    ]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--train", type=int, default=400)
    ap.add_argument("--heldout", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    if not os.path.isdir(WORDNET):
        sys.exit(f"{WORDNET} not found: install the Debian package wordnet-base")
    words = sorted(set(candidates("noun") + candidates("verb") + candidates("adj")))
    seen, unique = set(), []
    for w in words:  # a lemma that is both a noun and a verb is not unambiguous: drop both
        if w[0] in seen:
            unique = [u for u in unique if u[0] != w[0]]
            continue
        seen.add(w[0])
        unique.append(w)
    rng = random.Random(a.seed)
    rng.shuffle(unique)
    if len(unique) < a.train + a.heldout:
        sys.exit(f"only {len(unique)} candidate words")
    held, train = unique[:a.heldout], unique[a.heldout:a.heldout + a.train]
    os.makedirs(a.out_dir, exist_ok=True)
    with open(os.path.join(a.out_dir, "train.jsonl"), "w", encoding="utf-8") as f:
        for w in train:
            f.write(json.dumps(conversation(*w, rng), ensure_ascii=False) + "\n")
    with open(os.path.join(a.out_dir, "heldout.jsonl"), "w", encoding="utf-8") as f:
        for w in held:
            f.write(json.dumps(conversation(*w, rng), ensure_ascii=False) + "\n")
    with open(os.path.join(a.out_dir, "heldout_words.tsv"), "w", encoding="utf-8") as f:
        for w in held:
            f.write("\t".join(w) + "\n")
    print(f"{len(train)} train and {len(held)} held-out conversations from {len(unique)} "
          f"single-sense WordNet words -> {a.out_dir}")


if __name__ == "__main__":
    main()
