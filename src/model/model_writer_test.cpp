// The format converters: stories260K (llama2.c) written as GGUF and as an HF directory still
// generates llama2.c's exact text; the tiny transformers models (Llama 3, Qwen2, Mistral,
// InternLM2) written as GGUF f32 and HF f32 give the source's logits, and as f16 / bf16 /
// q8_0 / q4_0 GGUF logits within measured bounds; bad conversions are refused without
// touching anything.
#include "jenny/model/model_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "jenny/checkpoint/gguf.h"
#include "jenny/model/convert_command.h"
#include "jenny/model/generator.h"
#include "jenny/model/model_loader.h"

namespace jenny::model {
namespace {

namespace fs = std::filesystem;
using tensor::DType;

const std::string kStories = std::string(JENNY_SHARED_DATA) + "/models/stories260K/stories260K.bin";
const std::string kTiny = std::string(JENNY_SOURCE_DIR) + "/tests/fixtures/model/tiny/";

// llama2.c's test_all.py: run.c stories260K.bin -z tok512.bin -t 0.0 -n 200.
const char* kExpected =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
    "park. One day, she saw a big, red ball. She wanted to play with it, but it was too "
    "high.\nLily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what "
    "to do. She said, \"I want to play with your ball, but I can't find it.\"\nLily was sad and "
    "didn't know what to do. She said, \"I'm sorry, Lily. I didn't know what to do.\"\nLily "
    "didn't want to help her mom, so she";

class ModelWriterTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = (fs::temp_directory_path() /
                ("jenny_model_writer_" + std::to_string(::getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                   .string();
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string dir_;
};

// One thread: a spinning worker team only costs time on a shared 2-core machine at this size.
LoadedModel load(const std::string& path, bool tokenizer = true) {
    LoadOptions o;
    o.n_threads = 1;
    o.load_tokenizer = tokenizer;
    auto m = load_model(path, o);
    EXPECT_TRUE(m.ok()) << path << ": " << m.status().to_string();
    return std::move(m).value();
}

std::string greedy_from_bos(const LoadedModel& m) {
    GenerateOptions o;
    o.sampling.temperature = 0;
    o.sampling.max_tokens = 200;
    o.kv_dtype = DType::kF32;
    std::vector<int32_t> bos = {1};
    auto r = generate(const_cast<LoadedModel&>(m), bos, o);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? r->text : "";
}

TEST_F(ModelWriterTest, Stories260KAsGgufAndHfGeneratesLlama2cText) {
    LoadedModel src = load(kStories);
    const std::string gguf = dir_ + "/stories.gguf", hf = dir_ + "/stories_hf";
    SaveReport rep;
    ASSERT_TRUE(save_gguf(src, gguf, DType::kF32, base::Env::Default(), &rep).ok());
    EXPECT_EQ(rep.n_tensors, 2 + 9 * 5);  // token_embd, output_norm, 9 per layer (tied)
    ASSERT_TRUE(save_hf(src, hf, DType::kF32).ok());
    EXPECT_TRUE(fs::exists(hf + "/tokenizer.bin"));

    LoadedModel g = load(gguf);
    EXPECT_EQ(g.format, "gguf");
    EXPECT_EQ(g.tokenizer->type_name(), "gguf-llama");
    EXPECT_EQ(greedy_from_bos(g), kExpected);
    LoadedModel h = load(hf);
    EXPECT_EQ(h.format, "hf");
    EXPECT_EQ(h.tokenizer->type_name(), "llama2c");  // Tokenizer::load(dir) finds tokenizer.bin
    EXPECT_EQ(greedy_from_bos(h), kExpected);

    // Second generation: GGUF -> HF (tokenizer.gguf) and HF (tokenizer.bin) -> GGUF.
    const std::string hf2 = dir_ + "/from_gguf", gguf2 = dir_ + "/from_hf.gguf";
    ASSERT_TRUE(save_hf(g, hf2, DType::kF32).ok());
    EXPECT_TRUE(fs::exists(hf2 + "/tokenizer.gguf"));
    ASSERT_TRUE(save_gguf(h, gguf2, DType::kF32).ok());
    LoadedModel h2 = load(hf2), g2 = load(gguf2);
    EXPECT_EQ(h2.tokenizer->type_name(), "gguf-llama");
    EXPECT_EQ(greedy_from_bos(h2), kExpected);
    EXPECT_EQ(greedy_from_bos(g2), kExpected);
}

struct Fixture {
    std::vector<std::vector<int32_t>> prompts;
};

Fixture read_prompts(const std::string& name) {
    std::ifstream js(kTiny + name + "/prompts.json");
    Fixture f;
    f.prompts = nlohmann::json::parse(js)["prompts"].get<std::vector<std::vector<int32_t>>>();
    return f;
}

// Every position's logits of every prompt, all prompts as one batch.
std::vector<float> run_batch(LlamaModel& model, const Fixture& f) {
    const int V = model.config().vocab_size;
    auto kv = KvCache::create(model.kv_config(DType::kF32, 64, 4)).value();
    Batch b;
    for (size_t s = 0; s < f.prompts.size(); ++s) {
        EXPECT_TRUE(kv->add_sequence(static_cast<int>(s)).ok());
        EXPECT_TRUE(kv->append(static_cast<int>(s), static_cast<int>(f.prompts[s].size())).ok());
        b.add_sequence(f.prompts[s], 0, static_cast<int>(s), /*all_logits=*/true);
    }
    std::vector<float> out(b.n_outputs() * V);
    auto st = model.forward(b, *kv, out.data());
    EXPECT_TRUE(st.ok()) << st.to_string();
    return out;
}

// max |a - b| / max |a|.
double rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double worst = 0, scale = 0;
    EXPECT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
        scale = std::max(scale, std::fabs(double(a[i])));
    }
    return worst / scale;
}

// Pearson correlation of two logit vectors.
double correlation(const std::vector<float>& a, const std::vector<float>& b) {
    double ma = 0, mb = 0;
    for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
    ma /= a.size(), mb /= b.size();
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / std::sqrt(saa * sbb);
}

class TinyConvert : public ModelWriterTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(TinyConvert, F32RoundTripsKeepLogits) {
    const std::string name = GetParam();
    Fixture f = read_prompts(name);
    LoadedModel src = load(kTiny + name, false);
    const std::vector<float> want = run_batch(*src.model, f);

