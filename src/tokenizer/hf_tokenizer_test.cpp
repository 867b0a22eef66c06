// Hugging Face tokenizer.json files in shared data against Hugging Face `tokenizers` itself,
// on a >= 1 MB mixed corpus (English, Chinese, code, emoji, odd whitespace, special-token
// text) that tools/oracle/mixed_corpus.py builds from Debian text packages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "jenny/base/env.h"
#include "jenny/tokenizer/tokenizer.h"
#include "tokenizer/loaders.h"
#include "tokenizer/unicode.h"

namespace jenny::tokenizer {
namespace {

const std::string kData = JENNY_SHARED_DATA "/tokenizers";
const std::string kPython = JENNY_SOURCE_DIR "/.venv/bin/python";
const std::string kOracle = JENNY_SOURCE_DIR "/tools/oracle";

std::vector<std::string> read_jsonl_texts(const std::string& path) {
    auto text = base::Env::Default()->read_file(path);
    EXPECT_TRUE(text.ok()) << text.status().to_string();
    std::vector<std::string> out;
    size_t pos = 0;
    while (text.ok() && pos < text->size()) {
        size_t nl = text->find('\n', pos);
        out.push_back(nlohmann::json::parse(text->substr(pos, nl - pos))["text"]);
        pos = nl + 1;
    }
    return out;
}

std::vector<std::vector<TokenId>> read_jsonl_ids(const std::string& path) {
    auto text = base::Env::Default()->read_file(path);
    EXPECT_TRUE(text.ok()) << text.status().to_string();
    std::vector<std::vector<TokenId>> out;
    size_t pos = 0;
    while (text.ok() && pos < text->size()) {
        size_t nl = text->find('\n', pos);
        out.push_back(
            nlohmann::json::parse(text->substr(pos, nl - pos)).get<std::vector<TokenId>>());
        pos = nl + 1;
    }
    return out;
}

void run_python(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kPython};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = base::Env::Default()->run_subprocess(argv, {});
    ASSERT_TRUE(r.ok()) << r.status().to_string() << " (run scripts/setup.sh to create .venv)";
    ASSERT_EQ(r->exit_code, 0) << r->stdout_data << r->stderr_data;
}

class HfCorpus : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() {
        char tmpl[] = "/tmp/jenny_hf_corpus.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        run_python({kOracle + "/mixed_corpus.py", dir_ + "/corpus.jsonl"});
        texts_ = read_jsonl_texts(dir_ + "/corpus.jsonl");
    }
    static void TearDownTestSuite() {
        (void)base::Env::Default()->run_subprocess({"rm", "-rf", dir_}, {});
    }
    static std::string dir_;
    static std::vector<std::string> texts_;
};
std::string HfCorpus::dir_;
std::vector<std::string> HfCorpus::texts_;

TEST_P(HfCorpus, EncodesExactlyAsHuggingFaceTokenizers) {
    const std::string name = GetParam();
    const std::string json = kData + "/" + name + "/tokenizer.json";
    run_python(
        {kOracle + "/hf_encode.py", json, dir_ + "/corpus.jsonl", dir_ + "/" + name + ".ids"});
    auto expected = read_jsonl_ids(dir_ + "/" + name + ".ids");
    ASSERT_EQ(expected.size(), texts_.size());
    size_t bytes = 0;
    for (const auto& t : texts_) bytes += t.size();
    ASSERT_GE(bytes, 1'000'000u);

    auto tok = Tokenizer::load(json);
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    int mismatches = 0;
    for (size_t i = 0; i < texts_.size() && mismatches < 3; ++i) {
        auto ids = (*tok)->encode(texts_[i]);
        ASSERT_TRUE(ids.ok()) << ids.status().to_string();
        if (*ids != expected[i]) {
            ++mismatches;
            size_t k = 0;
            while (k < ids->size() && k < expected[i].size() && (*ids)[k] == expected[i][k]) ++k;
            ADD_FAILURE() << name << " document " << i << ": first difference at token " << k
                          << " (jenny " << (k < ids->size() ? (*ids)[k] : -1) << " '"
                          << (k < ids->size() ? (*tok)->token_text((*ids)[k]) : "") << "', HF "
                          << (k < expected[i].size() ? expected[i][k] : -1) << " '"
                          << (k < expected[i].size() ? (*tok)->token_text(expected[i][k]) : "")
                          << "')";
        }
    }
    EXPECT_EQ(mismatches, 0);
}

