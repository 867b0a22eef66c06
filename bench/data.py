#!/usr/bin/env python3
"""Scenario benchmark: `jenny data run` against datatrove 0.10.1 (PyPI) on the same real text,
in the same run, one core each: MB of document text per CPU-second for

  filters   gopher_repetition -> gopher_quality -> c4_quality -> fineweb_quality -> pii
            (e-mail and public IPs, as datatrove's PIIFormatter), JSONL in and out
  minhash   MinHash near-dup dedup, 5-grams, 14 bands x 8 rows, 64-bit: every stage
            (signatures, buckets, clusters, filter), and the signature part alone
  tokenize  the Llama 3 tokenizer (shared/data/tokenizers/hf-llama3/tokenizer.json), EOS after
            each document; datatrove's DocumentTokenizer with Hugging Face tokenizers

  .venv/bin/python bench/data.py [BUILD_DIR] [--mb 200] [--rounds 1] [--stages filters,...]

The corpus (built once into --work, deterministic, >= --mb MB of text): Debian's own
documentation — Linux kernel docs (linux-doc-6.1, reStructuredText), Python 3.11's
(python3.11-doc, reStructuredText sources), PostgreSQL's and Django's HTML manuals (tags
stripped), man pages (troff requests stripped; not the Google Cloud SDK's gcloud-* pages some
machines carry), and /usr/share/doc changelogs, READMEs and NEWS
— cut at paragraph boundaries into documents of 1..12 KB, shuffled. `scripts/setup.sh --bench`
installs the packages.

Each tool runs as its own process with one task and one worker; jenny with --workers 1 and
tokenize threads 1, datatrove in-process with RAYON_NUM_THREADS=1. "Per core" is text MB
divided by the process's CPU seconds (user + system of the reaped child, getrusage), so a tool
that used a second core would not gain from it; wall seconds are printed too. Rounds alternate which tool goes first.
Prints a JSON line per run and a Markdown table for bench/RESULTS.md.
"""
import argparse
import glob
import gzip
import html.parser
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
TOKENIZER = os.path.join(SHARED, "tokenizers", "hf-llama3", "tokenizer.json")
PY = os.path.join(ROOT, ".venv", "bin", "python")


# ---- corpus ---------------------------------------------------------------------------------

class HtmlText(html.parser.HTMLParser):
    """Text of an HTML page: script/style/nav/header/footer skipped, block tags -> newlines."""
    SKIP = {"script", "style", "nav", "header", "footer", "head"}
    BLOCK = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "br", "dt", "dd",
             "section", "table", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n\n" if tag in ("p", "pre", "h1", "h2", "h3", "section") else "\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_text(raw):
    p = HtmlText()
    p.feed(raw)
    text = "".join(p.out)
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text)


TROFF_TEXT = {"SH", "SS", "B", "I", "BR", "IR", "RB", "RI", "BI", "IB", "TP", "IP", "SM", "SB"}


def troff_text(raw):
    out = []
    for line in raw.split("\n"):
        if line.startswith((".", "'")):
            parts = line[1:].split(None, 1)
            if not parts or parts[0] not in TROFF_TEXT or len(parts) < 2:
                if parts and parts[0] in ("PP", "LP", "P", "SH", "SS", "TP", "IP"):
                    out.append("")
                continue
            line = parts[1].replace('"', "")
        line = re.sub(r"\\f[BIRP1-9]|\\f\(..|\\f\[[^]]*\]|\\s[-+]?\d|\\&|\\c", "", line)
        line = re.sub(r"\\\(..|\\\*\(..|\\\*.", " ", line)
        out.append(line.replace("\\-", "-").replace("\\e", "\\").replace("\\ ", " "))
    return "\n".join(out)


def read(path):
    try:
        with open(path, "rb") as f:
            raw = f.read(8_000_000)
        if path.endswith(".gz"):
            raw = gzip.decompress(raw)
        return raw.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile, ValueError):
        return ""


def files(*patterns):
    out = []
    for pat in patterns:
        out += [p for p in glob.glob(pat, recursive=True) if os.path.isfile(p) and not os.path.islink(p)]
    return sorted(set(out))


