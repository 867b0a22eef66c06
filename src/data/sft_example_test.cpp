// render_sft_example with real chat templates (Qwen2.5, InternLM2): the mask covers exactly the
// assistant tokens, checked on the rendered text. The conversations are a *rendering fixture*
// built from GSM8K's test split (question -> user, answer -> assistant): they only exercise
// rendering and masking here and must never be used to train a model that is evaluated on
// GSM8K. Also parse_sft_example: every kind of error, weights, prompt/completion.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "jenny/data/sft_dataset.h"
#include "jenny/tokenizer/chat_model.h"

namespace jenny::data {
namespace {

using json = nlohmann::ordered_json;
using tokenizer::ChatModel;

const std::string kQwen = JENNY_SHARED_DATA "/tokenizers/hf-qwen2_5";
const std::string kInternLm2 = JENNY_SHARED_DATA "/tokenizers/hf-internlm2";
const std::string kGsm8kTest = JENNY_SHARED_DATA "/gsm8k/test.jsonl";

const ChatModel& model(const std::string& path) {
    static std::map<std::string, ChatModel> cache;
    auto it = cache.find(path);
    if (it == cache.end()) {
        auto m = tokenizer::load_chat_model(path);
        EXPECT_TRUE(m.ok()) << m.status().to_string();
        it = cache.emplace(path, std::move(m).value()).first;
    }
    return it->second;
}

// GSM8K test questions and answers: a rendering fixture only (see the file comment).
std::vector<std::pair<std::string, std::string>> gsm8k_rendering_fixture(size_t n) {
    std::ifstream f(kGsm8kTest);
    std::vector<std::pair<std::string, std::string>> out;
    std::string line;
    while (out.size() < n && std::getline(f, line)) {
        json j = json::parse(line);
        out.emplace_back(j["question"].get<std::string>(), j["answer"].get<std::string>());
    }
    return out;
}

SftExample parse_ok(const json& line, bool last_turn_only = false) {
    std::vector<SftIssue> issues;
    auto ex = parse_sft_example(line.dump(), 1, &issues, last_turn_only);
    EXPECT_TRUE(ex.has_value()) << line.dump();
    EXPECT_TRUE(issues.empty()) << issues[0].message;
    return ex.value_or(SftExample{});
}

// The text of tokens [begin, end): the bytes each token contributes.
std::string text_of(const tokenizer::Tokenizer& tok, const SftTokens& t, int64_t begin,
                    int64_t end) {
    std::string s;
    for (int64_t i = begin; i < end; ++i) s += tok.token_to_piece(t.tokens[i]);
    return s;
}

// Checks on the rendered text that the mask covers exactly `expected_turns` (the assistant
// contents the template writes, each followed by <|im_end|>): the tokens spell the rendered
// conversation, and each masked span is, in the rendered text, exactly the content and the
// end-of-turn token that follow the next "<|im_start|>assistant\n" header.
void expect_mask_is_assistant_text(const ChatModel& m, const SftExample& ex, const SftTokens& t,
                                   const std::vector<std::string>& expected_turns) {
    const tokenizer::Tokenizer& tok = *m.tokenizer;
    tokenizer::ChatRenderOptions ro;
    ro.tools = ex.tools;
    auto rendered = m.chat_template.render(ex.messages, ro);
    ASSERT_TRUE(rendered.ok()) << rendered.status().to_string();
    ASSERT_EQ(t.tokens.size(), t.mask.size());
    ASSERT_EQ(text_of(tok, t, 0, t.tokens.size()), *rendered);

    ASSERT_EQ(t.spans.size(), expected_turns.size());
    int64_t n_masked = 0;
    size_t search_from = 0;
    for (size_t s = 0; s < t.spans.size(); ++s) {
        auto [begin, end] = t.spans[s];
        const std::string want = expected_turns[s] + "<|im_end|>";
        EXPECT_EQ(text_of(tok, t, begin, end), want) << "span " << s;
        // Where the span sits in the rendered text.
        const size_t at = text_of(tok, t, 0, begin).size();
        const size_t header =
            rendered->find("<|im_start|>assistant\n" + expected_turns[s], search_from);
        ASSERT_NE(header, std::string::npos);
        EXPECT_EQ(at, header + std::string("<|im_start|>assistant\n").size()) << "span " << s;
        EXPECT_EQ(rendered->substr(at, want.size()), want);
        search_from = at + want.size();
        for (int64_t i = begin; i < end; ++i) EXPECT_EQ(t.mask[i], 1);
        n_masked += end - begin;
    }
    EXPECT_EQ(t.n_trained(), n_masked) << "tokens outside the spans are masked";
}

class SftTemplateTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SftTemplateTest, MaskCoversExactlyTheAssistantTokensOfGsm8kConversations) {
    const ChatModel& m = model(GetParam());
    auto qa = gsm8k_rendering_fixture(12);
    ASSERT_EQ(qa.size(), 12u) << kGsm8kTest;
    for (size_t k = 0; k + 1 < qa.size(); k += 2) {
        // Two turns, with a system message on every other conversation.
        json messages = json::array();
        if (k % 4 == 0)
            messages.push_back({{"role", "system"}, {"content", "Solve step by step."}});
        messages.push_back({{"role", "user"}, {"content", qa[k].first}});
        messages.push_back({{"role", "assistant"}, {"content", qa[k].second}});
        messages.push_back({{"role", "user"}, {"content", qa[k + 1].first}});
        messages.push_back({{"role", "assistant"}, {"content", qa[k + 1].second}});
        SftExample ex = parse_ok({{"messages", messages}});
        auto t = render_sft_example(ex, *m.tokenizer, m.chat_template);
        ASSERT_TRUE(t.ok()) << t.status().to_string();
        expect_mask_is_assistant_text(m, ex, *t, {qa[k].second, qa[k + 1].second});
        // The trailing "\n" the template writes after <|im_end|> is not trained.
        EXPECT_EQ(t->mask.back(), 0);
    }
}

TEST_P(SftTemplateTest, LastTurnOnlyAndWeightZero) {
    const ChatModel& m = model(GetParam());
    auto qa = gsm8k_rendering_fixture(3);
    json messages = json::array();
    for (const auto& [q, a] : qa) {
        messages.push_back({{"role", "user"}, {"content", q}});
        messages.push_back({{"role", "assistant"}, {"content", a}});
    }
    SftExample ex = parse_ok({{"messages", messages}});
    SftRenderOptions last;
    last.last_turn_only = true;
    auto t = render_sft_example(ex, *m.tokenizer, m.chat_template, last);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    expect_mask_is_assistant_text(m, ex, *t, {qa[2].second});

    messages[1]["weight"] = 0;
    messages[5]["weight"] = 1;
    SftExample weighted = parse_ok({{"messages", messages}});
    EXPECT_EQ(weighted.train, (std::vector<uint8_t>{0, 0, 0, 1, 0, 1}));
    EXPECT_FALSE(weighted.messages[1].contains("weight")) << "weight is not shown to the template";
    auto w = render_sft_example(weighted, *m.tokenizer, m.chat_template);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    expect_mask_is_assistant_text(m, weighted, *w, {qa[1].second, qa[2].second});
    // The tokens are the same whatever is trained.
    EXPECT_EQ(w->tokens, t->tokens);
}

TEST_P(SftTemplateTest, PromptCompletion) {
    const ChatModel& m = model(GetParam());
    SftExample ex = parse_ok({{"prompt", "What is 2 + 3?"}, {"completion", "2 + 3 = 5.\n#### 5"}});
    EXPECT_TRUE(ex.prompt_completion);
    ASSERT_EQ(ex.messages.size(), 2u);
    EXPECT_EQ(ex.messages[0]["role"], "user");
    EXPECT_EQ(ex.messages[1]["role"], "assistant");
    auto t = render_sft_example(ex, *m.tokenizer, m.chat_template);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    expect_mask_is_assistant_text(m, ex, *t, {"2 + 3 = 5.\n#### 5"});
}

INSTANTIATE_TEST_SUITE_P(Templates, SftTemplateTest, ::testing::Values(kQwen, kInternLm2),
                         [](const auto& info) {
                             return info.param == kQwen ? std::string("Qwen2_5")
                                                        : std::string("InternLM2");
                         });

TEST(SftRenderTest, QwenToolsAndToolCalls) {
    const ChatModel& m = model(kQwen);
    json tools = json::array(
        {{{"type", "function"},
          {"function",
           {{"name", "get_weather"},
            {"description", "Weather of a city"},
            {"parameters",
             {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}}}});
    json messages = json::array(
        {{{"role", "user"}, {"content", "Weather in Paris?"}},
         {{"role", "assistant"},
          {"content", ""},
          {"tool_calls",
           json::array(
               {{{"type", "function"},
                 {"function", {{"name", "get_weather"}, {"arguments", {{"city", "Paris"}}}}}}})}},
         {{"role", "tool"}, {"content", "{\"temp_c\": 21}"}},
         {{"role", "assistant"}, {"content", "It is 21 °C in Paris."}}});
    SftExample ex = parse_ok({{"messages", messages}, {"tools", tools}});
    auto t = render_sft_example(ex, *m.tokenizer, m.chat_template);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    ASSERT_EQ(t->spans.size(), 2u);
    EXPECT_EQ(text_of(*m.tokenizer, *t, t->spans[0].first, t->spans[0].second),
              "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
              "</tool_call><|im_end|>");
    EXPECT_EQ(text_of(*m.tokenizer, *t, t->spans[1].first, t->spans[1].second),
              "It is 21 °C in Paris.<|im_end|>");
    // The tools are in the system prompt, which is not trained.
    std::string all = text_of(*m.tokenizer, *t, 0, t->tokens.size());
    EXPECT_NE(all.find("\"name\": \"get_weather\", \"description\""), std::string::npos);
    EXPECT_LT(all.find("# Tools"), text_of(*m.tokenizer, *t, 0, t->spans[0].first).size());
}

TEST(SftRenderTest, TemplateErrorsAndNonIncrementalTemplates) {
    const ChatModel& m = model(kQwen);
    SftExample ex = parse_ok({{"messages",
                               {{{"role", "user"}, {"content", "a"}},
                                {{"role", "assistant"}, {"content", "b"}},
                                {{"role", "user"}, {"content", "c"}},
                                {{"role", "assistant"}, {"content", "d"}}}}});
    auto raising = tokenizer::ChatTemplate::parse(
        "{% for m in messages %}{% if m.role == 'user' and loop.index0 > 1 %}"
        "{{ raise_exception('only one user turn') }}{% endif %}{{ m.content }}{% endfor %}");
    ASSERT_TRUE(raising.ok());
    auto r = render_sft_example(ex, *m.tokenizer, *raising);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "only one user turn");

    // Drops the content of every assistant message but the last: the first turn's rendering
    // is not what the whole conversation has.
    auto dropping = tokenizer::ChatTemplate::parse(
        "{% for m in messages %}<|im_start|>{{ m.role }}\n"
        "{% if m.role != 'assistant' or loop.last %}{{ m.content }}{% endif %}<|im_end|>\n"
        "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}");
    ASSERT_TRUE(dropping.ok());
    r = render_sft_example(ex, *m.tokenizer, *dropping);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::StatusCode::kUnsupported);
    EXPECT_NE(r.status().message().find("message 2"), std::string::npos) << r.status().message();
    // With only the last turn trained it renders.
    SftRenderOptions last;
    last.last_turn_only = true;
    r = render_sft_example(ex, *m.tokenizer, *dropping, last);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(text_of(*m.tokenizer, *r, r->spans[0].first, r->spans[0].second), "d<|im_end|>");

    // A conversation that opens with the assistant has no header to tell it apart.
    SftExample first = parse_ok(
        {{"messages",
          {{{"role", "assistant"}, {"content", "Hi"}}, {{"role", "user"}, {"content", "Hello"}}}}});
    r = render_sft_example(first, *m.tokenizer, m.chat_template);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::StatusCode::kUnsupported);
}

