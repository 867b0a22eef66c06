#!/usr/bin/env python3
"""jenny data run end to end on a real mixed corpus that setup installs from Debian.

Corpus: English fortunes (fortunes package: computers, science, literature, ...) and Chinese
ones (fortunes-zh: chinese, tang300, song100) as text files with "%" separators, a JSONL file
of the same fortunes grouped into longer documents with a few planted exact duplicates and
bad lines, and a WARC (.warc.gz, one gzip member per record, as Common Crawl writes) that this
test builds from HTML pages wrapping fortunes, with navigation, scripts and footers to drop.

Checks:
 (a) the pipeline (normalize, length, language, pii, decontaminate against GSM8K, exact and
     MinHash dedup across tasks, tokenize with the llama2.c tokenizer) runs
     over 2 tasks, prints the report table, writes report.json whose counts add up, and
     every dropped document is in excluded/ with a reason;
 (b) the WARC's pages come out as main text: no script / nav / footer text, paragraphs kept,
     url and WARC-Record-ID kept;
 (c) `jenny train` reads the token datasets (2 steps);
 (d) kill -9 at random moments, then the same command again: documents, exclusions, tokens
     and report counters are byte-identical to an uninterrupted run;
 (e) bad input: a different pipeline in the same output dir exits 2 and changes nothing;
     an unknown block exits 2 with a did-you-mean.

Needs JENNY_BIN, JENNY_SHARED_DATA; exits 77 (skip) without the fortunes packages.
"""
import gzip
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("JENNY_BIN", "build/bin/jenny")
SHARED = os.environ.get("JENNY_SHARED_DATA", os.path.join(os.path.dirname(__file__), "../../shared/data"))
FORTUNES = "/usr/share/games/fortunes"
EN = ["computers", "science", "literature", "people", "wisdom", "work", "education", "linux"]
ZH = ["chinese", "tang300", "song100"]
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f"\n  {str(detail)[:2000]}"), flush=True)
    if not ok:
        failures.append(what)


def read_fortunes(name):
    for path in (os.path.join(FORTUNES, name + ".u8"), os.path.join(FORTUNES, name)):
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                return [t.strip() for t in f.read().split("\n%\n") if t.strip()]
    return []


def warc_record(headers, payload):
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(payload)}\r\n\r\n"
    return gzip.compress(head.encode() + payload + b"\r\n\r\n")


def build_warc(path, fortunes):
    out = bytearray()
    pages = []
    for i in range(0, min(len(fortunes), 240), 3):
        paras = fortunes[i:i + 3]
        body = "".join(f"<p>{p.replace('&', '&amp;').replace('<', '&lt;')}</p>\n" for p in paras)
        html = (f"<!doctype html><html><head><title>Page {i}</title><style>p {{color: red}}</style>"
                f"<script>var tracker = 'SCRIPTTEXT{i}';</script></head><body>"
                f"<nav><a href='/'>NAVTEXT home</a> | <a href='/x'>about</a></nav>"
                f"<h1>Sayings {i}</h1>\n{body}<footer>FOOTERTEXT copyright</footer></body></html>")
        http = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(html.encode())}\r\n\r\n").encode() + html.encode()
        rid = f"<urn:uuid:00000000-0000-0000-0000-{i:012d}>"
        url = f"http://example.org/sayings/{i}"
        out += warc_record({"WARC-Type": "request", "WARC-Target-URI": url,
                            "WARC-Record-ID": f"<urn:uuid:10000000-0000-0000-0000-{i:012d}>",
                            "Content-Type": "application/http; msgtype=request"},
                           f"GET /sayings/{i} HTTP/1.1\r\nHost: example.org\r\n\r\n".encode())
        out += warc_record({"WARC-Type": "response", "WARC-Target-URI": url, "WARC-Record-ID": rid,
                            "Content-Type": "application/http; msgtype=response"}, http)
        pages.append((rid, url, paras))
    with open(path, "wb") as f:
        f.write(out)
    return pages


def run(args, **kw):
    return subprocess.run([BIN] + args, capture_output=True, text=True, **kw)


def tree(root):
    out = {}
    for d, _, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            if rel in ("report.json", "pipeline.yaml") or rel.startswith("state/") or \
                    rel.endswith("/done"):
                continue
            with open(p, "rb") as f:
                out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


def report_counts(root):
    with open(os.path.join(root, "report.json")) as f:
        r = json.load(f)
    r.pop("seconds", None)
    for b in r.get("blocks", []):
        b.pop("seconds", None)  # time, not a count
    return r


