#!/usr/bin/env python3
"""datatrove's side of bench/data.py: one stage of the data benchmark over the same JSONL that
jenny reads, one task, one worker (in this process), datatrove 0.10.1's own blocks with the
arguments bench/data.py gives jenny's.

  python bench/data_datatrove.py STAGE INPUT.jsonl OUT_DIR [--tokenizer tokenizer.json]

STAGE:
  filters   JsonlReader -> GopherRepetition -> GopherQuality -> C4Quality -> FineWebQuality
            -> PIIFormatter (e-mail, public IP) -> JsonlWriter (uncompressed)
  minhash   the four MinHash stages (5-grams, 14 bands x 8 rows, 64-bit hashes): signatures,
            buckets (one task per band, run one after another), clusters, filter + JsonlWriter
  tokenize  JsonlReader -> DocumentTokenizer (HF tokenizers, no shuffling; run with
            RAYON_NUM_THREADS=1 for one core)

Prints one JSON line: {"stage", "seconds": {part: wall seconds}, "cpu": {part: CPU seconds}}.
"""
import argparse
import json
import os
import resource
import time

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader


def cpu_now():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(parts, name, pipeline, out, tasks=1):
    t0, c0 = time.perf_counter(), cpu_now()
    LocalPipelineExecutor(pipeline, tasks=tasks, workers=1,
                          logging_dir=os.path.join(out, "logs", name)).run()
    parts["seconds"][name] = time.perf_counter() - t0
    parts["cpu"][name] = cpu_now() - c0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("stage", choices=["filters", "minhash", "tokenize"])
    ap.add_argument("input")
    ap.add_argument("out")
    ap.add_argument("--tokenizer", help="tokenizer.json for the tokenize stage")
    ap.add_argument("--eos", default="<|end_of_text|>", help="EOS token text appended per document")
    args = ap.parse_args()

    def reader():
        return JsonlReader(os.path.dirname(os.path.abspath(args.input)),
                           glob_pattern=os.path.basename(args.input), text_key="text", id_key="id")

    parts = {"stage": args.stage, "seconds": {}, "cpu": {}}
    if args.stage == "filters":
        from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter,
                                                GopherQualityFilter, GopherRepetitionFilter)
        from datatrove.pipeline.formatters import PIIFormatter
        from datatrove.pipeline.writers import JsonlWriter
        run(parts, "filters", [reader(), GopherRepetitionFilter(), GopherQualityFilter(),
                               C4QualityFilter(), FineWebQualityFilter(), PIIFormatter(),
                               JsonlWriter(os.path.join(args.out, "documents"), compression=None)],
            args.out)
    elif args.stage == "minhash":
        from datatrove.pipeline.dedup import (MinhashDedupBuckets, MinhashDedupCluster,
                                              MinhashDedupFilter, MinhashDedupSignature)
        from datatrove.pipeline.dedup.minhash import MinhashConfig
        from datatrove.pipeline.writers import JsonlWriter
        from datatrove.utils.hashing import HashConfig
        cfg = MinhashConfig(hash_config=HashConfig(precision=64), n_grams=5, num_buckets=14,
                            hashes_per_bucket=8)
        sigs, buckets, remove = (os.path.join(args.out, d) for d in ("sigs", "buckets", "remove"))
        run(parts, "signatures", [reader(), MinhashDedupSignature(output_folder=sigs, config=cfg)],
            args.out)
        run(parts, "buckets", [MinhashDedupBuckets(input_folder=sigs, output_folder=buckets,
                                                   config=cfg)], args.out, tasks=cfg.num_buckets)
        run(parts, "clusters", [MinhashDedupCluster(input_folder=buckets, output_folder=remove,
                                                    config=cfg)], args.out)
        run(parts, "filter", [reader(), MinhashDedupFilter(input_folder=remove),
                              JsonlWriter(os.path.join(args.out, "documents"), compression=None)],
            args.out)
    else:
        from datatrove.pipeline.tokens import DocumentTokenizer
        if not args.tokenizer:
            ap.error("the tokenize stage needs --tokenizer")
        run(parts, "tokenize", [reader(), DocumentTokenizer(
            output_folder=os.path.join(args.out, "tokens"), tokenizer_name_or_path=args.tokenizer,
            local_working_dir=os.path.join(args.out, "tokens_tmp"), eos_token=args.eos,
            shuffle_documents=False)], args.out)
    print(json.dumps(parts), flush=True)


if __name__ == "__main__":
    main()