// ---- parse_sft_example ----

std::vector<SftIssue> issues_of(std::string_view line, bool last_turn_only = false) {
    std::vector<SftIssue> issues;
    auto ex = parse_sft_example(line, 42, &issues, last_turn_only);
    EXPECT_FALSE(ex.has_value()) << line;
    for (const SftIssue& i : issues) EXPECT_EQ(i.line, 42);
    return issues;
}

void expect_issue(std::string_view line, SftIssueKind kind, std::string_view in_message = "",
                  bool last_turn_only = false) {
    auto issues = issues_of(line, last_turn_only);
    ASSERT_FALSE(issues.empty()) << line;
    bool found = false;
    for (const SftIssue& i : issues) {
        if (i.kind == kind && i.message.find(in_message) != std::string::npos) found = true;
    }
    EXPECT_TRUE(found) << line << " -> " << issues[0].message << " ("
                       << sft_issue_kind_name(issues[0].kind) << "), want "
                       << sft_issue_kind_name(kind);
}

TEST(SftParseTest, EveryKindOfError) {
    expect_issue("{\"messages\": [", SftIssueKind::kBadJson, "not valid JSON");
    expect_issue("[1, 2]", SftIssueKind::kBadJson, "got an array");
    expect_issue("{\"text\": \"hi\"}", SftIssueKind::kBadFormat, "\"messages\"");
    expect_issue("{\"messages\": []}", SftIssueKind::kBadFormat, "empty array");
    expect_issue("{\"messages\": {}}", SftIssueKind::kBadFormat, "got an object");
    expect_issue("{\"messages\": [\"hi\"]}", SftIssueKind::kBadFormat, "message 1");
    expect_issue("{\"prompt\": \"hi\"}", SftIssueKind::kBadFormat, "completion");
    expect_issue("{\"prompt\": 1, \"completion\": \"x\"}", SftIssueKind::kBadFormat, "prompt");
    expect_issue("{\"prompt\": \"hi\", \"completion\": \"  \"}", SftIssueKind::kEmptyContent,
                 "completion");
    expect_issue(R"({"messages": [{"content": "hi"}, {"role": "assistant", "content": "x"}]})",
                 SftIssueKind::kMissingRole, "message 1");
    expect_issue(R"({"messages": [{"role": "bot", "content": "hi"}]})", SftIssueKind::kUnknownRole,
                 "\"bot\"");
    expect_issue(R"({"messages": [{"role": "user", "content": ""},
                     {"role": "assistant", "content": "x"}]})",
                 SftIssueKind::kEmptyContent, "message 1 (user)");
    expect_issue(R"({"messages": [{"role": "user", "content": "q"}, {"role": "assistant"}]})",
                 SftIssueKind::kEmptyContent, "message 2 (assistant) has no content");
    expect_issue(R"({"messages": [{"role": "user", "content": "q"},
                     {"role": "assistant", "content": " \n"}]})",
                 SftIssueKind::kEmptyContent, "message 2");
    expect_issue(R"({"messages": [{"role": "user", "content": [{"type": "text"}]},
                     {"role": "assistant", "content": "x"}]})",
                 SftIssueKind::kBadFormat, "must be a string");
    expect_issue(R"({"messages": [{"role": "user", "content": "q"}]})", SftIssueKind::kNoAssistant);
    expect_issue(R"({"messages": [{"role": "user", "content": "q", "weight": 1},
                     {"role": "assistant", "content": "x"}]})",
                 SftIssueKind::kBadWeight, "only allowed on assistant");
    expect_issue(R"({"messages": [{"role": "user", "content": "q"},
                     {"role": "assistant", "content": "x", "weight": 0.5}]})",
                 SftIssueKind::kBadWeight, "0 or 1");
    expect_issue(R"({"messages": [{"role": "user", "content": "q"},
                     {"role": "assistant", "content": "x", "weight": 0}]})",
                 SftIssueKind::kNoTrainedTokens);
    expect_issue(R"({"messages": [{"role": "user", "content": "q"},
                     {"role": "assistant", "content": "x"},
                     {"role": "user", "content": "q"},
                     {"role": "assistant", "content": "y", "weight": 0}]})",
                 SftIssueKind::kNoTrainedTokens, "last-turn-only", /*last_turn_only=*/true);
    expect_issue(R"({"messages": [{"role": "user", "content": "q"},
                     {"role": "assistant", "content": "x"}], "tools": {"a": 1}})",
                 SftIssueKind::kBadTools);
}