def main():
    if not os.path.exists(os.path.join(FORTUNES, "computers")) or not read_fortunes("chinese"):
        print("skip: fortunes / fortunes-zh not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="jenny_data_pipeline_")
    try:
        inp = os.path.join(tmp, "in")
        os.makedirs(inp)
        en_all = []
        for name in EN:
            src = [p for p in (os.path.join(FORTUNES, name),) if os.path.exists(p)]
            if src:
                shutil.copy(src[0], os.path.join(inp, f"en_{name}.txt"))
                en_all += read_fortunes(name)
        for name in ZH:
            texts = read_fortunes(name)
            if texts:
                with open(os.path.join(inp, f"zh_{name}.txt"), "w", encoding="utf-8") as f:
                    f.write("\n%\n".join(texts) + "\n")
        # JSONL: fortunes grouped into longer documents, 5 exact duplicates, 3 bad lines, PII.
        rng = random.Random(7)
        lines, docs = [], []
        for i in range(0, min(len(en_all), 3000), 12):
            docs.append("\n\n".join(en_all[i:i + 12]))
        for i, d in enumerate(docs):
            if i % 40 == 0:
                d += f"\n\nWrite to jane.doe{i}@example.com or call +1 415-555-{1000 + i}."
            lines.append(json.dumps({"id": f"g{i}", "text": d}))
        for i in range(5):
            lines.append(json.dumps({"id": f"dup{i}", "text": docs[i]}))
        gsm = []
        with open(os.path.join(SHARED, "gsm8k", "test.jsonl")) as f:
            for k, line in enumerate(f):
                if k >= 3:
                    break
                gsm.append(json.loads(line)["question"])
        for k, q in enumerate(gsm):
            lines.append(json.dumps({"id": f"leak{k}", "text": "Homework help. " + q + " " + docs[k + 10]}))
        lines.insert(3, '{"id": "broken", "text": "unterminated')
        lines.insert(9, '{"id": "notext", "body": "x"}')
        lines.insert(15, '{"id": "latin1", "text": "caf\xe9"}'.replace("\xe9", "\\udce9"))
        rng.shuffle(lines)
        with open(os.path.join(inp, "grouped.jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")
        pages = build_warc(os.path.join(inp, "crawl.warc.gz"), en_all[3000:])
        tok = os.path.join(SHARED, "tokenizers", "llama2c", "tokenizer.bin")
        out = os.path.join(tmp, "out")
        pipeline = os.path.join(tmp, "pipeline.yaml")
        with open(pipeline, "w") as f:
            f.write(f"""inputs:
  - {{path: "{inp}/*.txt", separator: "%"}}
  - {{path: "{inp}/*.jsonl"}}
  - {{path: "{inp}/*.warc.gz"}}
output: {out}
tasks: 2
commit_every: 300
blocks:
  - normalize
  - length: {{min_chars: 20}}
  - language: {{languages: [en, zh]}}
  - pii
  - decontaminate: {{eval_sets: ["gsm8k={SHARED}/gsm8k"]}}
  - exact_dedup
  - minhash
  - tokenize: {{tokenizer: {tok}}}
""")
        t0 = time.monotonic()
        p = run(["data", "run", pipeline, "--no-progress"])
        secs = time.monotonic() - t0
        check(f"(a) jenny data run exits 0 ({secs:.1f} s)", p.returncode == 0, p.stderr[-3000:])
        print(p.stdout)
        r = report_counts(out)
        check("(a) 2 of 2 tasks done", r["tasks_done"] == 2 and r["tasks_total"] == 2, r)
        blocks = {b["name"]: b for b in r["blocks"]}
        check("(a) every block's docs_in = previous docs_out",
              all(a["docs_out"] == b["docs_in"] for a, b in zip(r["blocks"], r["blocks"][1:])) and
              r["blocks"][0]["docs_in"] == r["docs_read"] and
              r["blocks"][-1]["docs_out"] == r["docs_written"], r["blocks"])
        check("(a) bad JSONL lines counted", r["read_errors"].get("bad_json", 0) >= 1 and
              r["read_errors"].get("missing_text_field", 0) == 1, r["read_errors"])
        check("(a) PII replaced and counted", blocks["pii"]["counters"].get("email", 0) >= 1 and
              blocks["pii"]["counters"].get("phone", 0) >= 1, blocks["pii"])
        check("(a) GSM8K questions decontaminated",
              blocks["decontaminate"]["dropped"].get("decontaminated", 0) == 3, blocks["decontaminate"])
        check("(a) the planted exact duplicates removed across the run",
              blocks["exact_dedup"]["dropped"].get("exact_duplicate", 0) >= 5, blocks["exact_dedup"])
        check("(a) minhash ran after exact dedup", blocks["minhash"]["docs_in"] ==
              blocks["exact_dedup"]["docs_out"], blocks["minhash"])
        langs = blocks["language"]["counters"]
        check("(a) English and Chinese both identified", langs.get("lang_en", 0) > 100 and
              langs.get("lang_zh", 0) > 50, langs)
        excluded = 0
        for d, _, files in os.walk(os.path.join(out, "excluded")):
            for n in files:
                with open(os.path.join(d, n)) as f:
                    for line in f:
                        excluded += 1
                        if not json.loads(line).get("reason"):
                            check("(a) excluded lines carry a reason", False, line)
        dropped = sum(sum(b["dropped"].values()) for b in r["blocks"])
        check(f"(a) every dropped document is in excluded/ ({excluded})", excluded == dropped,
              (excluded, dropped))
        kept = []
        for d, _, files in os.walk(os.path.join(out, "documents")):
            for n in sorted(files):
                with open(os.path.join(d, n)) as f:
                    kept += [json.loads(l) for l in f]
        text = "\n".join(k["text"] for k in kept)
        check("(a) no e-mail address left", "jane.doe" not in text)
        web = [k for k in kept if k.get("url", "").startswith("http://example.org/")]
        check(f"(b) WARC pages kept with url and record id ({len(web)} of {len(pages)})",
              len(web) >= len(pages) * 0.8 and all(k["id"].startswith("<urn:uuid:") for k in web), web[:2])
        boiler = [w for w in ("SCRIPTTEXT", "NAVTEXT", "FOOTERTEXT", "color: red") if w in text]
        check("(b) no script / style / nav / footer text", not boiler, boiler)
        check("(b) headings and paragraphs kept", any("Sayings" in k["text"] and "\n" in k["text"] for k in web))

        # (c) jenny train reads the shards.
        cfg = os.path.join(tmp, "train.yaml")
        with open(cfg, "w") as f:
            f.write(f"""model: {{vocab_size: 32000, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1,
        num_attention_heads: 2, max_position_embeddings: 64, tokenizer: {tok}}}
data:
  train: [{{path: {out}/tokens/task_00000}}, {{path: {out}/tokens/task_00001}}]
batch: {{micro_batch: 2, seq_len: 32, grad_accum: 1}}
schedule: {{total_steps: 2, warmup_steps: 0}}
eval: {{every: 0, batches: 0}}
checkpoint: {{every_steps: 0}}
out_dir: {tmp}/train
threads: 1
""")
        p = run(["train", cfg])
        check("(c) jenny train reads the pipeline's token datasets", p.returncode == 0, p.stderr[-2000:])

        # (d) kill -9 mid-run, rerun: identical outputs.
        want, want_r = tree(out), report_counts(out)
        for k, delay in enumerate([0.3, 0.8, 1.5]):
            out2 = os.path.join(tmp, f"out_kill{k}")
            pipe2 = pipeline + f".{k}.yaml"
            with open(pipeline) as f, open(pipe2, "w") as g:
                g.write(f.read().replace(f"output: {out}\n", f"output: {out2}\n"))
            killed = False
            proc = subprocess.Popen([BIN, "data", "run", pipe2, "--no-progress"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay * max(secs, 0.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed = True
            proc.wait()
            p = run(["data", "run", pipe2, "--no-progress"])
            got = {kk.replace(out2, out): v for kk, v in tree(out2).items()}
            got_r = report_counts(out2)
            got_r.pop("output", None)
            w = dict(want_r)
            w.pop("output", None)
            check(f"(d) kill -9 after {delay * max(secs, 0.5):.2f} s ({'killed' if killed else 'had finished'}) "
                  "+ rerun: outputs and report identical", p.returncode == 0 and got == want and got_r == w,
                  (p.stderr[-500:], sorted(set(got.items()) ^ set(want.items()))[:6]))

        # (e) bad input.
        before = tree(out)
        p = run(["data", "run", pipeline, "--no-progress", "--set", "tasks=3"])
        check("(e) a different pipeline in the same output: exit 2, nothing changed",
              p.returncode == 2 and "--overwrite" in p.stderr and tree(out) == before, p.stderr[-1000:])
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write(f"inputs: [{{path: {inp}}}]\noutput: {tmp}/o\nblocks: [gopher_qualiti]\n")
        p = run(["data", "run", bad])
        check("(e) unknown block: exit 2 with a did-you-mean", p.returncode == 2 and
              "did you mean gopher_quality" in p.stderr, p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
