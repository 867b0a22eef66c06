#!/usr/bin/env python3
"""Oracle for `jenny tokenizer train`: checks a trained tokenizer with Hugging Face's own
libraries, and trains Hugging Face's BpeTrainer on the same text for comparison.

Usage:
  check_trained_tokenizer.py check DIR TEXT_FILE
      Loads DIR/tokenizer.json with `tokenizers.Tokenizer.from_file` and with
      `transformers.PreTrainedTokenizerFast(tokenizer_file=...)` (plus DIR/tokenizer_config.json
      through `from_pretrained(DIR)`), encodes TEXT_FILE (UTF-8) with and without special
      tokens, and prints one JSON object on stdout:
        {"vocab_size", "ids" (no specials), "ids_with_special", "roundtrip" (decode(encode(t))
         == t in tokenizers), "transformers_roundtrip", "transformers_agree" (same ids both
         ways), "bos_token", "eos_token", "bos_id", "eos_id", "special_ids": {content: id}}
  check_trained_tokenizer.py encode DIR TEXT_FILE
      The same with `tokenizers` only (no transformers keys; starts in a fraction of the time).
  check_trained_tokenizer.py hf-train OUT_JSON VOCAB_SIZE MIN_FREQ SPECIALS REGEX FILE...
      Trains tokenizers' BpeTrainer (byte-level alphabet, Split(REGEX, isolated) then ByteLevel
      without its own regex, SPECIALS comma-separated) on the FILEs, each file's whole text one
      training sequence, and writes OUT_JSON: {"merges": ["a b", ...], "vocab_size", "seconds"}.
Exit status 0 when the checks ran (the JSON says whether they passed), 2 on bad usage.
"""
import json
import os
import sys
import time


def check(directory, text_file, with_transformers=True):
    from tokenizers import Tokenizer

    with open(text_file, encoding="utf-8", newline="") as f:
        text = f.read()
    path = os.path.join(directory, "tokenizer.json")
    tok = Tokenizer.from_file(path)
    ids = tok.encode(text, add_special_tokens=False).ids
    ids_special = tok.encode(text, add_special_tokens=True).ids
    roundtrip = tok.decode(ids, skip_special_tokens=False) == text
    specials = {t.content: i for i, t in tok.get_added_tokens_decoder().items() if t.special}
    out = {
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "ids": ids,
        "ids_with_special": ids_special,
        "roundtrip": roundtrip,
        "special_ids": specials,
    }
    if with_transformers:
        out.update(check_transformers(directory, path, text, ids, ids_special))
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


def check_transformers(directory, path, text, ids, ids_special):
    import transformers

    transformers.logging.set_verbosity_error()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_file=path)
    auto = transformers.PreTrainedTokenizerFast.from_pretrained(directory)
    t_ids = fast(text, add_special_tokens=False)["input_ids"]
    a_ids = auto(text, add_special_tokens=True)["input_ids"]
    t_roundtrip = auto.decode(t_ids, skip_special_tokens=False) == text
    return {
        "transformers_roundtrip": t_roundtrip,
        "transformers_agree": t_ids == ids and a_ids == ids_special,
        "bos_token": auto.bos_token,
        "eos_token": auto.eos_token,
        "bos_id": auto.bos_token_id,
        "eos_id": auto.eos_token_id,
    }


def hf_train(out_json, vocab_size, min_freq, specials, regex, files):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_freq,
        special_tokens=[s for s in specials.split(",") if s],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )

    def texts():
        for name in files:
            with open(name, encoding="utf-8", newline="") as f:
                yield f.read()

    start = time.perf_counter()
    tok.train_from_iterator(texts(), trainer=trainer)
    seconds = time.perf_counter() - start
    model = json.loads(tok.to_str())["model"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    with open(out_json, "w", encoding="utf-8") as f:
        json.dump({"merges": merges, "vocab_size": tok.get_vocab_size(), "seconds": seconds}, f,
                  ensure_ascii=False)


def main(argv):
    if len(argv) == 4 and argv[1] in ("check", "encode"):
        check(argv[2], argv[3], with_transformers=argv[1] == "check")
        return 0
    if len(argv) >= 8 and argv[1] == "hf-train":
        hf_train(argv[2], int(argv[3]), int(argv[4]), argv[5], argv[6], argv[7:])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
