// validate_sft_file and run_sft_dataset on small files with the Qwen2.5 tokenizer: every issue
// with its line number, duplicates, token statistics, the dataset written (masked, the model's
// tokenizer hash) or refused with nothing left behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "jenny/data/sft_dataset.h"
#include "jenny/tokenizer/chat_model.h"
#include "jenny/tokenizer/fingerprint.h"

namespace jenny::data {
namespace {

namespace fs = std::filesystem;
const std::string kQwen = JENNY_SHARED_DATA "/tokenizers/hf-qwen2_5";

const std::string kGood1 =
    R"({"messages": [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "4"}]})";
const std::string kGood2 =
    R"({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris."}]})";
const std::string kGood3 = R"({"prompt": "Say hi", "completion": "Hi!"})";

class SftFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("jenny_sft_file_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& content) const {
        std::ofstream(dir_ / name, std::ios::binary) << content;
        return (dir_ / name).string();
    }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    fs::path dir_;
};

TEST_F(SftFileTest, CleanFileReportsTokenCounts) {
    SftValidateConfig c;
    c.input = write("good.jsonl", kGood1 + "\n\n" + kGood2 + "\r\n" + kGood3);
    c.model = kQwen;
    c.epochs = 3;
    auto r = validate_sft_file(c);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(r->ok());
    EXPECT_TRUE(r->issues.empty());
    EXPECT_EQ(r->stats.n_lines, 3);
    EXPECT_EQ(r->stats.n_examples, 3);
    EXPECT_EQ(r->max_tokens, 131072) << "tokenizer_config.json model_max_length";
    // The same numbers as rendering each line.
    auto m = tokenizer::load_chat_model(kQwen);
    ASSERT_TRUE(m.ok());
    int64_t total = 0, trained = 0, lo = 1 << 30, hi = 0;
    for (const std::string& line : {kGood1, kGood2, kGood3}) {
        std::vector<SftIssue> issues;
        auto ex = parse_sft_example(line, 1, &issues);
        ASSERT_TRUE(ex);
        auto t = render_sft_example(*ex, *m->tokenizer, m->chat_template);
        ASSERT_TRUE(t.ok());
        const int64_t n = static_cast<int64_t>(t->tokens.size());
        total += n;
        trained += t->n_trained();
        lo = std::min(lo, n);
        hi = std::max(hi, n);
    }
    EXPECT_EQ(r->stats.total_tokens, total);
    EXPECT_EQ(r->stats.trained_tokens, trained);
    EXPECT_EQ(r->stats.min_tokens, lo);
    EXPECT_EQ(r->stats.max_tokens, hi);
    EXPECT_DOUBLE_EQ(r->stats.mean_tokens, total / 3.0);
    // "4<|im_end|>", "Paris.<|im_end|>", "Hi!<|im_end|>"
    EXPECT_EQ(trained, 2 + 3 + 3);
    const std::string text = format_sft_report(*r);
    EXPECT_NE(text.find("3 lines, 3 examples without errors, 0 errors, 0 warnings"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find(fmt::format("x 3 epoch(s) = {} tokens processed", total * 3)),
              std::string::npos)
        << text;
    auto j = nlohmann::json::parse(sft_report_json(*r));
    EXPECT_EQ(j["ok"], true);
    EXPECT_EQ(j["estimated_tokens"], total * 3);
    EXPECT_EQ(j["tokens"]["trained"], trained);
}

TEST_F(SftFileTest, EveryIssueWithItsLineNumber) {
    std::string words;
    for (int i = 0; i < 100; ++i) words += " and then";
    const std::string long_example =
        R"({"messages": [{"role": "user", "content": "Go on"}, {"role": "assistant", "content": ")" +
        words + R"("}]})";
    const std::vector<std::string> lines = {
        kGood1,       // 1
        "{not json",  // 2
        R"({"messages": [{"role": "robot", "content": "x"}, {"role": "assistant", "content": "y"}]})",  // 3
        R"({"messages": [{"content": "x"}, {"role": "assistant", "content": "y"}]})",  // 4
        R"({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "y"}]})",  // 5
        R"({"messages": [{"role": "user", "content": "only a question"}]})",  // 6
        kGood1,                                                               // 7: duplicate
        "",                                                                   // 8: blank
        R"({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "weight": 2}]})",  // 9
        R"({"prompt": "p"})",  // 10
        R"({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "tools": 5})",  // 11
        R"({"messages": [{"role": "assistant", "content": "first"}, {"role": "user", "content": "q"}]})",  // 12
        long_example,  // 13
    };
    std::string content;
    for (const auto& l : lines) content += l + "\n";
    SftValidateConfig c;
    c.input = write("bad.jsonl", content);
    c.model = kQwen;
    c.max_tokens = 100;  // kGood1 renders to ~40 tokens, the long example to ~240
    auto r = validate_sft_file(c);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_FALSE(r->ok());
    std::vector<std::pair<int64_t, std::string>> got;
    for (const SftIssue& i : r->issues)
        got.emplace_back(i.line, std::string(sft_issue_kind_name(i.kind)));
    const std::vector<std::pair<int64_t, std::string>> want = {
        {2, "bad_json"},     {3, "unknown_role"},
        {4, "missing_role"}, {5, "empty_content"},
        {6, "no_assistant"}, {7, "duplicate"},
        {9, "bad_weight"},   {10, "bad_format"},
        {11, "bad_tools"},   {12, "template_unsupported"},
        {13, "too_long"}};
    EXPECT_EQ(got, want);
    EXPECT_EQ(r->stats.n_lines, 12);
    EXPECT_EQ(r->stats.n_errors, 10);
    EXPECT_EQ(r->stats.n_warnings, 1);
    EXPECT_EQ(r->stats.n_duplicates, 1);
    EXPECT_EQ(r->stats.n_examples, 2) << "lines 1 and 7";
    EXPECT_EQ(r->issues[5].severity, SftSeverity::kWarning);
    EXPECT_EQ(r->issues[5].message, "the same example as line 1");
    const std::string text = format_sft_report(*r);
    EXPECT_NE(text.find(c.input + ":2: error [bad_json]: not valid JSON"), std::string::npos)
        << text;
    EXPECT_NE(text.find(c.input + ":7: warning [duplicate]"), std::string::npos) << text;
    EXPECT_NE(text.find("not ok"), std::string::npos);
}

