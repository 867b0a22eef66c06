#!/usr/bin/env python3
"""Oracle for jenny's quality filters (include/jenny/data/quality_filters.h): runs datatrove's
own GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter and FineWebQualityFilter, with
their default arguments, independently on every document of a JSONL file.

  python tools/oracle/datatrove_filters.py IN.jsonl OUT.jsonl [--filters gopher_quality,...]

IN lines carry "id" and "text". OUT gets one line per (document, filter), in input order:
  {"id", "filter", "keep", "reason", "text_after"}
filter is gopher_quality | gopher_repetition | c4_quality | fineweb_quality (jenny's names);
reason is datatrove's ("" when kept); text_after is the text after the filter (C4 edits it).
A filter that raises (datatrove divides by zero on some degenerate documents) is reported
with keep null and reason "error: <exception>".

  python tools/oracle/datatrove_filters.py --cases CASES.jsonl [OUT.jsonl]

replays the cases jenny's filter tests record (JENNY_QF_CASES=CASES.jsonl ctest -R data_),
each {"id", "filter", "options", "text", "keep", "reason", "text_after"}, through datatrove
with the same options, and prints every case where datatrove's verdict or edited text differs;
exit status 1 if any does.

Needs datatrove==0.10.1 plus what its English word tokenizer imports: spacy (the blank "en"
pipeline, no model download) and regex (tools/requirements-bench.txt).
"""
import argparse
import json
import sys

from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)

FILTERS = {
    "gopher_quality": GopherQualityFilter,
    "gopher_repetition": GopherRepetitionFilter,
    "c4_quality": C4QualityFilter,
    "fineweb_quality": FineWebQualityFilter,
}


def run_one(flt, doc_id, text):
    doc = Document(text=text, id=str(doc_id))
    try:
        result = flt.filter(doc)
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        return None, f"error: {type(e).__name__}: {e}", doc.text
    if isinstance(result, tuple):
        keep, reason = result
    else:
        keep, reason = bool(result), ""
    return bool(keep), reason if not keep else "", doc.text


def datatrove_kwargs(options):
    """jenny's options JSON -> datatrove constructor arguments (n-gram lists become tuples)."""
    kw = {}
    for key, value in options.items():
        if key in ("top_n_grams", "dup_n_grams"):
            value = tuple((t["n"], t["frac"]) for t in value)
        elif key == "stop_chars" and value is not None:
            value = tuple(value)
        kw[key] = value
    return kw


def replay_cases(path, out_path):
    bad = 0
    n = 0
    out = open(out_path, "w", encoding="utf-8") if out_path else None
    with open(path, encoding="utf-8") as fin:
        for line in fin:
            if not line.strip():
                continue
            case = json.loads(line)
            n += 1
            flt = FILTERS[case["filter"]](**datatrove_kwargs(case["options"]))
            keep, reason, after = run_one(flt, case["id"], case["text"])
            same = keep == case["keep"] and reason == case["reason"] and after == case["text_after"]
            if out:
                out.write(json.dumps({"id": case["id"], "filter": case["filter"], "keep": keep,
                                      "reason": reason, "text_after": after},
                                     ensure_ascii=False) + "\n")
            if not same:
                bad += 1
                print(f"DIFFERS {case['id']} ({case['filter']}): jenny {case['keep']} "
                      f"{case['reason']!r}, datatrove {keep} {reason!r}"
                      + ("" if after == case["text_after"] else " (text_after differs)"))
    print(f"{n - bad}/{n} cases agree with datatrove")
    return 1 if bad else 0


def require_spacy():
    try:
        import spacy  # noqa: F401 - datatrove's English word tokenizer imports it lazily
    except ImportError:
        sys.exit("datatrove's English word tokenizer needs spaCy: pip install spacy==3.8.18 "
                 "(spacy.blank('en') is rule-based; no model download)")


def main():
    require_spacy()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output", nargs="?")
    ap.add_argument("--filters", default=",".join(FILTERS), help="comma-separated subset")
    ap.add_argument("--cases", action="store_true", help="replay recorded test cases")
    args = ap.parse_args()
    if args.cases:
        sys.exit(replay_cases(args.input, args.output))
    if not args.output:
        ap.error("OUT.jsonl is required")
    names = [n for n in args.filters.split(",") if n]
    for n in names:
        if n not in FILTERS:
            sys.exit(f"unknown filter {n!r}; choose from {', '.join(FILTERS)}")
    filters = {n: FILTERS[n]() for n in names}
    with open(args.input, encoding="utf-8") as fin, open(args.output, "w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                continue
            rec = json.loads(line)
            for name, flt in filters.items():
                keep, reason, after = run_one(flt, rec["id"], rec["text"])
                out = {"id": rec["id"], "filter": name, "keep": keep, "reason": reason,
                       "text_after": after}
                fout.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
