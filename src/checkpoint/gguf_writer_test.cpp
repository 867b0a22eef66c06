// GgufWriter: every metadata type and tensor type round-trips through GgufFile, gguf-py files
// are rewritten byte for byte, bad adds are refused, and gguf-py reads what jenny writes
// (tools/oracle/checkpoint_oracle.py --gguf; skipped without the virtualenv).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstring>

#include "jenny/base/env.h"
#include "jenny/checkpoint/gguf.h"
#include "jenny/checkpoint/gguf_writer.h"

namespace jenny::checkpoint {
namespace {

using base::StatusCode;
using tensor::DType;
using tensor::Tensor;
using ::testing::HasSubstr;

const std::string kSeeds = JENNY_SOURCE_DIR "/fuzz/gguf_fuzz";

std::string read(const std::string& path) {
    auto r = base::Env::Default()->read_file(path);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::string();
}

std::span<const uint8_t> as_bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string hex(std::span<const uint8_t> b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (uint8_t c : b) {
        s += kDigits[c >> 4];
        s += kDigits[c & 15];
    }
    return s;
}

Tensor f32_tensor(tensor::Shape shape, float start) {
    Tensor t = Tensor::empty(DType::kF32, shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.mutable_data_as<float>()[i] = start + 0.37f * static_cast<float>(i % 17) - 2.0f;
    }
    return t;
}

// A writer with every metadata type and several tensor types.
struct Sample {
    GgufWriter w;
    std::vector<std::pair<std::string, Tensor>> tensors;
};

std::unique_ptr<Sample> sample() {
    auto s = std::make_unique<Sample>();
    GgufWriter& w = s->w;
    w.add_string("general.architecture", "llama");
    w.add_u8("t.u8", 200);
    w.add_i8("t.i8", -100);
    w.add_u16("t.u16", 60000);
    w.add_i16("t.i16", -30000);
    w.add_u32("t.u32", 4000000000u);
    w.add_i32("t.i32", -2000000000);
    w.add_u64("t.u64", (1ull << 63) + 5);
    w.add_i64("t.i64", -(1ll << 62));
    w.add_f32("t.f32", 0.1f);
    w.add_f64("t.f64", -1.5e-300);
    w.add_bool("t.bool", true);
    w.add_string("t.str", "héllo \"wörld\"\n ✓");
    w.add_string("t.empty", "");
    std::vector<uint8_t> u8 = {1, 2, 255};
    std::vector<int8_t> i8 = {-1, 0, 127};
    std::vector<uint16_t> u16 = {0, 65535};
    std::vector<int16_t> i16 = {-1, 7, 300};
    std::vector<uint32_t> u32 = {0, 4000000000u};
    std::vector<int32_t> i32 = {-5, 0, 5};
    std::vector<uint64_t> u64 = {~0ull};
    std::vector<int64_t> i64 = {-(1ll << 40), 1ll << 40};
    std::vector<float> f32 = {1.0f, -0.5f, 3.25e-8f};
    std::vector<double> f64 = {0.1, 1e16};
    bool bools[] = {true, false, true};
    std::vector<std::string> strs = {"a", "", "ü", "<|end|>"};
    std::vector<std::string_view> views = {"x", "y z"};
    w.add_u8_array("a.u8", u8);
    w.add_i8_array("a.i8", i8);
    w.add_u16_array("a.u16", u16);
    w.add_i16_array("a.i16", i16);
    w.add_u32_array("a.u32", u32);
    w.add_i32_array("a.i32", i32);
    w.add_u64_array("a.u64", u64);
    w.add_i64_array("a.i64", i64);
    w.add_f32_array("a.f32", f32);
    w.add_f64_array("a.f64", f64);
    w.add_bool_array("a.bool", bools);
    w.add_string_array("a.str", strs);
    w.add_string_array("a.views", views);
    w.add_f32_array("a.empty", {});

    Tensor x = f32_tensor({3, 64}, 0);
    Tensor ids = Tensor::empty(DType::kI32, {5});
    ids.mutable_data_as<int32_t>()[4] = -3;
    Tensor q4k = Tensor::empty(DType::kQ4_K, {2, 256});  // raw blocks: bytes are bytes
    for (size_t i = 0; i < q4k.nbytes(); ++i) q4k.mutable_data_as<uint8_t>()[i] = i * 31 % 251;
    s->tensors = {{"f32", f32_tensor({2, 3}, 1)},
                  {"f16", x.convert(DType::kF16)},
                  {"bf16", x.convert(DType::kBF16)},
                  {"q8_0", x.convert(DType::kQ8_0)},
                  {"q4_0", x.convert(DType::kQ4_0)},
                  {"q4_k", q4k},
                  {"i32", ids},
                  {"scalar", f32_tensor({}, 4)},
                  {"four_d", f32_tensor({2, 1, 3, 4}, 5)}};
    for (const auto& [name, t] : s->tensors) w.add_tensor(name, t);
    return s;
}

TEST(GgufWriter, RoundTripThroughTheReader) {
    auto s = sample();
    ASSERT_TRUE(s->w.status().ok()) << s->w.status().to_string();
    auto bytes = s->w.serialize();
    ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
    auto f = GgufFile::parse(as_bytes(*bytes), "w.gguf");
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    const GgufFile& g = **f;
    EXPECT_EQ(g.version(), 3u);
    EXPECT_EQ(g.alignment(), 32u);
    EXPECT_EQ(g.metadata().size(), s->w.num_kv());
    EXPECT_EQ(*g.get_string("general.architecture"), "llama");
    EXPECT_EQ(*g.get_u32("t.u8"), 200u);
    EXPECT_EQ(*g.get_i32("t.i8"), -100);
    EXPECT_EQ(*g.get_u32("t.u16"), 60000u);
    EXPECT_EQ(*g.get_i32("t.i16"), -30000);
    EXPECT_EQ(*g.get_u32("t.u32"), 4000000000u);
    EXPECT_EQ(*g.get_i32("t.i32"), -2000000000);
    EXPECT_EQ(*g.get_u64("t.u64"), (1ull << 63) + 5);
    EXPECT_EQ(*g.get_i64("t.i64"), -(1ll << 62));
    EXPECT_EQ(*g.get_f32("t.f32"), 0.1f);
    EXPECT_EQ(*g.get_f64("t.f64"), -1.5e-300);
    EXPECT_TRUE(*g.get_bool("t.bool"));
    EXPECT_EQ(*g.get_string("t.str"), "héllo \"wörld\"\n ✓");
    EXPECT_EQ(*g.get_string("t.empty"), "");
    EXPECT_EQ(g.find("t.u16")->type(), GgufType::kUint16);
    EXPECT_EQ(g.find("t.bool")->type(), GgufType::kBool);
    EXPECT_EQ(g.find("a.u8")->type_name(), "array of uint8");
    EXPECT_EQ(g.find("a.bool")->type_name(), "array of bool");
    EXPECT_EQ(g.find("a.f64")->type_name(), "array of float64");
    EXPECT_EQ(*g.get_i32_array("a.i16"), (std::vector<int32_t>{-1, 7, 300}));
    EXPECT_EQ(*g.get_u32_array("a.u32"), (std::vector<uint32_t>{0, 4000000000u}));
    EXPECT_EQ(*g.get_i64_array("a.i64"), (std::vector<int64_t>{-(1ll << 40), 1ll << 40}));
    EXPECT_EQ(*g.get_f32_array("a.f32"), (std::vector<float>{1.0f, -0.5f, 3.25e-8f}));
    EXPECT_EQ(g.find("a.u64")->element(0).as_u64(), ~0ull);
    auto strs = *g.get_string_array("a.str");
    EXPECT_EQ(std::vector<std::string_view>(strs.begin(), strs.end()),
              (std::vector<std::string_view>{"a", "", "ü", "<|end|>"}));
    EXPECT_EQ(g.get_string_array("a.views")->size(), 2u);
    EXPECT_EQ(g.find("a.empty")->array_size(), 0u);

    ASSERT_EQ(g.tensors().size(), s->tensors.size());
    for (size_t i = 0; i < s->tensors.size(); ++i) {
        const auto& [name, t] = s->tensors[i];
        const GgufTensorInfo& info = g.tensors()[i];
        SCOPED_TRACE(name);
        EXPECT_EQ(info.name, name);
        EXPECT_EQ(static_cast<uint32_t>(info.type), tensor::dtype_info(t.dtype()).ggml_id);
        // GGUF order: ne[0] is the last (contiguous) PyTorch dim.
        const tensor::Shape& sh = t.shape();
        for (int d = 0; d < sh.ndim(); ++d) EXPECT_EQ(info.ne[d], sh[sh.ndim() - 1 - d]);
        EXPECT_EQ(info.n_dims, std::max(1, sh.ndim()));
        EXPECT_EQ(info.offset % 32, 0u);
        ASSERT_EQ(info.n_bytes, t.nbytes());
        EXPECT_EQ(std::memcmp(info.data, t.data(), t.nbytes()), 0);
    }
}

TEST(GgufWriter, StreamedFileEqualsSerializedAndCustomAlignment) {
    auto s = sample();
    s->w.set_alignment(64);
    std::string path = testing::TempDir() + "/" + std::to_string(::getpid()) + "_gguf_writer.gguf";
    ASSERT_TRUE(s->w.write(path).ok());
    EXPECT_EQ(read(path), *s->w.serialize());
    auto f = GgufFile::open(path);
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    EXPECT_EQ((*f)->alignment(), 64u);
    EXPECT_EQ((*f)->data_offset() % 64, 0u);
    for (const auto& t : (*f)->tensors()) EXPECT_EQ(t.offset % 64, 0u) << t.name;
    EXPECT_EQ(read(path).size() % 64, 0u);
    (void)base::Env::Default()->remove_file(path);
}

// Copying every key (add_value, nested arrays included) and every tensor (add_tensor_bytes,
// any ggml type) of a gguf-py file gives back the same bytes: gguf-py and jenny lay GGUF out
// identically.
TEST(GgufWriter, RewritesGgufPyFilesByteForByte) {
    for (std::string name : {"all_types.gguf", "vocab.gguf", "aligned64.gguf"}) {
        SCOPED_TRACE(name);
        std::string original = read(kSeeds + "/" + name);
        auto f = GgufFile::parse(as_bytes(original), name);
        ASSERT_TRUE(f.ok()) << f.status().to_string();
        GgufWriter w;
        for (const GgufKv& kv : (*f)->metadata()) w.add_value(kv.key, kv.value);
        for (const GgufTensorInfo& t : (*f)->tensors()) {
            w.add_tensor_bytes(t.name, t.type, std::span<const uint64_t>(t.ne.data(), t.n_dims),
                               t.bytes());
        }
        auto bytes = w.serialize();
        ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
        EXPECT_EQ(bytes->size(), original.size());
        EXPECT_TRUE(*bytes == original)
            << "first difference at byte "
            << std::mismatch(bytes->begin(), bytes->end(), original.begin()).first - bytes->begin();
    }
}

TEST(GgufWriter, RefusesBadAdds) {
    auto expect_refused = [](auto&& add, std::string_view part) {
        GgufWriter w;
        add(w);
        EXPECT_FALSE(w.status().ok());
        EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
        EXPECT_THAT(w.status().message(), HasSubstr(std::string(part)));
        EXPECT_FALSE(w.serialize().ok());
        std::string path = testing::TempDir() + "/never_written.gguf";
        EXPECT_FALSE(w.write(path).ok());
        EXPECT_FALSE(base::Env::Default()->file_exists(path));
    };
    expect_refused([](GgufWriter& w) { w.add_u32("k", 1), w.add_string("k", "x"); },
                   "'k' added twice");
    Tensor t = f32_tensor({2, 32}, 0);
    expect_refused([&](GgufWriter& w) { w.add_tensor("a", t), w.add_tensor("a", t); },
                   "'a' added twice");
    expect_refused([&](GgufWriter& w) { w.add_tensor(std::string(64, 'n'), t); }, "at most 63");
    expect_refused([&](GgufWriter& w) { w.add_tensor("u", Tensor()); }, "undefined");
    expect_refused(
        [&](GgufWriter& w) {
            w.add_tensor("e", Tensor::empty(DType::kF32, {0, 4}));
        },
        "at least one element");
    expect_refused([](GgufWriter& w) { w.set_alignment(48); }, "power of two");
    expect_refused([](GgufWriter& w) { w.add_u8("general.alignment", 64); }, "uint32");
    uint8_t raw[10] = {};
    uint64_t ne[2] = {32, 1};
    expect_refused([&](GgufWriter& w) { w.add_tensor_bytes("q", GgmlType::kQ8_0, ne, raw); },
                   "needs 34 bytes, got 10");
    uint64_t ne_bad[1] = {33};
    expect_refused([&](GgufWriter& w) { w.add_tensor_bytes("q", GgmlType::kQ8_0, ne_bad, raw); },
                   "not a multiple of the Q8_0 block size 32");
    expect_refused(
        [&](GgufWriter& w) { w.add_tensor_bytes("q", static_cast<GgmlType>(4), ne, raw); },
        "removed");
    // add_u32 of general.alignment is set_alignment.
    GgufWriter ok;
    ok.add_u32("general.alignment", 128);
    EXPECT_EQ(ok.alignment(), 128u);
}

// gguf-py reads what jenny writes: every key's type and value, every tensor's info and bytes.
TEST(GgufWriterOracle, GgufPyReadsWhatJennyWrites) {
    base::Env* env = base::Env::Default();
    const std::string python = JENNY_SOURCE_DIR "/.venv/bin/python";
    if (!env->file_exists(python)) GTEST_SKIP() << python << " is missing: run scripts/setup.sh";
    auto s = sample();
    std::string path =
        testing::TempDir() + "/" + std::to_string(::getpid()) + "_gguf_writer_oracle.gguf";
    ASSERT_TRUE(s->w.write(path).ok());
    base::SubprocessOptions opts;
    opts.timeout_seconds = 120;
    auto res = env->run_subprocess(
        {python, JENNY_SOURCE_DIR "/tools/oracle/checkpoint_oracle.py", "--gguf", path}, opts);
    ASSERT_TRUE(res.ok()) << res.status().to_string();
    ASSERT_EQ(res->exit_code, 0) << res->stderr_data;
    auto want = nlohmann::json::parse(res->stdout_data)[0];
    ASSERT_TRUE(want["ok"].get<bool>()) << want.dump();
    auto f = GgufFile::open(path);
    ASSERT_TRUE(f.ok());
    const GgufFile& g = **f;
    EXPECT_EQ(want["version"].get<int>(), 3);
    EXPECT_EQ(want["data_offset"].get<uint64_t>(), g.data_offset());
    ASSERT_EQ(want["kv"].size(), g.metadata().size());
    for (size_t i = 0; i < g.metadata().size(); ++i) {
        const auto& kv = want["kv"][i];
        const GgufKv& ours = g.metadata()[i];
        EXPECT_EQ(kv["key"].get<std::string>(), ours.key);
        EXPECT_EQ(kv["type"].get<std::string>(), ours.value.type_name()) << ours.key;
    }
    auto value = [&](std::string_view key) {
        for (const auto& kv : want["kv"]) {
            if (kv["key"] == key) return kv["value"];
        }
        return nlohmann::json();
    };
    EXPECT_EQ(value("t.u64").get<uint64_t>(), (1ull << 63) + 5);
    EXPECT_EQ(value("t.i64").get<int64_t>(), -(1ll << 62));
    EXPECT_EQ(value("t.f64").get<double>(), -1.5e-300);
    EXPECT_EQ(value("t.f32").get<double>(), static_cast<double>(0.1f));
    EXPECT_EQ(value("t.bool").get<bool>(), true);
    EXPECT_EQ(value("t.str").get<std::string>(), "héllo \"wörld\"\n ✓");
    EXPECT_EQ(value("a.i16").get<std::vector<int>>(), (std::vector<int>{-1, 7, 300}));
    EXPECT_EQ(value("a.u64").get<std::vector<uint64_t>>(), (std::vector<uint64_t>{~0ull}));
    EXPECT_EQ(value("a.bool").get<std::vector<bool>>(), (std::vector<bool>{true, false, true}));
    EXPECT_EQ(value("a.str").get<std::vector<std::string>>(),
              (std::vector<std::string>{"a", "", "ü", "<|end|>"}));
    ASSERT_EQ(want["tensors"].size(), g.tensors().size());
    for (size_t i = 0; i < g.tensors().size(); ++i) {
        const auto& t = want["tensors"][i];
        const GgufTensorInfo& ours = g.tensors()[i];
        SCOPED_TRACE(ours.name);
        EXPECT_EQ(t["name"].get<std::string>(), ours.name);
        EXPECT_EQ(t["type_id"].get<uint32_t>(), static_cast<uint32_t>(ours.type));
        EXPECT_EQ(t["ne"].get<std::vector<uint64_t>>(),
                  std::vector<uint64_t>(ours.ne.begin(), ours.ne.begin() + ours.n_dims));
        EXPECT_EQ(t["n_bytes"].get<uint64_t>(), ours.n_bytes);
        EXPECT_EQ(t["data_offset"].get<uint64_t>(),
                  static_cast<uint64_t>(ours.data - g.bytes().data()));
        ASSERT_TRUE(t.contains("hex"));
        EXPECT_EQ(t["hex"].get<std::string>(), hex(ours.bytes()));
    }
    (void)env->remove_file(path);
}

}  // namespace
}  // namespace jenny::checkpoint