D = "/usr/share/doc"
SOURCES = [  # name, cap in MB (None: all), files, text of a file
    ("linux-doc rst", None, lambda: files(f"{D}/linux-doc-6.1/Documentation/**/*.rst.gz",
                                          f"{D}/linux-doc-6.1/Documentation/**/*.txt.gz",
                                          f"{D}/linux-doc-6.1/Documentation/**/*.rst",
                                          f"{D}/linux-doc-6.1/Documentation/**/*.txt"), read),
    ("python rst", None, lambda: files(f"{D}/python3.11/html/_sources/**/*.txt"), read),
    ("postgresql html", None, lambda: files(f"{D}/postgresql-doc-15/html/*.html"),
     lambda p: html_text(read(p))),
    ("django html", None, lambda: files(f"{D}/python-django-doc/html/**/*.html"),
     lambda p: html_text(read(p))),
    ("man pages", 60, lambda: [f for f in files("/usr/share/man/man[1-8]/*.gz")
                               if not os.path.basename(f).startswith("gcloud")],
     lambda p: troff_text(read(p))),
    ("changelogs, READMEs, NEWS", None, lambda: files(f"{D}/*/changelog*", f"{D}/*/README*",
                                                      f"{D}/*/NEWS*", f"{D}/*/*.txt*"), read),
]
PACKAGES = "linux-doc-6.1 python3.11-doc postgresql-doc-15 python-django-doc"


def documents(text, rng):
    """Paragraph runs of 1..12 KB."""
    doc, size, want = [], 0, rng.randint(1000, 12000)
    for para in re.split(r"\n\s*\n", text):
        para = para.strip("\n")
        if not para.strip():
            continue
        doc.append(para)
        size += len(para) + 2
        if size >= want:
            yield "\n\n".join(doc)
            doc, size, want = [], 0, rng.randint(1000, 12000)
    if doc and size >= 200:
        yield "\n\n".join(doc)


