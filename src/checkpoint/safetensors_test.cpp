// SafetensorsFile and write_safetensors: the committed fixtures written by the reference
// implementation (tests/fixtures/checkpoint/, tools/oracle/checkpoint_oracle.py) read as its
// manifest says, byte-identical rewrites, round trips, the Python package reading what jenny
// writes, one test per kind of bad input, and truncation / byte-flip sweeps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <random>

#include "jenny/base/env.h"
#include "jenny/checkpoint/safetensors.h"
#include "jenny/tensor/fp16.h"

namespace jenny::checkpoint {
namespace {

using base::StatusCode;
using tensor::DType;
using tensor::Tensor;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kFixtures = JENNY_SOURCE_DIR "/tests/fixtures/checkpoint";

std::string hex(std::span<const uint8_t> b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (uint8_t c : b) {
        s += kDigits[c >> 4];
        s += kDigits[c & 15];
    }
    return s;
}

std::string read(const std::string& path) {
    auto r = base::Env::Default()->read_file(path);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::string();
}

std::span<const uint8_t> as_bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string temp_path(std::string_view name) {
    return testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + std::string(name);
}

nlohmann::json manifest() { return nlohmann::json::parse(read(kFixtures + "/manifest.json")); }

// Our reading of `f` against the reference implementation's (checkpoint_oracle.py --read).
void expect_matches(const SafetensorsFile& f, const nlohmann::json& want) {
    SCOPED_TRACE(f.name());
    ASSERT_TRUE(want["ok"].get<bool>()) << want.dump();
    std::map<std::string, std::string> meta = want["metadata"];
    EXPECT_EQ(f.metadata(), meta);
    const auto& ts = want["tensors"];
    ASSERT_EQ(f.tensors().size(), ts.size());
    for (size_t i = 0; i < ts.size(); ++i) {
        const SafetensorsTensorInfo& t = f.tensors()[i];
        EXPECT_EQ(t.name, ts[i]["name"].get<std::string>());
        EXPECT_EQ(safetensors_dtype_name(t.dtype), ts[i]["dtype"].get<std::string>());
        EXPECT_EQ(t.shape, ts[i]["shape"].get<std::vector<int64_t>>()) << t.name;
        if (ts[i].contains("hex")) {
            EXPECT_EQ(hex(t.bytes()), ts[i]["hex"].get<std::string>());
        }
        EXPECT_EQ(f.find(t.name), &t);
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the reference implementation's files.

TEST(Safetensors, FixturesMatchTheReferenceImplementation) {
    auto m = manifest();
    ASSERT_GE(m.size(), 4u);
    for (auto& [rel, want] : m.items()) {
        auto f = SafetensorsFile::open(kFixtures + "/" + rel);
        ASSERT_TRUE(f.ok()) << f.status().to_string();
        expect_matches(**f, want);
    }
}

TEST(Safetensors, TensorViews) {
    auto f = SafetensorsFile::open(kFixtures + "/mixed.safetensors");
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    EXPECT_EQ((*f)->metadata().at("format"), "pt");
    EXPECT_EQ((*f)->data_offset() % 8, 0u);

    auto w = (*f)->tensor("w.f32");
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    EXPECT_EQ(w->dtype(), DType::kF32);
    EXPECT_EQ(w->shape(), (tensor::Shape{2, 3}));
    EXPECT_EQ(w->data(), (*f)->find("w.f32")->data);  // a view, not a copy

    EXPECT_EQ((*f)->tensor("w.f16")->dtype(), DType::kF16);
    EXPECT_EQ((*f)->tensor("w.bf16")->dtype(), DType::kBF16);
    auto ids = (*f)->tensor("ids.i32");
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(ids->dtype(), DType::kI32);
    EXPECT_EQ(ids->data_as<int32_t>()[1], -2);
    EXPECT_EQ(ids->data_as<int32_t>()[2], INT32_MAX);

    auto scalar = (*f)->tensor("scalar");
    ASSERT_TRUE(scalar.ok());
    EXPECT_EQ(scalar->shape().ndim(), 0);
    EXPECT_EQ(scalar->data_as<float>()[0], 1.5f);
    auto empty = (*f)->tensor("empty");
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty->numel(), 0);
    EXPECT_EQ((*f)->tensor("four.d")->shape(), (tensor::Shape{1, 2, 1, 2}));

    // Tensors outlive the file: the mapping is their owner.
    Tensor kept = *w;
    std::vector<float> before(kept.data_as<float>(), kept.data_as<float>() + 6);
    f->reset();
    EXPECT_EQ(std::vector<float>(kept.data_as<float>(), kept.data_as<float>() + 6), before);
}

TEST(Safetensors, UnsupportedDtypesAndRanksNameTheTensor) {
    auto f = SafetensorsFile::open(kFixtures + "/mixed.safetensors");
    ASSERT_TRUE(f.ok());
    for (auto [name, dtype] : {std::pair{"ids.i64", "I64"},
                               {"bytes.u8", "U8"},
                               {"mask.bool", "BOOL"},
                               {"x.f64", "F64"}}) {
        auto t = (*f)->tensor(name);
        ASSERT_FALSE(t.ok()) << name;
        EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
        EXPECT_THAT(t.status().message(), HasSubstr(std::string("'") + name + "'"));
        EXPECT_THAT(t.status().message(), HasSubstr(std::string("dtype ") + dtype));
        // The raw bytes stay readable.
        EXPECT_FALSE((*f)->find(name)->bytes().empty());
    }
    auto five = (*f)->tensor("five.d");
    EXPECT_EQ(five.status().code(), StatusCode::kUnsupported);
    EXPECT_THAT(five.status().message(), HasSubstr("5 dimensions"));
    auto missing = (*f)->tensor("nope");
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_THAT(missing.status().message(), HasSubstr("'nope'"));
}

// ---------------------------------------------------------------------------------------------
// Writing.

Tensor f32_tensor(tensor::Shape shape, float start) {
    Tensor t = Tensor::empty(DType::kF32, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.mutable_data_as<float>()[i] = start + 0.25f * i;
    return t;
}

TEST(SafetensorsWrite, RewritesTheReferenceFilesByteForByte) {
    // Same tensors and metadata (at most one key) -> the same bytes as the Python package.
    for (std::string rel : {"unicode.safetensors", "hf_tiny/model-00001-of-00002.safetensors",
                            "hf_tiny/model-00002-of-00002.safetensors"}) {
        SCOPED_TRACE(rel);
        std::string original = read(kFixtures + "/" + rel);
        auto f = SafetensorsFile::parse(as_bytes(original), rel);
        ASSERT_TRUE(f.ok()) << f.status().to_string();
        std::vector<NamedTensor> tensors;
        // Reverse order: the writer orders tensors itself.
        for (auto it = (*f)->tensors().rbegin(); it != (*f)->tensors().rend(); ++it) {
            auto t = (*f)->tensor(*it);
            ASSERT_TRUE(t.ok()) << t.status().to_string();
            tensors.emplace_back(it->name, *t);
        }
        auto bytes = serialize_safetensors(tensors, (*f)->metadata());
        ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
        EXPECT_EQ(hex(as_bytes(*bytes)), hex(as_bytes(original)));
    }
}

TEST(SafetensorsWrite, RoundTrip) {
    Tensor f16 = f32_tensor({3, 5}, -1).convert(DType::kF16);
    Tensor bf16 = f32_tensor({2, 3}, 7).convert(DType::kBF16);
    Tensor ids = Tensor::empty(DType::kI32, {3});
    ids.mutable_data_as<int32_t>()[2] = -9;
    std::vector<NamedTensor> tensors = {{"b.f16", f16},
                                        {"a.f32", f32_tensor({4, 3}, 0)},
                                        {"bf", bf16},
                                        {"ids", ids},
                                        {"scalar", f32_tensor({}, 3)},
                                        {"empty", Tensor::empty(DType::kF32, {0, 4})},
                                        {"odd", f16.slice_rows(0, 1).reshape({5})}};
    std::map<std::string, std::string> meta = {{"format", "pt"}, {"jenny", "x\ny"}};
    std::string path = temp_path("roundtrip.safetensors");
    ASSERT_TRUE(write_safetensors(path, tensors, meta).ok());
    auto f = SafetensorsFile::open(path);
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    EXPECT_EQ((*f)->metadata(), meta);
    ASSERT_EQ((*f)->tensors().size(), tensors.size());
    for (const auto& [name, want] : tensors) {
        auto got = (*f)->tensor(name);
        ASSERT_TRUE(got.ok()) << got.status().to_string();
        EXPECT_EQ(got->dtype(), want.dtype()) << name;
        EXPECT_EQ(got->shape(), want.shape()) << name;
        ASSERT_EQ(got->nbytes(), want.nbytes());
        EXPECT_EQ(std::memcmp(got->data(), want.data(), want.nbytes()), 0) << name;
        // Larger elements first, so every view is aligned.
        EXPECT_EQ(reinterpret_cast<uintptr_t>(got->data()) %
                      static_cast<uintptr_t>(tensor::dtype_info(got->dtype()).type_size),
                  0u);
    }
    EXPECT_EQ((*f)->tensors().front().name, "a.f32");
    std::string bytes = read(path);
    EXPECT_EQ(bytes, *serialize_safetensors(tensors, meta));
    (void)base::Env::Default()->remove_file(path);

    // No tensors, no metadata: "{}" padded to 8.
    auto nothing = serialize_safetensors({}, {});
    ASSERT_TRUE(nothing.ok());
    EXPECT_EQ(nothing->substr(8), "{}      ");
    EXPECT_TRUE(SafetensorsFile::parse(as_bytes(*nothing), "empty").ok());
}

TEST(SafetensorsWrite, RefusesWhatSafetensorsCannotHold) {
    Tensor q = f32_tensor({2, 32}, 0).convert(DType::kQ8_0);
    auto r = serialize_safetensors(std::vector<NamedTensor>{{"q", q}});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("'q' is q8_0"));
    Tensor t = f32_tensor({2}, 0);
    EXPECT_THAT(
        serialize_safetensors(std::vector<NamedTensor>{{"a", t}, {"a", t}}).status().message(),
        HasSubstr("'a' given twice"));
    EXPECT_FALSE(serialize_safetensors(std::vector<NamedTensor>{{"__metadata__", t}}).ok());
    EXPECT_FALSE(serialize_safetensors(std::vector<NamedTensor>{{"x", Tensor()}}).ok());
    EXPECT_THAT(serialize_safetensors(std::vector<NamedTensor>{{"bad\xff", t}}).status().message(),
                HasSubstr("UTF-8"));
    EXPECT_FALSE(serialize_safetensors({}, {{"k", "\xc3"}}).ok());
}

// An Env whose writable files fail after `budget` bytes.
class FailingEnv : public base::EnvWrapper {
public:
    explicit FailingEnv(size_t budget) : EnvWrapper(base::Env::Default()), budget_(budget) {}
    base::Result<std::unique_ptr<base::WritableFile>> new_writable_file(
        const std::string& p) override {
        JENNY_ASSIGN_OR_RETURN(auto f, target()->new_writable_file(p));
        return std::unique_ptr<base::WritableFile>(new File(std::move(f), budget_));
    }

private:
    class File : public base::WritableFile {
    public:
        File(std::unique_ptr<base::WritableFile> f, size_t budget)
            : f_(std::move(f)), left_(budget) {}
        base::Status append(std::string_view d) override {
            if (d.size() > left_) return base::Status::io_error("No space left on device");
            left_ -= d.size();
            return f_->append(d);
        }
        base::Status sync() override { return f_->sync(); }
        base::Status close() override { return f_->close(); }

    private:
        std::unique_ptr<base::WritableFile> f_;
        size_t left_;
    };
    size_t budget_;
};

TEST(SafetensorsWrite, AFailedWriteLeavesThePreviousFile) {
    std::string path = temp_path("atomic.safetensors");
    std::vector<NamedTensor> v1 = {{"w", f32_tensor({8}, 1)}};
    ASSERT_TRUE(write_safetensors(path, v1).ok());
    std::string before = read(path);
    std::vector<NamedTensor> v2 = {{"w", f32_tensor({1000}, 2)}};
    FailingEnv env(100);
    base::Status s = write_safetensors(path, v2, {}, &env);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.message(), HasSubstr(path));
    EXPECT_EQ(read(path), before);
    auto names = base::Env::Default()->list_dir(testing::TempDir());
    ASSERT_TRUE(names.ok());
    for (const std::string& n : *names) {
        EXPECT_THAT(
            n, ::testing::Not(HasSubstr(std::to_string(::getpid()) + "_atomic.safetensors.tmp")));
    }
    (void)base::Env::Default()->remove_file(path);
}

// ---------------------------------------------------------------------------------------------
// Bad input: one test per kind.

std::string file_with_header(std::string_view json, std::string_view data = "",
                             int64_t length = -1) {
    std::string out(8, '\0');
    uint64_t n = length >= 0 ? static_cast<uint64_t>(length) : json.size();
    std::memcpy(out.data(), &n, 8);
    out += json;
    out += data;
    return out;
}

void expect_error(const std::string& bytes, StatusCode code,
                  std::initializer_list<std::string_view> parts) {
    auto r = SafetensorsFile::parse(as_bytes(bytes), "t.safetensors");
    ASSERT_FALSE(r.ok()) << "parsed a bad file";
    EXPECT_EQ(r.status().code(), code) << r.status().to_string();
    EXPECT_THAT(r.status().message(), StartsWith("t.safetensors: "));
    for (std::string_view p : parts) {
        EXPECT_THAT(r.status().message(), HasSubstr(std::string(p)));
    }
}

constexpr std::string_view kEntry = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

TEST(SafetensorsBad, HeaderLength) {
    expect_error("abc", StatusCode::kCorruption, {"3 bytes", "too short"});
    expect_error(file_with_header("{}", "", 1'000'000'000), StatusCode::kCorruption,
                 {"header length 1000000000", "limit"});
    expect_error(file_with_header("{}", "", 50), StatusCode::kCorruption,
                 {"header length 50", "past the end", "truncated"});
    expect_error(file_with_header("{", "", 1), StatusCode::kCorruption, {"too short"});
    expect_error(std::string("GGUF\3\0\0\0\0\0\0\0", 12), StatusCode::kInvalidArgument, {"GGUF"});
    expect_error(std::string("PK\3\4xxxxxxxxxxxx", 16), StatusCode::kInvalidArgument,
                 {"zip", "convert"});
}

TEST(SafetensorsBad, Json) {
    expect_error(file_with_header("{\"a\":"), StatusCode::kCorruption,
                 {"not valid JSON at file byte"});
    expect_error(file_with_header("[1,2]"), StatusCode::kCorruption,
                 {"array", "expected an object"});
    expect_error(file_with_header("{} x"), StatusCode::kCorruption, {"not valid JSON"});
    expect_error(file_with_header("{\"\xff\":1}"), StatusCode::kCorruption, {"not valid JSON"});
    std::string dup = "{" + std::string(kEntry) + "," + std::string(kEntry) + "}";
    expect_error(file_with_header(dup, std::string(8, '\0')), StatusCode::kCorruption,
                 {"key 'a' twice"});
    expect_error(file_with_header(R"({"__metadata__":{"k":1}})"), StatusCode::kCorruption,
                 {"__metadata__ key 'k'", "number"});
    expect_error(file_with_header(R"({"__metadata__":[]})"), StatusCode::kCorruption,
                 {"__metadata__ is array"});
}

TEST(SafetensorsBad, Entries) {
    auto one = [](std::string_view entry, std::string data = std::string(8, '\0')) {
        return file_with_header("{" + std::string(entry) + "}", data);
    };
    expect_error(one(R"("a":3)"), StatusCode::kCorruption, {"tensor 'a' is number"});
    expect_error(one(R"("a":{"shape":[2],"data_offsets":[0,8]})"), StatusCode::kCorruption,
                 {"tensor 'a' has no dtype"});
    expect_error(one(R"("a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]})"),
                 StatusCode::kUnsupported, {"tensor 'a'", "dtype 'Q4'"});
    expect_error(one(R"("a":{"dtype":"F32","data_offsets":[0,8]})"), StatusCode::kCorruption,
                 {"tensor 'a' has no shape"});
    expect_error(one(R"("a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"),
                 StatusCode::kCorruption, {"tensor 'a'", "shape [-2]"});
    expect_error(one(R"("a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})"),
                 StatusCode::kCorruption, {"tensor 'a'", "not a non-negative integer"});
    expect_error(one(R"("a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})"),
                 StatusCode::kCorruption, {"tensor 'a'", "64 bits"});
    expect_error(one(R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0]})"),
                 StatusCode::kCorruption, {"tensor 'a'", "data_offsets must be"});
    expect_error(one(R"("a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]})"),
                 StatusCode::kCorruption, {"tensor 'a'", "end before"});
    expect_error(one(R"("a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]})"),
                 StatusCode::kCorruption, {"tensor 'a' (F32 [3]) needs 12 bytes", "hold 8"});
    expect_error(one(R"("a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]})"),
                 StatusCode::kCorruption, {"not a whole number of bytes"});
    expect_error(one(kEntry, std::string(4, '\0')), StatusCode::kCorruption,
                 {"tensor 'a'", "run past the end of the data section (4 bytes)", "truncated"});
}