TEST(SftParseTest, ReportsEveryProblemOfALine) {
    auto issues = issues_of(R"({"messages": [{"role": "bot", "content": ""}, {"content": "x"}]})");
    std::vector<SftIssueKind> kinds;
    for (const auto& i : issues) kinds.push_back(i.kind);
    EXPECT_EQ(kinds,
              (std::vector<SftIssueKind>{SftIssueKind::kUnknownRole, SftIssueKind::kEmptyContent,
                                         SftIssueKind::kMissingRole, SftIssueKind::kNoAssistant}));
}

TEST(SftParseTest, AcceptedShapes) {
    // Assistant tool calls need no content; null keys are kept for the template to drop.
    SftExample ex =
        parse_ok({{"messages",
                   {{{"role", "system"}, {"content", "s"}},
                    {{"role", "user"}, {"content", "q"}},
                    {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", {{{"id", "1"}}}}},
                    {{"role", "tool"}, {"content", "r"}},
                    {{"role", "assistant"}, {"content", "a"}, {"weight", 1}}}}});
    EXPECT_EQ(ex.train, (std::vector<uint8_t>{0, 0, 1, 0, 1}));
    EXPECT_TRUE(ex.tools.is_null());
    EXPECT_FALSE(ex.prompt_completion);
}

}  // namespace
}  // namespace jenny::data