def build_corpus(path, mb):
    rng = random.Random(8)
    docs, per_source = [], {}
    for name, cap, list_files, text_of in SOURCES:
        got = 0
        for f in list_files():
            if cap and got >= cap * 1e6:
                break
            for d in documents(text_of(f), rng):
                docs.append(d)
                got += len(d.encode())
        per_source[name] = got
    total = sum(per_source.values())
    print("corpus sources (MB): " + ", ".join(f"{k} {v / 1e6:.1f}" for k, v in per_source.items()),
          file=sys.stderr)
    if total < mb * 1e6:
        sys.exit(f"only {total / 1e6:.0f} MB of text from the Debian docs; install {PACKAGES} "
                 "(scripts/setup.sh --bench) or pass a smaller --mb")
    rng.shuffle(docs)
    kept, size = [], 0
    for d in docs:
        if size >= mb * 1e6:
            break
        kept.append(d)
        size += len(d.encode())
    tmp = path + ".partial"
    with open(tmp, "w", encoding="utf-8") as f:
        for i, d in enumerate(kept):
            f.write(json.dumps({"id": f"doc{i}", "text": d}, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    with open(path + ".meta", "w") as f:
        json.dump({"docs": len(kept), "text_bytes": size, "sources_mb": per_source}, f)


# ---- runs ------------------------------------------------------------------------------------

def timed(cmd, env=None):
    """(wall s, stdout, stderr) of a child process; its CPU time shows in children_cpu()."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}:\n{err[-3000:]}")
    return wall, out, err


def children_cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


JENNY_BLOCKS = {
    "filters": "[gopher_repetition, gopher_quality, c4_quality, fineweb_quality, "
               "{pii: {phone: false, id: false}}]",
    "minhash": "[{minhash: {n_grams: 5, num_bands: 14, rows_per_band: 8}}]",
    "tokenize": "[{tokenize: {tokenizer: %s, threads: 1}}]" % TOKENIZER,
}


def run_jenny(jenny, stage, corpus, work):
    out = os.path.join(work, f"jenny_{stage}")
    shutil.rmtree(out, ignore_errors=True)
    pipe = os.path.join(work, f"jenny_{stage}.yaml")
    with open(pipe, "w") as f:
        f.write(f"inputs: [{{path: {corpus}}}]\noutput: {out}\ntasks: 1\nwrite_excluded: false\n"
                f"blocks: {JENNY_BLOCKS[stage]}\n")
    c0 = children_cpu()
    wall, _, _ = timed([jenny, "data", "run", pipe, "--workers", "1", "--no-progress"])
    cpu = children_cpu() - c0
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    parts = {b["name"]: round(b.get("seconds", 0), 2) for b in report["blocks"]}
    return {"tool": "jenny", "stage": stage, "wall": wall, "cpu": cpu, "block_seconds": parts,
            "docs_out": report["docs_written"], "tokens": report.get("tokens", 0)}


def run_datatrove(stage, corpus, work):
    out = os.path.join(work, f"datatrove_{stage}")
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, RAYON_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cmd = [PY, os.path.join(ROOT, "bench", "data_datatrove.py"), stage, corpus, out]
    if stage == "tokenize":
        cmd += ["--tokenizer", TOKENIZER]
    c0 = children_cpu()
    wall, stdout, _ = timed(cmd, env)
    cpu = children_cpu() - c0
    parts = json.loads(stdout.strip().splitlines()[-1])
    docs_out = 0
    for f in glob.glob(os.path.join(out, "documents", "*.jsonl")):
        with open(f) as fh:
            docs_out += sum(1 for _ in fh)
    return {"tool": "datatrove", "stage": stage, "wall": wall, "cpu": cpu,
            "part_seconds": {k: round(v, 2) for k, v in parts["seconds"].items()},
            "part_cpu": {k: round(v, 2) for k, v in parts["cpu"].items()}, "docs_out": docs_out}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--mb", type=int, default=200, help="MB of document text (default 200)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--stages", default="filters,minhash,tokenize")
    ap.add_argument("--work", default="/tmp/jenny_bench_data")
    ap.add_argument("--only", choices=["jenny", "datatrove"], help="run one tool only")
    args = ap.parse_args()
    jenny = os.path.join(args.build, "bin", "jenny")
    if not os.access(jenny, os.X_OK):
        sys.exit(f"no {jenny}: build it first (cmake --build {args.build} --target jenny)")
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, f"corpus_{args.mb}mb.jsonl")
    if not os.path.exists(corpus):
        build_corpus(corpus, args.mb)
    with open(corpus + ".meta") as f:
        meta = json.load(f)
    mb = meta["text_bytes"] / 1e6
    print(json.dumps({"corpus": corpus, **meta}), flush=True)

    stages = [s for s in args.stages.split(",") if s]
    results = []
    for r in range(args.rounds):
        for stage in stages:
            order = ["jenny", "datatrove"] if r % 2 == 0 else ["datatrove", "jenny"]
            if args.only:
                order = [args.only]
            for tool in order:
                res = (run_jenny(jenny, stage, corpus, args.work) if tool == "jenny"
                       else run_datatrove(stage, corpus, args.work))
                res.update(round=r, mb=round(mb, 1), mb_per_cpu_s=round(mb / res["cpu"], 3),
                           wall=round(res["wall"], 2), cpu=round(res["cpu"], 2))
                print(json.dumps(res), flush=True)
                results.append(res)

    print(f"\n| stage | jenny MB/s/core | datatrove MB/s/core | jenny / datatrove | jenny wall s | "
          f"datatrove wall s |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for stage in stages:
        j = [x for x in results if x["stage"] == stage and x["tool"] == "jenny"]
        d = [x for x in results if x["stage"] == stage and x["tool"] == "datatrove"]
        jm = statistics.median(x["mb_per_cpu_s"] for x in j) if j else float("nan")
        dm = statistics.median(x["mb_per_cpu_s"] for x in d) if d else float("nan")
        jw = statistics.median(x["wall"] for x in j) if j else float("nan")
        dw = statistics.median(x["wall"] for x in d) if d else float("nan")
        print(f"| {stage} | {jm:.2f} | {dm:.2f} | {jm / dm:.1f}x | {jw:.1f} | {dw:.1f} |")
        if stage == "minhash" and j and d:
            # jenny: the block's own time (signing every document, then the filter's lookups);
            # datatrove: the CPU time of its signature stage (reading included).
            js = statistics.median(mb / x["block_seconds"]["minhash"] for x in j)
            ds = statistics.median(mb / x["part_cpu"]["signatures"] for x in d)
            print(f"| minhash signatures | {js:.2f} | {ds:.2f} | {js / ds:.1f}x | | |")


if __name__ == "__main__":
    main()