TEST_F(SftFileTest, EmptyFileAndMissingInputs) {
    SftValidateConfig c;
    c.input = write("empty.jsonl", "\n  \n");
    c.model = kQwen;
    auto r = validate_sft_file(c);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->issues.size(), 1u);
    EXPECT_EQ(r->issues[0].kind, SftIssueKind::kEmptyFile);
    EXPECT_EQ(r->issues[0].line, 0);

    c.input = path("missing.jsonl");
    r = validate_sft_file(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::StatusCode::kNotFound);

    c.input = write("good.jsonl", kGood1 + "\n");
    c.model = JENNY_SHARED_DATA "/tokenizers/llama2c";  // no chat template
    r = validate_sft_file(c);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("--model"), std::string::npos) << r.status().to_string();
}

TEST_F(SftFileTest, DatasetIsMaskedAndCarriesTheModelsTokenizerHash) {
    SftDatasetConfig c;
    c.input = write("good.jsonl", kGood1 + "\n" + kGood2 + "\n" + kGood3 + "\n" + kGood1 + "\n");
    c.model = kQwen;
    c.output = path("out/sft");
    auto s = run_sft_dataset(c);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    ASSERT_TRUE(s->written);
    EXPECT_EQ(s->report.stats.n_duplicates, 1) << "a warning: duplicates are kept";
    auto ds = TokenDataset::open(c.output);
    ASSERT_TRUE(ds.ok()) << ds.status().to_string();
    EXPECT_TRUE((*ds)->has_mask());
    EXPECT_EQ((*ds)->n_documents(), 4);
    EXPECT_TRUE((*ds)->verify().ok());
    auto m = tokenizer::load_chat_model(kQwen);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ((*ds)->meta().tokenizer_hash, tokenizer::tokenizer_fingerprint(*m->tokenizer));
    EXPECT_EQ((*ds)->meta().token_dtype, "uint32");

    // Document 1 is kGood2, token for token and mask for mask.
    std::vector<SftIssue> issues;
    auto ex = parse_sft_example(kGood2, 2, &issues);
    ASSERT_TRUE(ex);
    auto t = render_sft_example(*ex, *m->tokenizer, m->chat_template);
    ASSERT_TRUE(t.ok());
    const int64_t b = (*ds)->document_begin(1), n = (*ds)->document_begin(2) - b;
    ASSERT_EQ(n, static_cast<int64_t>(t->tokens.size()));
    std::vector<int32_t> tokens(n);
    std::vector<uint8_t> mask(n);
    (*ds)->read_tokens(b, n, tokens.data());
    (*ds)->read_mask(b, n, mask.data());
    EXPECT_EQ(tokens, t->tokens);
    EXPECT_EQ(mask, t->mask);

    // An existing dataset is kept unless overwrite.
    auto again = run_sft_dataset(c);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.status().code(), base::StatusCode::kAlreadyExists);
    c.overwrite = true;
    c.last_turn_only = true;
    again = run_sft_dataset(c);
    ASSERT_TRUE(again.ok()) << again.status().to_string();
    EXPECT_TRUE(again->written);
}

TEST_F(SftFileTest, FileWithErrorsWritesNothing) {
    SftDatasetConfig c;
    c.input = write("bad.jsonl", kGood1 + "\n" + kGood2 + "\n{oops\n" + kGood3 + "\n");
    c.model = kQwen;
    c.output = path("out/sft");
    auto s = run_sft_dataset(c);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    EXPECT_FALSE(s->written);
    ASSERT_EQ(s->report.issues.size(), 1u);
    EXPECT_EQ(s->report.issues[0].line, 3);
    for (const std::string& f :
         {token_dataset_bin_path(c.output), token_dataset_idx_path(c.output),
          token_dataset_mask_path(c.output), token_dataset_meta_path(c.output)}) {
        EXPECT_FALSE(fs::exists(f)) << f;
    }
}

}  // namespace
}  // namespace jenny::data
