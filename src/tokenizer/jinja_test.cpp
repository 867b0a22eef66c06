// Unit tests of the chat-template Jinja interpreter: snippets covering whitespace control,
// operators, methods, filters, tests, loops and scoping, each checked against what Jinja in
// transformers renders (tests/fixtures/chat_templates/jinja/cases.json, written by
// tools/oracle/chat_template_fixtures.py); and the errors for what it does not support.
#include <gtest/gtest.h>

#include <string>

#include "jenny/base/env.h"
#include "jenny/tokenizer/chat_template.h"

namespace jenny::tokenizer {
namespace {

using nlohmann::ordered_json;

const ordered_json kHi = ordered_json::parse(R"([{"role": "user", "content": "hi"}])");

base::Result<std::string> render(const std::string& source, ordered_json vars = {}) {
    auto tmpl = ChatTemplate::parse(source);
    if (!tmpl.ok()) return tmpl.status();
    ChatRenderOptions opts;
    if (vars.is_object()) opts.extra = vars;
    opts.now_unix_seconds = 1700000000;  // 2023-11-14
    return tmpl->render(kHi, opts);
}

TEST(JinjaTest, MatchesJinjaOnUnitCases) {
    auto text = base::Env::Default()->read_file(std::string(JENNY_SOURCE_DIR) +
                                                "/tests/fixtures/chat_templates/jinja/cases.json");
    ASSERT_TRUE(text.ok()) << text.status().to_string();
    ordered_json fixture = ordered_json::parse(*text);
    int n = 0;
    for (const auto& c : fixture["cases"]) {
        const std::string tmpl = c["template"].get<std::string>();
        SCOPED_TRACE(tmpl);
        auto r = render(tmpl, fixture["vars"]);
        if (c.contains("expected")) {
            ASSERT_TRUE(r.ok()) << r.status().to_string();
            EXPECT_EQ(*r, c["expected"].get<std::string>());
        } else {
            EXPECT_FALSE(r.ok()) << *r;
        }
        ++n;
    }
    EXPECT_GE(n, 50);
}

void expect_error(const std::string& source, base::StatusCode code, const std::string& text) {
    auto r = render(source);
    ASSERT_FALSE(r.ok()) << source << " rendered " << *r;
    EXPECT_EQ(r.status().code(), code) << r.status().to_string();
    EXPECT_NE(r.status().message().find(text), std::string::npos)
        << r.status().to_string() << "\nwant: " << text;
}

TEST(JinjaTest, UnsupportedConstructsNameThemselvesAndTheirPlace) {
    using base::StatusCode;
    expect_error("{% include 'x.jinja' %}", StatusCode::kUnsupported,
                 "chat template: unsupported construct '{% include %}' at line 1, column 4");
    expect_error("a\n  {% extends 'base' %}", StatusCode::kUnsupported,
                 "unsupported construct '{% extends %}' at line 2, column 6");
    expect_error("{% import 'm' as m %}", StatusCode::kUnsupported, "'{% import %}'");
    expect_error("{% call foo() %}x{% endcall %}", StatusCode::kUnsupported, "'{% call %}'");
    expect_error("{{ x | groupby('a') }}", StatusCode::kUnsupported,
                 "unsupported construct 'filter groupby' at line 1, column 8");
    expect_error("{{ x is escaped_thing }}", StatusCode::kUnsupported, "'test escaped_thing'");
    expect_error("{% for x in y recursive %}{% endfor %}", StatusCode::kUnsupported,
                 "'recursive for loop'");
    expect_error("{{ f(*args) }}", StatusCode::kUnsupported, "'*args/**kwargs in a call'");
    expect_error("{{ '%s' % 'x' }}", StatusCode::kUnsupported,
                 "printf-style string formatting ('%')' at line 1, column 9");
    expect_error("{{ 'x'.zfill(3) }}", StatusCode::kUnsupported, "'str.zfill()'");
    expect_error("{{ cycler('a') }}", StatusCode::kUnsupported, "'cycler()'");
    expect_error("{{ '\\N{BULLET}' }}", StatusCode::kUnsupported, "\\N{...} escape");
}

TEST(JinjaTest, SyntaxErrorsHaveLineAndColumn) {
    using base::StatusCode;
    expect_error("{% if x %}never closed", StatusCode::kInvalidArgument,
                 "syntax error: unexpected end of template, expected 'endif'");
    expect_error("ok\n{{ 1 + }}", StatusCode::kInvalidArgument, "at line 2, column 8");
    expect_error("{{ x", StatusCode::kInvalidArgument, "unexpected end of template");
    expect_error("{# never closed", StatusCode::kInvalidArgument, "missing end of comment tag");
    expect_error("{{ 'unterminated }}", StatusCode::kInvalidArgument, "unterminated string");
    expect_error("{{ (1, 2] }}", StatusCode::kInvalidArgument, "unexpected ']', expected ')'");
    expect_error("{% endfor %}", StatusCode::kUnsupported, "'{% endfor %}'");
}

TEST(JinjaTest, RuntimeErrorsAreValues) {
    using base::StatusCode;
    expect_error("{{ missing.attr }}", StatusCode::kInvalidArgument,
                 "UndefinedError: 'missing' is undefined at line 1, column 12");
    expect_error("{{ 'a' + 1 }}", StatusCode::kInvalidArgument,
                 "TypeError: can only concatenate str (not \"int\") to str");
    expect_error("{{ messages.append(1) }}", StatusCode::kInvalidArgument,
                 "SecurityError: access to attribute 'append' of 'list' object is unsafe.");
    expect_error("{{ 1 // 0 }}", StatusCode::kInvalidArgument, "ZeroDivisionError");
    expect_error("{{ range(1000000) }}", StatusCode::kInvalidArgument, "Range too big");
    expect_error("{% set ns = namespace() %}{% set ns._x = 1 %}", StatusCode::kInvalidArgument,
                 "underscore-prefixed");
    expect_error("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", StatusCode::kInvalidArgument,
                 "RecursionError");
    expect_error("{{ undefined_fn() }}", StatusCode::kInvalidArgument,
                 "'undefined_fn' is undefined");
}

TEST(JinjaTest, StrftimeNowUsesTheGivenClock) {
    auto r = render("{{ strftime_now('%Y') }}");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(*r, "2023");
}

TEST(JinjaTest, GenerationBlockRendersItsBody) {
    auto r = render("{% generation %}assistant text{% endgeneration %}!");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(*r, "assistant text!");
}

TEST(JinjaTest, ExtraVariablesOverrideBuiltins) {
    auto r = render("{{ add_generation_prompt }} {{ tools }} {{ custom }}",
                    ordered_json::parse(R"({"custom": [1, "a"], "add_generation_prompt": 1})"));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(*r, "1 None [1, 'a']");
}

TEST(JinjaTest, InvalidUtf8SurvivesUnchanged) {
    const std::string bad = "a\xff\xfe b";
    auto t = ChatTemplate::parse("{{ messages[0].content | trim }}|{{ messages[0].content[1:] }}");
    ASSERT_TRUE(t.ok());
    ordered_json msgs = ordered_json::array();
    msgs.push_back({{"role", "user"}, {"content", bad}});
    auto out = t->render(msgs, {});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ(*out, bad + "|" + bad.substr(1));
}

}  // namespace
}  // namespace jenny::tokenizer