    const std::string gguf = dir_ + "/m.gguf", hf = dir_ + "/hf", back = dir_ + "/back";
    ASSERT_TRUE(save_gguf(src, gguf, DType::kF32).ok());
    ASSERT_TRUE(save_hf(src, hf, DType::kF32).ok());
    LoadedModel g = load(gguf, false), h = load(hf, false);
    EXPECT_LE(rel_diff(want, run_batch(*g.model, f)), 1e-5) << name << " gguf";
    EXPECT_LE(rel_diff(want, run_batch(*h.model, f)), 1e-5) << name << " hf";
    // GGUF back to HF: un-permuted q/k, llama3 rope_freqs fitted back, wqkv packed again.
    ASSERT_TRUE(save_hf(g, back, DType::kF32).ok());
    LoadedModel b = load(back, false);
    EXPECT_EQ(b.model->config().arch, name == "qwen2" || name == "internlm2" ? name : "llama");
    EXPECT_LE(rel_diff(want, run_batch(*b.model, f)), 1e-5) << name << " gguf -> hf";
    if (name == "llama3") {
        EXPECT_EQ(b.model->config().rope_scaling.kind, kernels::RopeScaling::Kind::kLlama3);
    }
    // llama.cpp's names: rope_freqs for Llama 3's scaling, biases for Qwen2.
    auto gf = checkpoint::GgufFile::open(gguf).value();
    EXPECT_NE(gf->find_tensor("blk.0.attn_q.weight"), nullptr);
    EXPECT_EQ(gf->find_tensor("rope_freqs.weight") != nullptr, name == "llama3");
    EXPECT_EQ(gf->find_tensor("blk.0.attn_q.bias") != nullptr, name == "qwen2");
}

// Bounds on max |logit diff| / max |logit| per dtype, measured on these models and set at
// about twice the worst seen (printed below). The fixtures' weights are bf16-representable
// (tools/oracle/tiny_models.py), so f16 and bf16 are (nearly) exact; q8_0 / q4_0 rounding on
// random 64-wide models costs up to ~6% / ~55% of the largest logit, yet the logits stay
// strongly correlated with the f32 ones.
TEST_P(TinyConvert, LowerPrecisionGgufStaysNearF32) {
    const std::string name = GetParam();
    Fixture f = read_prompts(name);
    LoadedModel src = load(kTiny + name, false);
    const std::vector<float> want = run_batch(*src.model, f);
    struct Bound {
        DType dtype;
        double max_rel_diff, min_corr;
    };
    const Bound bounds[] = {{DType::kF16, 3e-3, 0.99999},
                            {DType::kBF16, 2e-2, 0.9999},
                            {DType::kQ8_0, 0.15, 0.995},
                            {DType::kQ4_0, 1.2, 0.8}};
    for (const Bound& b : bounds) {
        const std::string path = dir_ + "/m.gguf";
        ASSERT_TRUE(save_gguf(src, path, b.dtype).ok());
        LoadedModel g = load(path, false);
        const std::vector<float> got = run_batch(*g.model, f);
        const double d = rel_diff(want, got), r = correlation(want, got);
        const std::string dt(tensor::dtype_name(b.dtype));
        std::printf("%-10s %-5s max|diff|/max|logit| %.3g (bound %.3g), corr %.5f (>= %.5f)\n",
                    name.c_str(), dt.c_str(), d, b.max_rel_diff, r, b.min_corr);
        EXPECT_LE(d, b.max_rel_diff) << name << " " << dt;
        EXPECT_GE(r, b.min_corr) << name << " " << dt;
        if (tensor::dtype_info(b.dtype).quantized || name == "llama3") {
            EXPECT_GT(d, 0.0) << name << " " << dt << ": rounding must change something";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Tiny, TinyConvert,
                         ::testing::Values("llama3", "qwen2", "mistral", "internlm2"));

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

base::Status convert(const std::string& in, const std::string& out, const std::string& to,
                     const std::string& dtype = "auto") {
    ConvertConfig c;
    c.input = in;
    c.output = out;
    c.to = to;
    c.dtype = dtype;
    std::FILE* sink = std::tmpfile();
    base::Status s = run_convert(c, sink, sink);
    std::fclose(sink);
    return s;
}

TEST_F(ModelWriterTest, ConvertCommandWritesAndRefusesBadRequests) {
    const std::string gguf = dir_ + "/s.gguf", hf = dir_ + "/s_hf";
    ASSERT_TRUE(convert(kStories, gguf, "gguf", "q8_0").ok());
    ASSERT_TRUE(convert(gguf, hf, "hf", "f16").ok());
    EXPECT_FALSE(fs::exists(hf + ".tmp"));
    EXPECT_TRUE(fs::exists(hf + "/model.safetensors"));
    EXPECT_EQ(nlohmann::json::parse(slurp(hf + "/config.json"))["torch_dtype"], "float16");
    const std::string gguf_bytes = slurp(gguf);

    // OUT == IN (also spelled differently), OUT inside an input directory.
    auto same = convert(gguf, dir_ + "/./s.gguf", "gguf", "f16");
    EXPECT_EQ(same.code(), base::StatusCode::kInvalidArgument) << same.to_string();
    EXPECT_NE(same.message().find("is the input"), std::string::npos);
    EXPECT_EQ(convert(hf, hf + "/model.gguf", "gguf").code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ(slurp(gguf), gguf_bytes);
    // Unsupported target format or dtype.
    EXPECT_EQ(convert(gguf, dir_ + "/x", "onnx").code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ(convert(gguf, dir_ + "/x", "hf", "q4_0").code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ(convert(gguf, dir_ + "/x.gguf", "gguf", "q4_K").code(),
              base::StatusCode::kInvalidArgument);
    EXPECT_FALSE(fs::exists(dir_ + "/x"));
    EXPECT_FALSE(fs::exists(dir_ + "/x.gguf"));
    // A missing and a corrupt input leave an existing output alone.
    const std::string keep = dir_ + "/keep.gguf";
    std::ofstream(keep) << "precious";
    EXPECT_EQ(convert(dir_ + "/missing.gguf", keep, "gguf").code(), base::StatusCode::kNotFound);
    const std::string bad = dir_ + "/bad.gguf";
    std::ofstream(bad) << "GGUF\x03\0\0\0garbage";
    EXPECT_FALSE(convert(bad, keep, "gguf").ok());
    EXPECT_EQ(slurp(keep), "precious");
    // An existing, non-empty output directory is not merged into.
    auto exists = convert(gguf, hf, "hf", "f32");
    EXPECT_EQ(exists.code(), base::StatusCode::kInvalidArgument) << exists.to_string();
    EXPECT_EQ(nlohmann::json::parse(slurp(hf + "/config.json"))["torch_dtype"], "float16");
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(dir_)) left.push_back(e.path().filename());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"bad.gguf", "keep.gguf", "s.gguf", "s_hf"}));
}

}  // namespace
}  // namespace jenny::model