TEST(SafetensorsBad, Placement) {
    auto two = [](std::string_view a, std::string_view b, size_t data) {
        return file_with_header("{" + std::string(a) + "," + std::string(b) + "}",
                                std::string(data, '\0'));
    };
    expect_error(two(kEntry, R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]})", 12),
                 StatusCode::kCorruption, {"'a' [0, 8) and 'b' [4, 12) overlap"});
    expect_error(two(kEntry, R"("b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]})", 16),
                 StatusCode::kCorruption, {"data bytes [8, 12)", "belong to no tensor"});
    expect_error(two(R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]})",
                     R"("c":{"dtype":"F32","shape":[0],"data_offsets":[8,8]})", 8),
                 StatusCode::kCorruption, {"data bytes [0, 4)"});
    expect_error(file_with_header("{" + std::string(kEntry) + "}", std::string(9, '\0')),
                 StatusCode::kCorruption, {"1 bytes after the last tensor", "trailing"});
}

TEST(SafetensorsBad, MisalignedDataIsCopied) {
    // A header of odd length (other writers may not pad): the F32 data lands at an odd
    // address, so tensor() copies it rather than hand out a misaligned view.
    std::string json = "{" + std::string(kEntry) + "} ";
    ASSERT_NE((8 + json.size()) % 4, 0u);
    std::string data(8, '\0');
    float v[2] = {1.5f, -2.0f};
    std::memcpy(data.data(), v, 8);
    std::string bytes = file_with_header(json, data);
    auto f = SafetensorsFile::parse(as_bytes(bytes), "odd");
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    auto t = (*f)->tensor("a");
    ASSERT_TRUE(t.ok());
    EXPECT_NE(t->data(), (*f)->find("a")->data);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data()) % 4, 0u);
    EXPECT_EQ(t->data_as<float>()[1], -2.0f);
}

