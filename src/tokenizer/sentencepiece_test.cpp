// SentencePiece .model and llama2.c tokenizer.bin against libsentencepiece, on the mixed
// Chinese/English/code/emoji corpus that tools/oracle/mixed_corpus.py builds (>= 1 MB).
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "jenny/base/env.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {
namespace {

const std::string kLlama2Dir = JENNY_SHARED_DATA "/tokenizers/llama2c";

// The corpus documents, built once per process.
const std::vector<std::string>& corpus() {
    static const std::vector<std::string> docs = [] {
        std::vector<std::string> out;
        const std::string path = testing::TempDir() + "/" + std::to_string(::getpid()) +
                                 "_sentencepiece_mixed_corpus.jsonl";
        const std::string cmd = std::string(JENNY_SOURCE_DIR "/.venv/bin/python ") +
                                JENNY_SOURCE_DIR "/tools/oracle/mixed_corpus.py " + path +
                                " > /dev/null";
        if (std::system(cmd.c_str()) != 0) return out;
        std::ifstream in(path);
        for (std::string line; std::getline(in, line);) {
            out.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
        }
        return out;
    }();
    return docs;
}

size_t total_bytes(const std::vector<std::string>& docs) {
    size_t n = 0;
    for (const auto& d : docs) n += d.size();
    return n;
}

EncodeOptions plain() {
    EncodeOptions o;
    o.add_special = false;
    o.parse_special = false;
    return o;
}

TEST(SentencePieceModel, Llama2AgreesWithLibSentencePieceOnMixedCorpus) {
    const auto& docs = corpus();
    ASSERT_GE(total_bytes(docs), 1'000'000u) << "mixed_corpus.py failed (run scripts/setup.sh)";
    auto tok = Tokenizer::load(kLlama2Dir + "/tokenizer.model");
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    EXPECT_EQ((*tok)->vocab_size(), 32000);
    EXPECT_EQ((*tok)->type_name(), "sentencepiece-bpe");
    sentencepiece::SentencePieceProcessor sp;
    ASSERT_TRUE(sp.Load(kLlama2Dir + "/tokenizer.model").ok());
    int bad = 0;
    for (size_t i = 0; i < docs.size(); ++i) {
        std::vector<int> want = sp.EncodeAsIds(docs[i]);
        auto got = (*tok)->encode(docs[i], plain());
        ASSERT_TRUE(got.ok()) << got.status().to_string();
        if (std::vector<int>(got->begin(), got->end()) != want) {
            if (++bad <= 3) {
                ADD_FAILURE() << "document " << i << " differs: " << testing::PrintToString(docs[i])
                              << "\n want " << testing::PrintToString(want) << "\n got  "
                              << testing::PrintToString(*got);
            }
        }
        EXPECT_EQ((*tok)->decode(*got), docs[i]) << "round trip of document " << i;
    }
    EXPECT_EQ(bad, 0) << "of " << docs.size() << " documents";
}

TEST(SentencePieceModel, Llama2cBinAgreesWithModelOnMixedCorpus) {
    const auto& docs = corpus();
    ASSERT_GE(total_bytes(docs), 1'000'000u);
    auto model = Tokenizer::load(kLlama2Dir + "/tokenizer.model");
    auto bin = Tokenizer::load(kLlama2Dir + "/tokenizer.bin");
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    ASSERT_TRUE(bin.ok()) << bin.status().to_string();
    EXPECT_EQ((*bin)->vocab_size(), 32000);
    EXPECT_EQ((*bin)->type_name(), "llama2c");
    int bad = 0;
    for (size_t i = 0; i < docs.size(); ++i) {
        auto a = (*model)->encode(docs[i], plain());
        auto b = (*bin)->encode(docs[i], plain());
        ASSERT_TRUE(a.ok() && b.ok());
        if (*a != *b && ++bad <= 3) {
            ADD_FAILURE() << "document " << i << ": " << testing::PrintToString(docs[i]);
        }
        EXPECT_EQ((*bin)->decode(*b), docs[i]) << "round trip of document " << i;
    }
    EXPECT_EQ(bad, 0) << "of " << docs.size() << " documents";
}

TEST(SentencePieceModel, SpecialsAndPieces) {
    auto tok = Tokenizer::load(kLlama2Dir + "/tokenizer.model");
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const Tokenizer& t = **tok;
    EXPECT_EQ(t.special().bos, 1);
    EXPECT_EQ(t.special().eos, 2);
    EXPECT_EQ(t.special().unk, 0);
    EXPECT_EQ(t.token_kind(1), TokenKind::kControl);
    EXPECT_EQ(t.token_kind(0), TokenKind::kUnknown);
    EXPECT_EQ(t.token_kind(3 + 0x0A), TokenKind::kByte);
    EXPECT_EQ(t.token_to_piece(3 + 0x0A), "\n");
    auto hello = t.encode("Hello world");
    ASSERT_TRUE(hello.ok());
    EXPECT_EQ(*hello, (std::vector<TokenId>{1, 15043, 3186}));  // add_bos by default
    EXPECT_EQ(t.token_to_piece(15043), " Hello");
    EXPECT_EQ(t.decode(*hello, /*skip_special=*/true), "Hello world");
    EXPECT_EQ(t.decode(std::vector<TokenId>{}), "");
    auto empty = t.encode("", plain());
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
}

TEST(Llama2cVocab, Tok512LoadsAndRoundTrips) {
    auto tok = Tokenizer::load(JENNY_SHARED_DATA "/models/stories260K/tok512.bin");
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    EXPECT_EQ((*tok)->vocab_size(), 512);
    const std::string text = "Once upon a time, there was a little girl named Lily. 你好 🦙";
    auto ids = (*tok)->encode(text);
    ASSERT_TRUE(ids.ok());
    ASSERT_FALSE(ids->empty());
    EXPECT_EQ(ids->front(), 1);
    EXPECT_EQ((*tok)->decode(*ids, /*skip_special=*/true), text);
}

TEST(Llama2cVocab, TruncatedFileIsAClearError) {
    base::Env* env = base::Env::Default();
    auto bytes = env->read_file(kLlama2Dir + "/tokenizer.bin");
    ASSERT_TRUE(bytes.ok());
    for (size_t keep : {size_t{2}, size_t{10}, bytes->size() / 2 + 1}) {
        const std::string path =
            testing::TempDir() + "/" + std::to_string(::getpid()) + "_truncated_tokenizer.bin";
        ASSERT_TRUE(env->write_file_atomic(path, bytes->substr(0, keep)).ok());
        auto tok = Tokenizer::load(path);
        ASSERT_FALSE(tok.ok()) << keep;
        EXPECT_NE(tok.status().message().find(path), std::string::npos) << tok.status().to_string();
        EXPECT_NE(tok.status().message().find("truncated"), std::string::npos)
            << tok.status().to_string();
    }
}

TEST(SentencePieceModel, CorruptModelIsAClearError) {
    base::Env* env = base::Env::Default();
    auto bytes = env->read_file(kLlama2Dir + "/tokenizer.model");
    ASSERT_TRUE(bytes.ok());
    const std::string path =
        testing::TempDir() + "/" + std::to_string(::getpid()) + "_corrupt_tokenizer.model";
    for (const std::string& data : {bytes->substr(0, bytes->size() / 3),
                                    std::string("not a protobuf at all \xff\xff"), std::string()}) {
        ASSERT_TRUE(env->write_file_atomic(path, data).ok());
        auto tok = Tokenizer::load(path);
        ASSERT_FALSE(tok.ok());
        EXPECT_NE(tok.status().message().find(path), std::string::npos) << tok.status().to_string();
    }
}

}  // namespace
}  // namespace jenny::tokenizer
