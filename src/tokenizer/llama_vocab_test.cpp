// llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf.inp/.out): each vocabulary at
// hand encodes every input to exactly the ids llama.cpp's test-tokenizer-0 expects
// (add_special=false, parse_special=false). The GGUF vocabularies go through jenny's GGUF
// loader; llama-bpe and qwen2 (whose GGUFs are not in shared/data) through the Hugging Face
// tokenizer.json of the same model.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "jenny/base/env.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {
namespace {

const std::string kVocabDir = JENNY_SHARED_DATA "/tokenizers/llama.cpp-vocab";

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct VocabCase {
    std::string name;        // ggml-vocab-<name>.gguf
    std::string tokenizer;   // what jenny loads
    std::string label = "";  // test name when it differs from name
};

std::ostream& operator<<(std::ostream& os, const VocabCase& c) { return os << c.name; }

// JENNY_LLAMA_VOCAB_GGUF_DIR points the GGUF cases at other copies of the same files (the
// ones in shared/data are damaged, see below).
std::string gguf_dir() {
    const char* dir = std::getenv("JENNY_LLAMA_VOCAB_GGUF_DIR");
    return dir != nullptr && *dir != '\0' ? dir : kVocabDir;
}

std::vector<VocabCase> cases() {
    std::vector<VocabCase> out;
    for (const char* name : {"bert-bge", "deepseek-coder", "deepseek-llm", "falcon", "gpt-2",
                             "llama-spm", "mpt", "phi-3", "refact", "starcoder"}) {
        out.push_back({name, gguf_dir() + "/ggml-vocab-" + name + ".gguf"});
    }
    // The shared llama-spm and phi-3 GGUFs are damaged; their vocabulary is Llama 2's
    // SentencePiece model (same 32000 pieces and scores), which is at hand intact.
    out.push_back({"llama-spm", JENNY_SHARED_DATA "/tokenizers/llama2c/tokenizer.model",
                   "llama-spm-from-sentencepiece-model"});
    out.push_back({"llama-bpe", JENNY_SHARED_DATA "/tokenizers/hf-llama3/tokenizer.json"});
    out.push_back({"qwen2", JENNY_SHARED_DATA "/tokenizers/hf-qwen2_5/tokenizer.json"});
    // baichuan: no .inp/.out in llama.cpp. command-r: vectors only, its GGUF (> 4 MiB) and
    // tokenizer.json are not at hand.
    return out;
}

class LlamaVocabTest : public testing::TestWithParam<VocabCase> {};

TEST_P(LlamaVocabTest, MatchesLlamaCppVectors) {
    const VocabCase& c = GetParam();
    const std::string base = kVocabDir + "/ggml-vocab-" + c.name + ".gguf";
    std::string inp = slurp(base + ".inp");
    std::string outp = slurp(base + ".out");
    ASSERT_FALSE(inp.empty()) << base << ".inp";
    std::vector<std::string> texts;
    const std::string sep = "\n__ggml_vocab_test__\n";
    for (size_t pos = 0;;) {
        size_t e = inp.find(sep, pos);
        if (e == std::string::npos) break;  // the text after the last separator is empty
        texts.push_back(inp.substr(pos, e - pos));
        pos = e + sep.size();
    }
    std::vector<std::vector<TokenId>> want;
    std::istringstream lines(outp);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream ids(line);
        want.emplace_back();
        for (TokenId id; ids >> id;) want.back().push_back(id);
    }
    ASSERT_EQ(texts.size(), want.size()) << base;

    auto tok = Tokenizer::load(c.tokenizer);
    if (!tok.ok() && slurp(c.tokenizer).find("\xef\xbf\xbd") != std::string::npos) {
        // The copy in shared/data went through a lossy UTF-8 conversion: every byte that was
        // not valid UTF-8 (string lengths >= 128, most float scores, some counts) became
        // U+FFFD, so the file is not GGUF any more. Refusing it is the right answer.
        GTEST_SKIP() << c.tokenizer
                     << " is damaged (bytes replaced by U+FFFD): " << tok.status().to_string();
    }
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    EncodeOptions opt;
    opt.add_special = false;
    opt.parse_special = false;
    int failures = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
        auto ids = (*tok)->encode(texts[i], opt);
        ASSERT_TRUE(ids.ok()) << ids.status().to_string();
        EXPECT_EQ(*ids, want[i]) << c.name << " case " << i << ": "
                                 << testing::PrintToString(texts[i]);
        if (*ids != want[i]) ++failures;
    }
    EXPECT_EQ(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(Vocabs, LlamaVocabTest, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<VocabCase>& info) {
                             std::string n =
                                 info.param.label.empty() ? info.param.name : info.param.label;
                             for (char& ch : n) {
                                 if (ch == '-') ch = '_';
                             }
                             return n;
                         });

}  // namespace
}  // namespace jenny::tokenizer