TEST_P(HfCorpus, DecodeRoundTripsAndStreams) {
    const std::string name = GetParam();
    auto tok = Tokenizer::load(kData + "/" + name + "/tokenizer.json");
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    for (size_t i = 0; i < texts_.size(); i += 7) {
        EncodeOptions plain;
        plain.add_special = false;
        auto ids = (*tok)->encode(texts_[i], plain);
        ASSERT_TRUE(ids.ok());
        std::string decoded = (*tok)->decode(*ids);
        if (name == "hf-llama3") {  // byte-level and no normalizer: lossless
            ASSERT_EQ(decoded, texts_[i]) << "document " << i;
        } else if (name == "hf-qwen2_5") {  // byte-level after NFC
            ASSERT_EQ(decoded, *normalize(texts_[i], NormalForm::kNfc)) << "document " << i;
        }
        StreamDecoder stream(**tok);
        std::string streamed;
        for (TokenId id : *ids) {
            std::string piece = stream.push(id);
            // Never half a character.
            size_t p = 0;
            while (p < piece.size()) {
                unsigned char c = static_cast<unsigned char>(piece[p]);
                size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
                ASSERT_LE(p + len, piece.size()) << "document " << i << " split a character";
                p += len;
            }
            streamed += piece;
        }
        streamed += stream.flush();
        ASSERT_EQ(streamed, decoded) << "document " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(SharedData, HfCorpus,
                         ::testing::Values("hf-llama3", "hf-qwen2_5", "hf-internlm2"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (char& c : n) {
                                 if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return n;
                         });

TEST(HfTokenizer, ModelDirectoryAddsConfigTokensLikeTransformers) {
    // tokenizer.json alone (the tokenizers library): <s> is ordinary, <|im_start|> is text.
    auto file = Tokenizer::load(kData + "/hf-internlm2/tokenizer.json");
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    auto ids = (*file)->encode("Hello world\n你好");
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, (std::vector<TokenId>{1, 9843, 2028, 364, 77230}));
    EXPECT_EQ((*file)->decode(*ids, /*skip_special=*/true), "<s>Hello world\n你好");
    EXPECT_GT((*file)->encode("<|im_start|>")->size(), 1u);
    // The model directory (transformers): tokenizer_config.json's added_tokens_decoder counts.
    auto dir = Tokenizer::load(kData + "/hf-internlm2");
    ASSERT_TRUE(dir.ok()) << dir.status().to_string();
    EXPECT_EQ(*(*dir)->encode("<|im_start|>user"), (std::vector<TokenId>{1, 92543, 1008}));
    EXPECT_EQ((*dir)->decode(*ids, /*skip_special=*/true), "Hello world\n你好");
    EXPECT_EQ((*dir)->special().bos, 1);
    EXPECT_EQ((*dir)->special().eos, 2);
    EXPECT_TRUE((*dir)->special().add_bos);
}

TEST(HfTokenizer, SpecialTokensParsedOrNot) {
    auto tok = Tokenizer::load(kData + "/hf-qwen2_5/tokenizer.json");
    ASSERT_TRUE(tok.ok());
    auto with = (*tok)->encode("<|im_start|>user");
    ASSERT_TRUE(with.ok());
    EXPECT_EQ(with->front(), 151644);
    EncodeOptions o;
    o.parse_special = false;
    auto without = (*tok)->encode("<|im_start|>user", o);
    ASSERT_TRUE(without.ok());
    EXPECT_NE(without->front(), 151644);
    EXPECT_GT(without->size(), 2u);
    EXPECT_EQ((*tok)->decode(*with), "<|im_start|>user");
    EXPECT_EQ((*tok)->decode(*with, /*skip_special=*/true), "user");
    EXPECT_EQ((*tok)->token_kind(151644), TokenKind::kControl);
}

TEST(HfTokenizer, InvalidUtf8IsAnError) {
    auto tok = Tokenizer::load(kData + "/hf-llama3/tokenizer.json");
    ASSERT_TRUE(tok.ok());
    auto r = (*tok)->encode(std::string("ok \xff\xfe", 5));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "invalid UTF-8 at byte 3 (0xff): tokenizers take UTF-8 text");
}

TEST(HfTokenizer, CorruptOrUnsupportedJsonIsAClearError) {
    auto full = base::Env::Default()->read_file(kData + "/hf-qwen2_5/tokenizer.json");
    ASSERT_TRUE(full.ok());
    auto truncated = load_hf_json(full->substr(0, full->size() / 2), "cut.json");
    ASSERT_FALSE(truncated.ok());
    EXPECT_NE(truncated.status().message().find("cut.json: not valid JSON"), std::string::npos)
        << truncated.status().message();

    auto j = nlohmann::json::parse(*full);
    j["model"]["type"] = "Unigram";
    auto unigram = load_hf_json(j.dump(), "u.json");
    ASSERT_FALSE(unigram.ok());
    EXPECT_EQ(unigram.status().code(), base::StatusCode::kUnsupported);
    EXPECT_NE(unigram.status().message().find("model type 'Unigram'"), std::string::npos);

    j = nlohmann::json::parse(*full);
    j["pre_tokenizer"]["pretokenizers"][0]["type"] = "Fancy";
    auto pre = load_hf_json(j.dump(), "p.json");
    ASSERT_FALSE(pre.ok());
    EXPECT_NE(pre.status().message().find("pre_tokenizer type 'Fancy'"), std::string::npos)
        << pre.status().message();

    j = nlohmann::json::parse(*full);
    j["model"]["merges"][5] = "nosuch tokens";
    auto merge = load_hf_json(j.dump(), "m.json");
    ASSERT_FALSE(merge.ok());
    EXPECT_NE(merge.status().message().find("merge 5"), std::string::npos)
        << merge.status().message();

    // Found by hf_json_fuzz: a "<0x..>" piece that is not hex must not crash ByteFallback.
    auto spm = base::Env::Default()->read_file(JENNY_SOURCE_DIR "/fuzz/hf_json_fuzz/spm.json");
    ASSERT_TRUE(spm.ok());
    j = nlohmann::json::parse(*spm);
    j["model"]["vocab"]["<0xZZ>"] = 999;
    auto odd = load_hf_json(j.dump(), "odd.json");
    ASSERT_TRUE(odd.ok()) << odd.status().to_string();
    EXPECT_EQ((*odd)->token_to_piece(999), "<0xZZ>");
    j["model"]["byte_fallback"] = "yes";
    auto wrong_type = load_hf_json(j.dump(), "t.json");
    ASSERT_FALSE(wrong_type.ok());
    EXPECT_NE(wrong_type.status().message().find("malformed tokenizer.json"), std::string::npos)
        << wrong_type.status().message();

    auto missing = Tokenizer::load("/nonexistent/tokenizer.json");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().code(), base::StatusCode::kNotFound);
    auto unknown = Tokenizer::load(JENNY_SOURCE_DIR "/README.md");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.status().message().find("unknown file type"), std::string::npos);
}

}  // namespace
}  // namespace jenny::tokenizer