// ---------------------------------------------------------------------------------------------
// Sweeps over the fixtures: every truncation, random byte flips. Never a crash; errors name
// the file.

size_t touch(const SafetensorsFile& f) {
    size_t sum = f.metadata().size();
    for (const SafetensorsTensorInfo& t : f.tensors()) {
        if (!t.bytes().empty()) sum += t.bytes().front() + t.bytes().back();
        auto v = f.tensor(t);
        if (v.ok() && v->nbytes() > 0) sum += static_cast<const uint8_t*>(v->data())[0];
    }
    return sum;
}

TEST(SafetensorsSweep, EveryTruncation) {
    for (std::string rel : {"mixed.safetensors", "unicode.safetensors"}) {
        std::string whole = read(kFixtures + "/" + rel);
        for (size_t n = 0; n < whole.size(); ++n) {
            std::string cut = whole.substr(0, n);
            auto r = SafetensorsFile::parse(as_bytes(cut), "cut");
            ASSERT_FALSE(r.ok()) << rel << " cut at " << n;
            EXPECT_THAT(r.status().message(), StartsWith("cut: "));
        }
    }
}

TEST(SafetensorsSweep, RandomByteFlips) {
    std::mt19937 rng(1234);
    int parsed = 0;
    for (std::string rel : {"mixed.safetensors", "unicode.safetensors"}) {
        const std::string whole = read(kFixtures + "/" + rel);
        const uint64_t header_end =
            8 + static_cast<uint8_t>(whole[0]) + 256 * static_cast<uint8_t>(whole[1]);
        for (int i = 0; i < 3000; ++i) {
            std::string b = whole;
            int flips = 1 + static_cast<int>(rng() % 3);
            for (int k = 0; k < flips; ++k) {
                // Mostly the header, where the structure is.
                size_t at = rng() % 4 != 0 ? rng() % header_end : rng() % b.size();
                b[at] = static_cast<char>(rng() % 4 == 0 ? rng() : b[at] ^ (1u << (rng() % 8)));
            }
            auto r = SafetensorsFile::parse(as_bytes(b), "flip");
            if (r.ok()) {
                ++parsed;
                volatile size_t sink = touch(**r);
                (void)sink;
            } else {
                EXPECT_THAT(r.status().message(), StartsWith("flip: "));
            }
        }
    }
    std::printf("byte flips: %d of 6000 still parse\n", parsed);
}

