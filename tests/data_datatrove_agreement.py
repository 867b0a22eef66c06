#!/usr/bin/env python3
"""Agreement of jenny's quality filters with datatrove's own (slow test; issue 8).

Corpus (built here from Debian packages, deterministic): ~2,400 documents — single fortunes,
runs of 3..12 fortunes joined by one or two newlines, runs with repeated lines and paragraphs,
Chinese fortunes (fortunes-zh), English + Chinese mixes, and excerpts of /usr/share/doc text
files (README, copyright, changelog-like prose and lists).

For each of gopher_quality, gopher_repetition, c4_quality and fineweb_quality, with datatrove's
default arguments: `jenny data run` with that one block (kept documents in documents/, dropped
ones with their reason in excluded/), and tools/oracle/datatrove_filters.py (datatrove 0.10.1
itself) on the same JSONL. A document agrees when both keep it (for C4, with the same edited
text) or both drop it for the same reason. Passes when every filter agrees on >= 99 % of the
documents; prints the per-filter agreement, the reasons seen, and the first disagreements.

Needs JENNY_BIN, the bench Python packages (datatrove, spacy: make bench-deps) and the
fortunes packages; exits 77 (skip) without them.
"""
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

BIN = os.environ.get("JENNY_BIN", "build/bin/jenny")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PY = os.path.join(REPO, ".venv", "bin", "python")
FORTUNES = "/usr/share/games/fortunes"
FILTERS = ["gopher_quality", "gopher_repetition", "c4_quality", "fineweb_quality"]


def fortunes(name):
    path = os.path.join(FORTUNES, name)
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        return [t.strip("\n") for t in f.read().split("\n%\n") if t.strip()]


def corpus():
    rng = random.Random(8)
    en = []
    for name in ["computers", "science", "literature", "people", "wisdom", "work", "education",
                 "linux", "politics", "definitions", "humorists", "miscellaneous"]:
        en += fortunes(name)
    zh = fortunes("chinese") + fortunes("tang300") + fortunes("song100")
    docs = []
    for i in range(400):
        docs.append(rng.choice(en))
    for i in range(900):
        k = rng.randint(3, 12)
        docs.append(rng.choice(["\n", "\n\n"]).join(rng.sample(en, k)))
    for i in range(300):
        parts = rng.sample(en, rng.randint(3, 8))
        parts += [rng.choice(parts) for _ in range(rng.randint(1, 4))]
        rng.shuffle(parts)
        docs.append(rng.choice(["\n", "\n\n"]).join(parts))
    for i in range(300):
        docs.append("\n".join(rng.sample(zh, rng.randint(1, 6))))
    for i in range(200):
        docs.append("\n\n".join(rng.sample(en, 3) + rng.sample(zh, 2)))
    files = sorted(glob.glob("/usr/share/doc/*/README*") + glob.glob("/usr/share/doc/*/copyright"))
    for path in files[:300]:
        if path.endswith(".gz"):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read(6000)
        except (UnicodeDecodeError, OSError):
            continue
        if text.strip():
            docs.append(text)
    return [{"id": f"d{i}", "text": t} for i, t in enumerate(docs)]


def jenny_verdicts(tmp, data, name):
    out = os.path.join(tmp, "out_" + name)
    pipe = os.path.join(tmp, name + ".yaml")
    with open(pipe, "w") as f:
        f.write(f"inputs: [{{path: {data}}}]\noutput: {out}\nblocks: [{name}]\n")
    p = subprocess.run([BIN, "data", "run", pipe, "--no-progress"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"jenny data run ({name}) failed:\n{p.stderr[-3000:]}")
    verdicts = {}
    for path in glob.glob(os.path.join(out, "documents", "*.jsonl")):
        for line in open(path, encoding="utf-8"):
            d = json.loads(line)
            verdicts[d["id"]] = (True, "", d["text"])
    for path in glob.glob(os.path.join(out, "excluded", "*", "*.jsonl")):
        for line in open(path, encoding="utf-8"):
            d = json.loads(line)
            verdicts[d["id"]] = (False, d["reason"], None)
    return verdicts


def main():
    if not fortunes("computers"):
        print("skip: the fortunes package is not installed")
        return 77
    probe = subprocess.run([VENV_PY, "-c", "import datatrove, spacy"], capture_output=True)
    if probe.returncode != 0:
        print("skip: datatrove / spacy not in .venv (make bench-deps)")
        return 77
    tmp = tempfile.mkdtemp(prefix="jenny_dt_agree_")
    failed = False
    try:
        docs = corpus()
        data = os.path.join(tmp, "corpus.jsonl")
        with open(data, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        oracle = os.path.join(tmp, "oracle.jsonl")
        p = subprocess.run([VENV_PY, os.path.join(REPO, "tools/oracle/datatrove_filters.py"), data,
                            oracle], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"datatrove oracle failed:\n{p.stderr[-3000:]}")
        want = {}
        for line in open(oracle, encoding="utf-8"):
            r = json.loads(line)
            want[(r["filter"], r["id"])] = r
        print(f"{len(docs)} documents")
        for name in FILTERS:
            got = jenny_verdicts(tmp, data, name)
            agree, diffs, reasons = 0, [], {}
            for d in docs:
                w = want[(name, d["id"])]
                g = got.get(d["id"])
                reasons[w["reason"] or "kept"] = reasons.get(w["reason"] or "kept", 0) + 1
                same = g is not None and g[0] == bool(w["keep"]) and (
                    (g[0] and (name != "c4_quality" or g[2] == w["text_after"])) or
                    (not g[0] and g[1] == w["reason"]))
                if same:
                    agree += 1
                else:
                    diffs.append((d["id"], g[:2] if g else None, (w["keep"], w["reason"])))
            rate = agree / len(docs)
            ok = rate >= 0.99
            failed |= not ok
            print(f"{'ok' if ok else 'FAIL'}: {name}: {agree}/{len(docs)} agree ({100 * rate:.2f} %); "
                  f"datatrove's verdicts: {dict(sorted(reasons.items()))}")
            for d in diffs[:5]:
                print(f"    {d[0]}: jenny {d[1]} datatrove {d[2]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
