// load_model on bad input: every case a clear error that names the file and what is wrong,
// never a crash. (Byte-level corruption of each format is covered by the checkpoint tests and
// fuzzers; these are the cases only the model layer can see.)
#include "jenny/model/model_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "jenny/checkpoint/gguf_writer.h"

namespace jenny::model {
namespace {

namespace fs = std::filesystem;
const std::string kTiny = std::string(JENNY_SOURCE_DIR) + "/tests/fixtures/model/tiny/";

class ModelLoaderBadInput : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("jenny_loader_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // A copy of a tiny HF fixture whose config.json is edited by `edit`.
    std::string hf_copy(const std::string& name, const std::string& from, const std::string& to) {
        const fs::path d = dir_ / name;
        fs::create_directories(d);
        for (const char* f : {"model.safetensors", "generation_config.json"}) {
            fs::copy_file(kTiny + "llama3/" + f, d / f);
        }
        std::ifstream in(kTiny + "llama3/config.json");
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const size_t at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        if (at != std::string::npos) text.replace(at, from.size(), to);
        std::ofstream(d / "config.json") << text;
        return d.string();
    }

    base::Status load(const std::string& path) {
        LoadOptions o;
        o.load_tokenizer = false;
        auto m = load_model(path, o);
        return m.ok() ? base::Status() : m.status();
    }

    void expect_error(const std::string& path, base::StatusCode code,
                      std::initializer_list<std::string> parts) {
        base::Status s = load(path);
        ASSERT_FALSE(s.ok()) << path;
        EXPECT_EQ(s.code(), code) << s.to_string();
        for (const auto& p : parts) {
            EXPECT_NE(s.message().find(p), std::string::npos)
                << "'" << p << "' not in: " << s.message();
        }
    }

    fs::path dir_;
};

TEST_F(ModelLoaderBadInput, MissingPathAndUnknownFile) {
    expect_error((dir_ / "nope.gguf").string(), base::StatusCode::kNotFound, {"nope.gguf"});
    std::ofstream(dir_ / "notes.txt") << "hello";
    expect_error((dir_ / "notes.txt").string(), base::StatusCode::kInvalidArgument,
                 {"notes.txt", "not a model"});
}

TEST_F(ModelLoaderBadInput, UnsupportedHfArchitecture) {
    const std::string d = hf_copy("gpt2", "\"LlamaForCausalLM\"", "\"GPT2LMHeadModel\"");
    std::string text;
    {
        std::ifstream in(d + "/config.json");
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    text.replace(text.find("\"model_type\": \"llama\""), 21, "\"model_type\": \"gpt2\"");
    std::ofstream(d + "/config.json") << text;
    expect_error(d, base::StatusCode::kUnsupported, {"config.json", "GPT2LMHeadModel"});
}

TEST_F(ModelLoaderBadInput, UnsupportedRopeScalingAndActivation) {
    expect_error(hf_copy("yarn", "\"llama3\"", "\"yarn\""), base::StatusCode::kUnsupported,
                 {"config.json", "yarn"});
    expect_error(hf_copy("gelu", "\"silu\"", "\"gelu\""), base::StatusCode::kUnsupported,
                 {"hidden_act", "gelu"});
}

TEST_F(ModelLoaderBadInput, WrongShapesNameTheTensor) {
    // The config promises 96 ffn rows; the safetensors holds 96: claim 80.
    expect_error(hf_copy("shape", "\"intermediate_size\": 96", "\"intermediate_size\": 80"),
                 base::StatusCode::kInvalidArgument,
                 {"layer 0 ffn gate (w1)", "expected shape (80, 64)", "got (96, 64)"});
    expect_error(hf_copy("layers", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"),
                 base::StatusCode::kNotFound, {"model.layers.2."});
}

TEST_F(ModelLoaderBadInput, GgufUnsupportedArchitectureAndDtype) {
    {
        checkpoint::GgufWriter w;
        w.add_string("general.architecture", "gpt2");
        ASSERT_TRUE(w.write((dir_ / "gpt2.gguf").string()).ok());
    }
    expect_error((dir_ / "gpt2.gguf").string(), base::StatusCode::kUnsupported,
                 {"gpt2.gguf", "architecture 'gpt2'"});
    {
        // A llama GGUF whose token embeddings are q2_K: not a type jenny computes with.
        checkpoint::GgufWriter w;
        w.add_string("general.architecture", "llama");
        w.add_u32("llama.embedding_length", 256);
        w.add_u32("llama.feed_forward_length", 256);
        w.add_u32("llama.block_count", 1);
        w.add_u32("llama.attention.head_count", 4);
        std::vector<uint8_t> bytes(84 * 4);  // q2_K: 84 bytes per 256 values, 4 rows
        const uint64_t ne[2] = {256, 4};
        w.add_tensor_bytes("token_embd.weight", checkpoint::GgmlType::kQ2_K, ne, bytes);
        ASSERT_TRUE(w.status().ok()) << w.status().to_string();
        ASSERT_TRUE(w.write((dir_ / "q2k.gguf").string()).ok());
    }
    expect_error((dir_ / "q2k.gguf").string(), base::StatusCode::kUnsupported,
                 {"q2k.gguf", "token_embd.weight", "ggml type 10"});
}

TEST_F(ModelLoaderBadInput, GgufMissingTensorAndKey) {
    checkpoint::GgufWriter w;
    w.add_string("general.architecture", "llama");
    w.add_u32("llama.embedding_length", 64);
    ASSERT_TRUE(w.write((dir_ / "partial.gguf").string()).ok());
    expect_error((dir_ / "partial.gguf").string(), base::StatusCode::kNotFound,
                 {"partial.gguf", "llama.feed_forward_length"});
}

}  // namespace
}  // namespace jenny::model