// ---------------------------------------------------------------------------------------------
// The reference implementation reads what jenny writes (skipped without the virtualenv).

TEST(SafetensorsOracle, PythonReadsWhatJennyWrites) {
    base::Env* env = base::Env::Default();
    const std::string python = JENNY_SOURCE_DIR "/.venv/bin/python";
    if (!env->file_exists(python)) GTEST_SKIP() << python << " is missing: run scripts/setup.sh";
    std::string path = temp_path("oracle.safetensors");
    Tensor bf16 = f32_tensor({3, 4}, -2).convert(DType::kBF16);
    std::vector<NamedTensor> tensors = {{"model.w", f32_tensor({2, 3}, 1)},
                                        {"h.f16", f32_tensor({5}, 0).convert(DType::kF16)},
                                        {"h.bf16", bf16},
                                        {"s", f32_tensor({}, 9)},
                                        {"ü.name", f32_tensor({1, 1, 2, 1}, 4)}};
    std::map<std::string, std::string> meta = {{"format", "pt"}, {"a\"b", "é\n\x01"}};
    ASSERT_TRUE(write_safetensors(path, tensors, meta).ok());
    base::SubprocessOptions opts;
    opts.timeout_seconds = 120;
    auto res = env->run_subprocess(
        {python, JENNY_SOURCE_DIR "/tools/oracle/checkpoint_oracle.py", "--read", path}, opts);
    ASSERT_TRUE(res.ok()) << res.status().to_string();
    ASSERT_EQ(res->exit_code, 0) << res->stderr_data;
    auto want = nlohmann::json::parse(res->stdout_data);
    auto f = SafetensorsFile::open(path);
    ASSERT_TRUE(f.ok());
    expect_matches(**f, want[0]);
    std::map<std::string, std::string> got_meta = want[0]["metadata"];
    EXPECT_EQ(got_meta, meta);
    (void)env->remove_file(path);
}

}  // namespace
}  // namespace jenny::checkpoint
