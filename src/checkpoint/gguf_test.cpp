// GgufFile: valid files (built here byte by byte, and by gguf-py), one test per kind of bad
// input, truncation/bit-flip sweeps, and agreement with the gguf-py oracle
// (tools/oracle/gguf_dump.py) on the shared vocabularies and SmolLM2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include "jenny/base/env.h"
#include "jenny/base/paths.h"
#include "jenny/checkpoint/ggml_type.h"
#include "jenny/checkpoint/gguf.h"

namespace jenny::checkpoint {
namespace {

using base::StatusCode;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// Building GGUF bytes by hand.

class Builder {
public:
    template <typename T>
    Builder& put(T v) {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        b_.insert(b_.end(), p, p + sizeof(T));
        return *this;
    }
    Builder& raw(std::string_view s) {
        b_.insert(b_.end(), s.begin(), s.end());
        return *this;
    }
    Builder& str(std::string_view s) {
        put<uint64_t>(s.size());
        return raw(s);
    }
    Builder& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
        raw("GGUF");
        put<uint32_t>(version);
        put<uint64_t>(n_tensors);
        return put<uint64_t>(n_kv);
    }
    Builder& key(std::string_view k, GgufType t) {
        str(k);
        return put<uint32_t>(static_cast<uint32_t>(t));
    }
    Builder& kv_u32(std::string_view k, uint32_t v) { return key(k, GgufType::kUint32).put(v); }
    Builder& kv_str(std::string_view k, std::string_view v) {
        return key(k, GgufType::kString).str(v);
    }
    Builder& array_header(GgufType elem, uint64_t n) {
        put<uint32_t>(static_cast<uint32_t>(elem));
        return put<uint64_t>(n);
    }
    Builder& tensor(std::string_view name, std::vector<uint64_t> ne, GgmlType type,
                    uint64_t offset) {
        str(name);
        put<uint32_t>(static_cast<uint32_t>(ne.size()));
        for (uint64_t d : ne) put<uint64_t>(d);
        put<uint32_t>(static_cast<uint32_t>(type));
        return put<uint64_t>(offset);
    }
    Builder& pad(size_t align) {
        while (b_.size() % align != 0) b_.push_back(0);
        return *this;
    }
    Builder& zeros(size_t n) {
        b_.resize(b_.size() + n, 0);
        return *this;
    }
    size_t size() const { return b_.size(); }
    std::vector<uint8_t>& bytes() { return b_; }

private:
    std::vector<uint8_t> b_;
};

base::Result<std::unique_ptr<GgufFile>> parse(const std::vector<uint8_t>& b) {
    return GgufFile::parse(b, "t.gguf");
}

// Parses b and expects an error of `code` whose message contains every one of `parts`.
void expect_error(const std::vector<uint8_t>& b, StatusCode code,
                  std::initializer_list<std::string_view> parts) {
    auto r = parse(b);
    ASSERT_FALSE(r.ok()) << "parsed a bad file";
    EXPECT_EQ(r.status().code(), code) << r.status().to_string();
    EXPECT_THAT(r.status().message(), testing::StartsWith("t.gguf: "));
    for (std::string_view p : parts) {
        EXPECT_THAT(r.status().message(), HasSubstr(std::string(p)));
    }
}

// A small valid file: 3 keys, 2 tensors (F32 [4, 2] and Q8_0 [32]).
std::vector<uint8_t> small_file() {
    Builder b;
    b.header(2, 3);
    b.kv_str("general.architecture", "llama");
    b.key("tokenizer.ggml.tokens", GgufType::kArray).array_header(GgufType::kString, 3);
    b.str("<s>").str("").str("hello");
    b.kv_u32("llama.block_count", 2);
    b.tensor("a", {4, 2}, GgmlType::kF32, 0);
    b.tensor("b", {32}, GgmlType::kQ8_0, 32);
    b.pad(32);
    for (int i = 0; i < 8; ++i) b.put<float>(static_cast<float>(i));
    b.zeros(34);
    return b.bytes();
}

// Reads everything a parsed file exposes, so a bad parse shows up under ASan.
size_t touch_everything(const GgufFile& f) {
    size_t sum = 0;
    for (const GgufKv& kv : f.metadata()) {
        sum += kv.key.size() + kv.value.type_name().size();
        const GgufValue& v = kv.value;
        if (auto s = v.as_string()) sum += s->size();
        if (!v.is_array()) continue;
        for (std::string_view s : v.strings()) sum += s.size() ? static_cast<uint8_t>(s[0]) : 0;
        for (uint8_t c : v.raw_bytes()) sum += c;
        if (v.array_type() != GgufType::kArray && v.array_size() > 0) {
            sum += v.element(v.array_size() - 1).type_name().size();
        }
        (void)f.get_string_array(kv.key);
        (void)f.get_i32_array(kv.key);
        (void)f.get_f32_array(kv.key);
    }
    for (const GgufTensorInfo& t : f.tensors()) {
        EXPECT_EQ(f.find_tensor(t.name), &t);
        if (t.n_bytes > 0) sum += t.data[0] + t.data[t.n_bytes - 1];
    }
    return sum;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    auto r = base::Env::Default()->read_file(path);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok()) return {};
    return std::vector<uint8_t>(r->begin(), r->end());
}

const std::string kSeeds = JENNY_SOURCE_DIR "/fuzz/gguf_fuzz";

// ---------------------------------------------------------------------------------------------
// The ggml type table.

TEST(GgmlType, TableSizes) {
    EXPECT_EQ(ggml_type_info(GgmlType::kQ4_0).type_size, 18u);
    EXPECT_EQ(ggml_type_info(GgmlType::kQ4_1).type_size, 20u);
    EXPECT_EQ(ggml_type_info(GgmlType::kQ8_0).type_size, 34u);
    EXPECT_EQ(ggml_type_info(GgmlType::kQ4_K).block_size, 256u);
    EXPECT_EQ(ggml_type_info(GgmlType::kQ4_K).type_size, 144u);
    EXPECT_EQ(ggml_type_info(GgmlType::kQ6_K).type_size, 210u);
    EXPECT_EQ(ggml_type_info(GgmlType::kIQ1_M).type_size, 56u);
    EXPECT_EQ(ggml_type_info(GgmlType::kTQ1_0).type_size, 54u);
    EXPECT_EQ(ggml_type_info(GgmlType::kBF16).name, "BF16");
    EXPECT_EQ(ggml_types().size(), 34u);
    for (const GgmlTypeInfo& t : ggml_types()) {
        EXPECT_EQ(ggml_type_info(static_cast<uint32_t>(t.type)), &t);
        EXPECT_EQ(t.quantized, t.block_size > 1) << t.name;
    }
    EXPECT_EQ(ggml_type_info(4u), nullptr);
    EXPECT_EQ(ggml_type_info(31u), nullptr);
    EXPECT_EQ(ggml_type_info(1000u), nullptr);
    EXPECT_THAT(ggml_unknown_type_message(32), HasSubstr("(Q4_0_4_8) was removed"));
    EXPECT_THAT(ggml_unknown_type_message(99), HasSubstr("unknown ggml type 99"));
    EXPECT_EQ(*ggml_bytes(GgmlType::kQ4_0, 64), 36u);
    EXPECT_FALSE(ggml_bytes(GgmlType::kQ4_0, 33).ok());
    EXPECT_FALSE(ggml_bytes(GgmlType::kF64, uint64_t{1} << 62).ok());
}

// ---------------------------------------------------------------------------------------------
// Valid files.

TEST(Gguf, ParsesSmallFile) {
    std::vector<uint8_t> b = small_file();
    auto r = parse(b);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const GgufFile& f = **r;
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.alignment(), 32u);
    ASSERT_EQ(f.metadata().size(), 3u);
    EXPECT_EQ(f.metadata()[0].key, "general.architecture");
    EXPECT_EQ(f.metadata()[0].offset, 24u);
    EXPECT_EQ(f.metadata()[2].key, "llama.block_count");
    EXPECT_EQ(*f.get_string("general.architecture"), "llama");
    EXPECT_EQ(*f.get_u32("llama.block_count"), 2u);
    auto toks = f.get_string_array("tokenizer.ggml.tokens");
    ASSERT_TRUE(toks.ok());
    EXPECT_THAT(std::vector<std::string_view>(toks->begin(), toks->end()),
                testing::ElementsAre("<s>", "", "hello"));
    // Views point into the bytes, not copies.
    EXPECT_GE(reinterpret_cast<const uint8_t*>((*toks)[2].data()), b.data());
    EXPECT_LT(reinterpret_cast<const uint8_t*>((*toks)[2].data()), b.data() + b.size());

    ASSERT_EQ(f.tensors().size(), 2u);
    const GgufTensorInfo* a = f.find_tensor("a");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->n_dims, 2u);
    EXPECT_EQ(a->ne[0], 4u);
    EXPECT_EQ(a->ne[1], 2u);
    EXPECT_EQ(a->ne[2], 1u);
    EXPECT_EQ(a->n_elements, 8u);
    EXPECT_EQ(a->n_bytes, 32u);
    EXPECT_EQ(f.data_offset() % 32, 0u);
    EXPECT_EQ(a->data, b.data() + f.data_offset());
    float x = 0;
    std::memcpy(&x, a->data + 4 * 5, 4);
    EXPECT_EQ(x, 5.0f);
    const GgufTensorInfo* q = f.find_tensor("b");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->type, GgmlType::kQ8_0);
    EXPECT_EQ(q->n_bytes, 34u);
    EXPECT_EQ(q->bytes().size(), 34u);
    EXPECT_EQ(q->data + q->n_bytes, b.data() + b.size());
    EXPECT_EQ(f.find_tensor("c"), nullptr);
    EXPECT_EQ(f.find("nope"), nullptr);
}

TEST(Gguf, AllValueTypesAndGetters) {
    Builder b;
    b.header(0, 19, /*version=*/2);
    b.key("u8", GgufType::kUint8).put<uint8_t>(200);
    b.key("i8", GgufType::kInt8).put<int8_t>(-3);
    b.key("u16", GgufType::kUint16).put<uint16_t>(65535);
    b.key("i16", GgufType::kInt16).put<int16_t>(-300);
    b.key("u32", GgufType::kUint32).put<uint32_t>(4000000000u);
    b.key("i32", GgufType::kInt32).put<int32_t>(7);
    b.key("u64", GgufType::kUint64).put<uint64_t>(UINT64_MAX);
    b.key("i64", GgufType::kInt64).put<int64_t>(-5);
    b.key("f32", GgufType::kFloat32).put<float>(0.25f);
    b.key("f64", GgufType::kFloat64).put<double>(1e-300);
    b.key("bool", GgufType::kBool).put<uint8_t>(1);
    b.kv_str("str", "h\xc3\xa9llo");
    b.key("ai32", GgufType::kArray).array_header(GgufType::kInt32, 3);
    b.put<int32_t>(-1).put<int32_t>(0).put<int32_t>(1);
    b.key("au8", GgufType::kArray)
        .array_header(GgufType::kUint8, 2)
        .put<uint8_t>(3)
        .put<uint8_t>(250);
    b.key("au64", GgufType::kArray).array_header(GgufType::kUint64, 1).put<uint64_t>(1ull << 40);
    b.key("af32", GgufType::kArray).array_header(GgufType::kFloat32, 2).put(1.5f).put(-2.0f);
    b.key("af64", GgufType::kArray).array_header(GgufType::kFloat64, 1).put(0.5);
    b.key("abool", GgufType::kArray)
        .array_header(GgufType::kBool, 2)
        .put<uint8_t>(0)
        .put<uint8_t>(1);
    b.key("nested", GgufType::kArray).array_header(GgufType::kArray, 2);
    b.array_header(GgufType::kInt16, 2).put<int16_t>(1).put<int16_t>(2);
    b.array_header(GgufType::kString, 1).str("x");
    auto r = parse(b.bytes());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const GgufFile& f = **r;
    EXPECT_EQ(f.version(), 2u);
    EXPECT_TRUE(f.tensors().empty());

    // Integer getters take any integer type whose value fits.
    EXPECT_EQ(*f.get_u32("u8"), 200u);
    EXPECT_EQ(*f.get_u32("i32"), 7u);
    EXPECT_EQ(*f.get_i32("i8"), -3);
    EXPECT_EQ(*f.get_i32("u16"), 65535);
    EXPECT_EQ(*f.get_u64("u64"), UINT64_MAX);
    EXPECT_EQ(*f.get_i64("i64"), -5);
    EXPECT_EQ(*f.get_u32("u32"), 4000000000u);
    EXPECT_EQ(*f.get_f32("f32"), 0.25f);
    EXPECT_EQ(*f.get_f64("f64"), 1e-300);
    EXPECT_EQ(*f.get_f64("f32"), 0.25);
    EXPECT_TRUE(*f.get_bool("bool"));
    EXPECT_EQ(*f.get_string("str"), "h\xc3\xa9llo");

    auto u32_neg = f.get_u32("i8");
    ASSERT_FALSE(u32_neg.ok());
    EXPECT_EQ(u32_neg.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(u32_neg.status().message(), "t.gguf: key 'i8': value -3 does not fit uint32");
    EXPECT_EQ(f.get_i32("u32").status().message(),
              "t.gguf: key 'u32': value 4000000000 does not fit int32");
    EXPECT_EQ(f.get_i64("u64").status().message(),
              "t.gguf: key 'u64': value 18446744073709551615 does not fit int64");
    EXPECT_EQ(f.get_u32("str").status().message(),
              "t.gguf: key 'str': expected uint32, got string");
    EXPECT_EQ(f.get_u32("f32").status().message(),
              "t.gguf: key 'f32': expected uint32, got float32");
    EXPECT_EQ(f.get_u32("bool").status().message(),
              "t.gguf: key 'bool': expected uint32, got bool");
    EXPECT_EQ(f.get_string_array("u32").status().message(),
              "t.gguf: key 'u32': expected array of string, got uint32");
    EXPECT_EQ(f.get_string_array("ai32").status().message(),
              "t.gguf: key 'ai32': expected array of string, got array of int32");
    EXPECT_EQ(f.get_f32("i32").status().message(),
              "t.gguf: key 'i32': expected float32, got int32");
    auto missing = f.get_string("tokenizer.ggml.model");
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(missing.status().message(), "t.gguf: missing key 'tokenizer.ggml.model'");

    EXPECT_THAT(*f.get_i32_array("ai32"), testing::ElementsAre(-1, 0, 1));
    EXPECT_THAT(*f.get_i32_array("au8"), testing::ElementsAre(3, 250));
    EXPECT_THAT(*f.get_u32_array("au8"), testing::ElementsAre(3u, 250u));
    EXPECT_THAT(*f.get_i64_array("au64"), testing::ElementsAre(int64_t{1} << 40));
    EXPECT_EQ(f.get_i32_array("au64").status().message(),
              "t.gguf: key 'au64': element 0 = 1099511627776 does not fit int32");
    EXPECT_EQ(f.get_u32_array("ai32").status().message(),
              "t.gguf: key 'ai32': element 0 = -1 does not fit uint32");
    EXPECT_THAT(*f.get_f32_array("af32"), testing::ElementsAre(1.5f, -2.0f));
    EXPECT_THAT(*f.get_f32_array("af64"), testing::ElementsAre(0.5f));
    EXPECT_EQ(f.get_f32_array("ai32").status().message(),
              "t.gguf: key 'ai32': expected array of float32, got array of int32");

    const GgufValue* abool = f.find("abool");
    ASSERT_NE(abool, nullptr);
    EXPECT_EQ(abool->type_name(), "array of bool");
    EXPECT_EQ(abool->element(1).as_bool(), true);
    const GgufValue* nested = f.find("nested");
    ASSERT_NE(nested, nullptr);
    EXPECT_EQ(nested->type_name(), "array of array of int16");
    ASSERT_EQ(nested->arrays().size(), 2u);
    EXPECT_EQ(nested->arrays()[0].element(1).as_i64(), 2);
    EXPECT_EQ(nested->arrays()[1].strings()[0], "x");
    EXPECT_EQ(f.get_i32_array("nested").status().message(),
              "t.gguf: key 'nested': expected array of int32, got array of array of int16");

    // File order is kept.
    std::vector<std::string_view> keys;
    for (const GgufKv& kv : f.metadata()) keys.push_back(kv.key);
    EXPECT_EQ(keys.front(), "u8");
    EXPECT_EQ(keys.back(), "nested");
}

TEST(Gguf, CustomAlignment) {
    Builder b;
    b.header(2, 1).kv_u32("general.alignment", 64);
    b.tensor("x", {3}, GgmlType::kF32, 0);
    b.tensor("y", {1}, GgmlType::kI8, 64);
    b.pad(64).zeros(65);
    auto r = parse(b.bytes());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ((*r)->alignment(), 64u);
    EXPECT_EQ((*r)->data_offset() % 64, 0u);
    EXPECT_EQ((*r)->find_tensor("y")->data, b.bytes().data() + (*r)->data_offset() + 64);
}

TEST(Gguf, VocabOnlyFileMayEndBeforeTheDataSection) {
    Builder b;
    b.header(0, 1).kv_str("tokenizer.ggml.model", "gpt2");  // 68 bytes, no padding
    auto r = parse(b.bytes());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(b.size(), 68u);
    EXPECT_EQ((*r)->data_offset(), 96u);
}

TEST(Gguf, OpenThroughEnv) {
    std::string path =
        testing::TempDir() + "/" + std::to_string(::getpid()) + "_gguf_open_test.gguf";
    std::vector<uint8_t> b = small_file();
    base::Env* env = base::Env::Default();
    ASSERT_TRUE(env->write_file_atomic(path, std::string(b.begin(), b.end())).ok());
    auto r = GgufFile::open(path);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ((*r)->name(), path);
    EXPECT_EQ((*r)->bytes().size(), b.size());
    EXPECT_EQ(*(*r)->get_u32("llama.block_count"), 2u);
    auto missing = GgufFile::open(path + ".nope");
    EXPECT_FALSE(missing.ok());
    EXPECT_THAT(missing.status().message(), HasSubstr(".nope"));
    (void)env->remove_file(path);
}

// ---------------------------------------------------------------------------------------------
// Bad input: each a clear error.

TEST(GgufBad, Magic) {
    expect_error({}, StatusCode::kInvalidArgument, {"not a GGUF file (0 bytes"});
    expect_error({'G', 'G'}, StatusCode::kInvalidArgument, {"too short for the magic"});
    std::vector<uint8_t> b = small_file();
    b[0] = 'X';
    expect_error(b, StatusCode::kInvalidArgument,
                 {"not a GGUF file (magic 58 47 55 46 'XGUF', expected 'GGUF')"});
}

TEST(GgufBad, Version) {
    std::vector<uint8_t> b = small_file();
    b[4] = 1;
    expect_error(b, StatusCode::kUnsupported, {"GGUF version 1 is not supported", "again"});
    b[4] = 4;
    expect_error(b, StatusCode::kUnsupported, {"GGUF version 4 is not supported"});
    b[4] = 0;
    b[7] = 3;
    expect_error(b, StatusCode::kUnsupported, {"big-endian"});
    expect_error({'G', 'G', 'U', 'F', 3, 0}, StatusCode::kCorruption,
                 {"truncated at byte 4 reading the version (4 bytes needed, 2 left)"});
}

TEST(GgufBad, TruncatedEverywhereNamesOffsetAndWhat) {
    std::vector<uint8_t> b = small_file();
    auto cut = [&](size_t n) { return std::vector<uint8_t>(b.begin(), b.begin() + n); };
    expect_error(cut(12), StatusCode::kCorruption, {"byte 8 reading the tensor count"});
    expect_error(cut(20), StatusCode::kCorruption, {"byte 16 reading the metadata count"});
    // Counts are checked against the bytes left before the entries are read.
    expect_error(cut(30), StatusCode::kCorruption, {"metadata count 3 (at byte 16) cannot fit"});
    auto r = parse(b);
    ASSERT_TRUE(r.ok());
    uint64_t key1 = (*r)->metadata()[1].offset;  // tokenizer.ggml.tokens
    expect_error(cut(key1 + 4), StatusCode::kCorruption,
                 {"truncated at byte", "reading the length of the key of metadata entry 1"});
    expect_error(cut(key1 + 8 + 5), StatusCode::kCorruption,
                 {"the key of metadata entry 1 at byte", "has length 21, past the end"});
    uint64_t type_at = key1 + 8 + 21;
    expect_error(cut(type_at + 2), StatusCode::kCorruption,
                 {"reading the value type of key 'tokenizer.ggml.tokens'"});
    expect_error(cut(type_at + 4 + 3), StatusCode::kCorruption,
                 {"reading the element type of key 'tokenizer.ggml.tokens'"});
    uint64_t strings_at = type_at + 4 + 4 + 8;
    expect_error(cut(strings_at + 11 + 8 + 8 + 2), StatusCode::kCorruption,
                 {"string 2 of key 'tokenizer.ggml.tokens' at byte", "has length 5, past the end"});
    uint64_t key2 = (*r)->metadata()[2].offset;
    expect_error(cut(key2 + 8 + 17 + 4 + 1), StatusCode::kCorruption,
                 {"reading the uint32 value of key 'llama.block_count'"});
    expect_error(cut(b.size() - 1), StatusCode::kCorruption,
                 {"tensor 'b': 34 bytes of data at offset 32", "lie past the end of the file"});

    Builder t;
    t.header(1, 0).tensor("blk.0.attn_q.weight", {32}, GgmlType::kF32, 0);
    std::vector<uint8_t> tb = t.bytes();
    auto tcut = [&](size_t n) { return std::vector<uint8_t>(tb.begin(), tb.begin() + 24 + n); };
    expect_error(tcut(10), StatusCode::kCorruption, {"tensor count 1 (at byte 8) cannot fit"});
    expect_error(tcut(8 + 19 + 4 + 3), StatusCode::kCorruption,
                 {"truncated at byte 55 reading ne[0] of tensor 'blk.0.attn_q.weight' (8 bytes "
                  "needed, 3 left)"});
    expect_error(tcut(8 + 19 + 4 + 8 + 2), StatusCode::kCorruption,
                 {"reading the type of tensor 'blk.0.attn_q.weight'"});
    expect_error(tcut(8 + 19 + 4 + 8 + 4 + 7), StatusCode::kCorruption,
                 {"reading the data offset of tensor 'blk.0.attn_q.weight'"});
}

TEST(GgufBad, AbsurdCounts) {
    Builder kv;
    kv.header(0, uint64_t{1} << 60).kv_u32("a", 1);
    expect_error(kv.bytes(), StatusCode::kCorruption, {"metadata count 1152921504606846976"});
    Builder t;
    t.header(UINT64_MAX, 0).zeros(100);
    expect_error(t.bytes(), StatusCode::kCorruption,
                 {"tensor count 18446744073709551615 (at byte 8) cannot fit in the 100 bytes after "
                  "the metadata"});
    Builder arr;
    arr.header(0, 1).key("big", GgufType::kArray).array_header(GgufType::kUint32, 1000);
    arr.zeros(3996);
    expect_error(
        arr.bytes(), StatusCode::kCorruption,
        {"array of 1000 uint32 at byte", "in key 'big' cannot fit in the 3996 bytes left"});
    Builder sarr;
    sarr.header(0, 1).key("s", GgufType::kArray).array_header(GgufType::kString, uint64_t{1} << 61);
    sarr.zeros(64);
    expect_error(sarr.bytes(), StatusCode::kCorruption, {"array of 2305843009213693952 string"});
    Builder s;
    s.header(0, 1).key("s", GgufType::kString).put<uint64_t>(UINT64_MAX).raw("abc");
    expect_error(s.bytes(), StatusCode::kCorruption,
                 {"the string value of key 's' at byte 37 has length 18446744073709551615"});
}

TEST(GgufBad, InvalidTypeIds) {
    Builder b;
    b.header(0, 1).str("k").put<uint32_t>(13).zeros(8);
    expect_error(b.bytes(), StatusCode::kCorruption, {"invalid value type id 13", "key 'k'"});
    Builder a;
    a.header(0, 1).key("k", GgufType::kArray).array_header(static_cast<GgufType>(99), 1).zeros(8);
    expect_error(a.bytes(), StatusCode::kCorruption, {"invalid array element type id 99"});
    Builder n;
    n.header(0, 1).key("k", GgufType::kArray).array_header(GgufType::kArray, 1);
    n.array_header(static_cast<GgufType>(77), 0);
    expect_error(n.bytes(), StatusCode::kCorruption, {"invalid array element type id 77"});
    Builder bo;
    bo.header(0, 1).key("flag", GgufType::kBool).put<uint8_t>(2);
    expect_error(bo.bytes(), StatusCode::kCorruption, {"bool value 2", "key 'flag'"});
    Builder ba;
    ba.header(0, 1).key("flags", GgufType::kArray).array_header(GgufType::kBool, 2);
    ba.put<uint8_t>(1).put<uint8_t>(7);
    expect_error(ba.bytes(), StatusCode::kCorruption, {"bool element 1 = 7"});
}

TEST(GgufBad, NestingTooDeep) {
    Builder ok;
    ok.header(0, 1).key("k", GgufType::kArray);
    for (int i = 1; i < kGgufMaxArrayDepth; ++i) ok.array_header(GgufType::kArray, 1);
    ok.array_header(GgufType::kUint8, 1).put<uint8_t>(9);
    auto r = parse(ok.bytes());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    Builder deep;
    deep.header(0, 1).key("k", GgufType::kArray);
    for (int i = 0; i < kGgufMaxArrayDepth; ++i) deep.array_header(GgufType::kArray, 1);
    deep.array_header(GgufType::kUint8, 1).put<uint8_t>(9);
    expect_error(deep.bytes(), StatusCode::kCorruption, {"arrays nested deeper than 8"});
}

TEST(GgufBad, DuplicateKeysAndTensors) {
    Builder k;
    k.header(0, 2).kv_u32("a", 1).kv_u32("a", 2);
    expect_error(k.bytes(), StatusCode::kCorruption,
                 {"duplicate key 'a' at byte 41 (first at byte 24)"});
    Builder t;
    t.header(2, 0).tensor("w", {1}, GgmlType::kF32, 0).tensor("w", {1}, GgmlType::kF32, 32);
    t.pad(32).zeros(64);
    expect_error(t.bytes(), StatusCode::kCorruption, {"duplicate tensor name 'w'"});
}

// One tensor file with the given info, data section padded and `data` bytes long.
std::vector<uint8_t> one_tensor(std::vector<uint64_t> ne, GgmlType type, uint64_t offset,
                                size_t data) {
    Builder b;
    b.header(1, 0).tensor("w", std::move(ne), type, offset).pad(32).zeros(data);
    return b.bytes();
}

TEST(GgufBad, TensorShapes) {
    expect_error(one_tensor({}, GgmlType::kF32, 0, 64), StatusCode::kCorruption,
                 {"tensor 'w': n_dims 0 at byte 33 (must be 1..4)"});
    expect_error(one_tensor({1, 1, 1, 1, 1}, GgmlType::kF32, 0, 64), StatusCode::kCorruption,
                 {"n_dims 5"});
    expect_error(one_tensor({4, 0}, GgmlType::kF32, 0, 64), StatusCode::kCorruption,
                 {"tensor 'w': ne[1] = 0"});
    expect_error(one_tensor({uint64_t(-2)}, GgmlType::kF32, 0, 64), StatusCode::kCorruption,
                 {"ne[0] = -2"});
    expect_error(one_tensor({uint64_t{1} << 32, uint64_t{1} << 32}, GgmlType::kF32, 0, 64),
                 StatusCode::kCorruption, {"element count overflows int64 at ne[1]"});
    expect_error(one_tensor({uint64_t{1} << 61, 2}, GgmlType::kF64, 0, 64), StatusCode::kCorruption,
                 {"overflow a 64-bit byte count"});
    expect_error(one_tensor({33}, GgmlType::kQ4_0, 0, 64), StatusCode::kCorruption,
                 {"row length ne[0] = 33 is not a multiple of the Q4_0 block size 32"});
    expect_error(one_tensor({4}, static_cast<GgmlType>(99), 0, 64), StatusCode::kUnsupported,
                 {"tensor 'w' at byte", "unknown ggml type 99"});
    expect_error(one_tensor({4}, static_cast<GgmlType>(31), 0, 64), StatusCode::kUnsupported,
                 {"(Q4_0_4_4) was removed from llama.cpp"});
}

TEST(GgufBad, TensorData) {
    EXPECT_TRUE(parse(one_tensor({16}, GgmlType::kF32, 0, 64)).ok());
    expect_error(one_tensor({16}, GgmlType::kF32, 0, 63), StatusCode::kCorruption,
                 {"64 bytes of data at offset 0", "past the end of the file"});
    expect_error(one_tensor({4}, GgmlType::kF32, 8, 64), StatusCode::kCorruption,
                 {"data offset 8 is not a multiple of the alignment 32"});
    expect_error(one_tensor({4}, GgmlType::kF32, UINT64_MAX - 31, 64), StatusCode::kCorruption,
                 {"past the end"});
    Builder o;
    o.header(2, 0).tensor("a", {16}, GgmlType::kF32, 0).tensor("b", {8}, GgmlType::kF32, 32);
    o.pad(32).zeros(128);
    expect_error(o.bytes(), StatusCode::kCorruption,
                 {"tensors 'a' (data offset 0, 64 bytes) and 'b' (data offset 32) overlap"});
}

TEST(GgufBad, Alignment) {
    for (uint32_t a : {0u, 3u, 48u}) {
        Builder b;
        b.header(0, 1).kv_u32("general.alignment", a);
        expect_error(b.bytes(), StatusCode::kCorruption, {"is not a power of two"});
    }
    Builder s;
    s.header(0, 1).kv_str("general.alignment", "32");
    expect_error(s.bytes(), StatusCode::kCorruption,
                 {"general.alignment must be an unsigned integer, got string"});
}

TEST(GgufBad, UnprintableKeysAreEscaped) {
    Builder b;
    b.header(0, 1).str(std::string_view("k\x01\xff'", 4)).put<uint32_t>(200);
    expect_error(b.bytes(), StatusCode::kCorruption, {"key 'k\\x01\\xff\\x27'"});
}

// ---------------------------------------------------------------------------------------------
// Sweeps: every truncation and random byte flips give an error or a valid parse.

// The end of the last tensor's data, or the end of the metadata for a file with none.
uint64_t needed_bytes(const GgufFile& f) {
    uint64_t end = 0;
    for (const GgufTensorInfo& t : f.tensors()) {
        end = std::max<uint64_t>(end, f.data_offset() + t.offset + t.n_bytes);
    }
    return end;
}

TEST(GgufSweep, EveryTruncationOfTheSeeds) {
    for (const char* name : {"all_types.gguf", "vocab.gguf", "aligned64.gguf"}) {
        std::vector<uint8_t> b = read_bytes(kSeeds + "/" + name);
        ASSERT_FALSE(b.empty()) << name;
        auto whole = parse(b);
        ASSERT_TRUE(whole.ok()) << whole.status().to_string();
        uint64_t needed = std::max<uint64_t>(needed_bytes(**whole), 1);
        if ((*whole)->tensors().empty()) needed = (*whole)->metadata().back().offset + 1;
        for (size_t n = 0; n < b.size(); ++n) {
            std::vector<uint8_t> cut(b.begin(), b.begin() + n);  // exact size: ASan sees over-reads
            auto r = parse(cut);
            if (n < needed) {
                EXPECT_FALSE(r.ok()) << name << " cut at " << n;
            }
            if (r.ok()) touch_everything(**r);
        }
    }
}

TEST(GgufSweep, RandomByteFlipsInTheSeeds) {
    std::mt19937_64 rng(42);
    int ok = 0, failed = 0;
    for (const char* name : {"all_types.gguf", "vocab.gguf", "aligned64.gguf"}) {
        std::vector<uint8_t> b = read_bytes(kSeeds + "/" + name);
        ASSERT_FALSE(b.empty());
        for (int iter = 0; iter < 3000; ++iter) {
            std::vector<uint8_t> m = b;
            int flips = 1 + static_cast<int>(rng() % 4);
            for (int i = 0; i < flips; ++i) {
                size_t at = rng() % m.size();
                m[at] =
                    (rng() % 3 == 0) ? static_cast<uint8_t>(rng()) : m[at] ^ (1u << (rng() % 8));
            }
            auto r = parse(m);
            if (r.ok()) {
                ++ok;
                touch_everything(**r);
            } else {
                ++failed;
                EXPECT_THAT(r.status().message(), testing::StartsWith("t.gguf: "));
            }
        }
    }
    EXPECT_GT(failed, 0);
    EXPECT_GT(ok, 0);
}

TEST(GgufSweep, SmolLM2TruncationsAndHeaderFlips) {
    auto path = base::smollm2_gguf_path();
    ASSERT_TRUE(path.ok()) << path.status().to_string();
    auto whole = GgufFile::open(*path);
    ASSERT_TRUE(whole.ok()) << whole.status().to_string();
    std::span<const uint8_t> all = (*whole)->bytes();
    uint64_t header_end = (*whole)->data_offset();
    // Truncations: ~400 points through the metadata and tensor infos, a few in the data. Each cut
    // is copied so that the buffer ends exactly there.
    std::mt19937_64 rng(7);
    std::vector<uint64_t> cuts;
    for (uint64_t n = 0; n < 256; ++n) cuts.push_back(n);
    for (int i = 0; i < 150; ++i) cuts.push_back(rng() % header_end);
    for (int i = 0; i < 5; ++i) cuts.push_back(all.size() - 1 - rng() % 1000000);
    for (uint64_t n : cuts) {
        base::Result<std::unique_ptr<GgufFile>> r = base::Status::internal("unset");
        if (n <= header_end) {
            std::vector<uint8_t> cut(all.begin(), all.begin() + n);
            r = GgufFile::parse(cut, "smol");
        } else {
            r = GgufFile::parse(all.first(n), "smol");
        }
        EXPECT_FALSE(r.ok()) << "cut at " << n;
    }
    // Flips in the metadata and tensor-info region of a full copy.
    std::vector<uint8_t> m(all.begin(), all.end());
    int ok = 0;
    for (int iter = 0; iter < 300; ++iter) {
        size_t at = rng() % header_end;
        uint8_t old = m[at];
        m[at] = static_cast<uint8_t>(rng());
        auto r = GgufFile::parse(m, "smol");
        if (r.ok()) {
            ++ok;
            touch_everything(**r);
        }
        m[at] = old;
    }
    EXPECT_GT(ok, 0);  // most flips land in string bytes
}

// ---------------------------------------------------------------------------------------------
// The oracle: gguf-py reads the same files the same way.

// SHA-256 (FIPS 180-4), for the value digests the oracle prints.
std::string sha256_hex(std::string_view data) {
    static constexpr uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::string msg(data);
    uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
    msg += static_cast<char>(0x80);
    while (msg.size() % 64 != 56) msg += '\0';
    for (int i = 7; i >= 0; --i) msg += static_cast<char>(bits >> (8 * i));
    auto rotr = [](uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
    for (size_t off = 0; off < msg.size(); off += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; ++i) {
            const auto* p = reinterpret_cast<const uint8_t*>(msg.data() + off + 4 * i);
            w[i] = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
        }
        for (int i = 16; i < 64; ++i) {
            uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int i = 0; i < 64; ++i) {
            uint32_t t1 =
                hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
    }
    std::string out;
    for (uint32_t x : h) out += fmt::format("{:08x}", x);
    return out;
}

TEST(Sha256, KnownAnswers) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Python's repr() of a float, which json.dumps uses: shortest round-trip digits, positional
// for exponents -4..15, else d.ddde+XX.
std::string py_float_repr(double x) {
    if (std::isnan(x)) return "NaN";
    if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::scientific);
    std::string s(buf, res.ptr);
    std::string sign;
    if (s[0] == '-') {
        sign = "-";
        s.erase(0, 1);
    }
    size_t e = s.find('e');
    int exp = std::stoi(s.substr(e + 1));
    std::string digits;
    for (char c : s.substr(0, e)) {
        if (c != '.') digits += c;
    }
    if (exp >= -4 && exp < 16) {
        if (exp < 0) return sign + "0." + std::string(-exp - 1, '0') + digits;
        if (digits.size() <= static_cast<size_t>(exp) + 1) {
            return sign + digits + std::string(exp + 1 - digits.size(), '0') + ".0";
        }
        return sign + digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
    }
    std::string m = digits.substr(0, 1);
    if (digits.size() > 1) m += "." + digits.substr(1);
    return fmt::format("{}{}e{}{:02d}", sign, m, exp < 0 ? '-' : '+', std::abs(exp));
}

TEST(PyFloatRepr, MatchesPython) {
    EXPECT_EQ(py_float_repr(0.0), "0.0");
    EXPECT_EQ(py_float_repr(-0.0), "-0.0");
    EXPECT_EQ(py_float_repr(100.0), "100.0");
    EXPECT_EQ(py_float_repr(0.1), "0.1");
    EXPECT_EQ(py_float_repr(1e-4), "0.0001");
    EXPECT_EQ(py_float_repr(1e-5), "1e-05");
    EXPECT_EQ(py_float_repr(1e16), "1e+16");
    EXPECT_EQ(py_float_repr(1234567890123456.0), "1234567890123456.0");
    EXPECT_EQ(py_float_repr(static_cast<double>(1e-5f)), "9.999999747378752e-06");
    EXPECT_EQ(py_float_repr(-1.5e-300), "-1.5e-300");
}

// json.dumps(s, ensure_ascii=False): only '"', '\\' and control characters are escaped.
void append_json_string(std::string* out, std::string_view s) {
    *out += '"';
    for (char c : s) {
        switch (c) {
            case '"':
                *out += "\\\"";
                break;
            case '\\':
                *out += "\\\\";
                break;
            case '\n':
                *out += "\\n";
                break;
            case '\r':
                *out += "\\r";
                break;
            case '\t':
                *out += "\\t";
                break;
            case '\b':
                *out += "\\b";
                break;
            case '\f':
                *out += "\\f";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    *out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
                } else {
                    *out += c;
                }
        }
    }
    *out += '"';
}

void append_json_scalar(std::string* out, const GgufValue& v) {
    if (auto s = v.as_string()) return append_json_string(out, *s);
    if (auto b = v.as_bool()) {
        *out += *b ? "true" : "false";
    } else if (auto f = v.as_f64()) {
        *out += py_float_repr(*f);
    } else if (auto i = v.as_i64()) {
        *out += fmt::format("{}", *i);
    } else {
        *out += fmt::format("{}", *v.as_u64());
    }
}

// The leaves of an array, flattened through nested arrays as gguf-py returns them.
void append_json_leaves(std::string* out, const GgufValue& v, bool* first) {
    if (v.array_type() == GgufType::kArray) {
        for (const GgufValue& child : v.arrays()) append_json_leaves(out, child, first);
        return;
    }
    for (uint64_t i = 0; i < v.array_size(); ++i) {
        if (!*first) *out += ',';
        *first = false;
        if (v.array_type() == GgufType::kString) {
            append_json_string(out, v.strings()[i]);
        } else {
            append_json_scalar(out, v.element(i));
        }
    }
}

std::string canonical_json(const GgufValue& v) {
    std::string out;
    if (!v.is_array()) {
        append_json_scalar(&out, v);
        return out;
    }
    out.reserve(v.raw_bytes().size() + v.strings().size() * 12);
    out += '[';
    bool first = true;
    append_json_leaves(&out, v, &first);
    out += ']';
    return out;
}

std::string python_bin() { return JENNY_SOURCE_DIR "/.venv/bin/python"; }
std::string oracle_script() { return JENNY_SOURCE_DIR "/tools/oracle/gguf_dump.py"; }

base::Result<nlohmann::json> run_oracle(std::vector<std::string> args) {
    base::Env* env = base::Env::Default();
    if (!env->file_exists(python_bin())) {
        return base::Status::not_found(python_bin() + " is missing: run scripts/setup.sh");
    }
    std::vector<std::string> argv = {python_bin(), oracle_script()};
    argv.insert(argv.end(), args.begin(), args.end());
    base::SubprocessOptions opts;
    opts.timeout_seconds = 120;
    JENNY_ASSIGN_OR_RETURN(base::SubprocessResult res, env->run_subprocess(argv, opts));
    if (res.exit_code != 0) {
        return base::Status::internal("gguf_dump.py failed: " + res.stderr_data);
    }
    if (res.stdout_data.find_first_not_of(" \n") == std::string::npos) return nlohmann::json();
    return nlohmann::json::parse(res.stdout_data);
}

TEST(GgufOracle, TypeTableMatchesGgufPy) {
    auto j = run_oracle({"--types"});
    ASSERT_TRUE(j.ok()) << j.status().to_string();
    ASSERT_EQ(j->size(), ggml_types().size());
    for (const auto& t : *j) {
        const GgmlTypeInfo* info = ggml_type_info(t["id"].get<uint32_t>());
        ASSERT_NE(info, nullptr) << t.dump();
        EXPECT_EQ(info->name, t["name"].get<std::string>());
        EXPECT_EQ(info->block_size, t["block_size"].get<uint32_t>()) << info->name;
        EXPECT_EQ(info->type_size, t["type_size"].get<uint32_t>()) << info->name;
    }
}

// Compares our reading of `path` with the oracle's JSON object for it.
void expect_agrees(const std::string& path, const nlohmann::json& want) {
    SCOPED_TRACE(path);
    auto ours = GgufFile::open(path);
    if (!want["ok"].get<bool>()) {
        // gguf-py cannot read it; we must refuse it too, cleanly.
        EXPECT_FALSE(ours.ok()) << "gguf-py failed (" << want["error"] << ") but we parsed it";
        if (!ours.ok()) {
            std::printf("  both refuse %s\n    gguf-py: %s\n    jenny:   %s\n", path.c_str(),
                        want["error"].get<std::string>().c_str(),
                        ours.status().to_string().c_str());
        }
        return;
    }
    ASSERT_TRUE(ours.ok()) << ours.status().to_string();
    const GgufFile& f = **ours;
    EXPECT_EQ(f.version(), want["version"].get<uint32_t>());
    EXPECT_EQ(f.alignment(), want["alignment"].get<uint32_t>());
    EXPECT_EQ(f.data_offset(), want["data_offset"].get<uint64_t>());
    const auto& kvs = want["kv"];
    ASSERT_EQ(f.metadata().size(), kvs.size());
    for (size_t i = 0; i < kvs.size(); ++i) {
        const GgufKv& kv = f.metadata()[i];
        const auto& w = kvs[i];
        ASSERT_EQ(kv.key, w["key"].get<std::string>());
        EXPECT_EQ(kv.value.type_name(), w["type"].get<std::string>()) << kv.key;
        if (w.contains("len")) {
            EXPECT_EQ(kv.value.array_size(), w["len"].get<uint64_t>()) << kv.key;
        }
        std::string json = canonical_json(kv.value);
        EXPECT_EQ(sha256_hex(json), w["sha256"].get<std::string>())
            << kv.key << ": " << json.substr(0, 200);
    }
    const auto& ts = want["tensors"];
    ASSERT_EQ(f.tensors().size(), ts.size());
    for (size_t i = 0; i < ts.size(); ++i) {
        const GgufTensorInfo& t = f.tensors()[i];
        const auto& w = ts[i];
        ASSERT_EQ(t.name, w["name"].get<std::string>());
        EXPECT_EQ(ggml_type_name(t.type), w["type"].get<std::string>());
        EXPECT_EQ(static_cast<uint32_t>(t.type), w["type_id"].get<uint32_t>());
        std::vector<uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        EXPECT_EQ(ne, w["ne"].get<std::vector<uint64_t>>()) << t.name;
        EXPECT_EQ(t.offset, w["offset"].get<uint64_t>()) << t.name;
        EXPECT_EQ(static_cast<uint64_t>(t.data - f.bytes().data()),
                  w["data_offset"].get<uint64_t>())
            << t.name;
        EXPECT_EQ(t.n_elements, w["n_elements"].get<uint64_t>()) << t.name;
        EXPECT_EQ(t.n_bytes, w["n_bytes"].get<uint64_t>()) << t.name;
    }
}

TEST(GgufOracle, AgreesWithGgufPy) {
    base::Env* env = base::Env::Default();
    auto smol = base::smollm2_gguf_path();
    ASSERT_TRUE(smol.ok()) << smol.status().to_string();

    std::string samples =
        testing::TempDir() + "/" + std::to_string(::getpid()) + "_gguf_oracle_samples";
    ASSERT_TRUE(env->create_dirs(samples).ok());
    auto wrote = run_oracle({"--write-samples", samples});
    ASSERT_TRUE(wrote.ok()) << wrote.status().to_string();

    std::vector<std::string> files = {samples + "/all_types.gguf", samples + "/vocab.gguf",
                                      samples + "/aligned64.gguf"};
    std::string vocab_dir = JENNY_SHARED_DATA "/tokenizers/llama.cpp-vocab";
    auto names = env->list_dir(vocab_dir);
    ASSERT_TRUE(names.ok()) << names.status().to_string();
    size_t n_vocab = 0;
    for (const std::string& n : *names) {
        if (n.size() > 5 && n.ends_with(".gguf")) {
            files.push_back(vocab_dir + "/" + n);
            ++n_vocab;
        }
    }
    EXPECT_GE(n_vocab, 10u);
    files.push_back(*smol);

    auto dump = run_oracle(files);
    ASSERT_TRUE(dump.ok()) << dump.status().to_string();
    ASSERT_EQ(dump->size(), files.size());
    for (size_t i = 0; i < files.size(); ++i) expect_agrees(files[i], (*dump)[i]);
    // The samples and the real model must be readable (not both refused).
    EXPECT_TRUE((*dump)[0]["ok"].get<bool>());
    EXPECT_TRUE(dump->back()["ok"].get<bool>());
}

// ---------------------------------------------------------------------------------------------
// Speed (printed, not asserted beyond a generous bound).

double median_open_ms(const std::string& path, int runs) {
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        auto f = GgufFile::open(path);
        auto t1 = std::chrono::steady_clock::now();
        EXPECT_TRUE(f.ok()) << f.status().to_string();
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

TEST(GgufSpeed, OpenTimes) {
    auto smol = base::smollm2_gguf_path();
    ASSERT_TRUE(smol.ok()) << smol.status().to_string();
    double smol_ms = median_open_ms(*smol, 7);

    // A 152k-token vocabulary (Qwen2 size) with merges and token types.
    constexpr uint64_t kVocab = 151936;
    Builder b;
    b.header(0, 3).kv_str("tokenizer.ggml.model", "gpt2");
    b.key("tokenizer.ggml.tokens", GgufType::kArray).array_header(GgufType::kString, kVocab);
    for (uint64_t i = 0; i < kVocab; ++i) b.str(fmt::format("tok{}", i * 7919));
    b.key("tokenizer.ggml.merges", GgufType::kArray).array_header(GgufType::kString, kVocab);
    for (uint64_t i = 0; i < kVocab; ++i) b.str(fmt::format("a{} b{}", i, i % 977));
    std::string path =
        testing::TempDir() + "/" + std::to_string(::getpid()) + "_gguf_speed_vocab.gguf";
    base::Env* env = base::Env::Default();
    ASSERT_TRUE(env->write_file_atomic(path, std::string(b.bytes().begin(), b.bytes().end())).ok());
    double vocab_ms = median_open_ms(path, 7);
    auto f = GgufFile::open(path);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->get_string_array("tokenizer.ggml.tokens")->size(), kVocab);
    std::printf("open SmolLM2-135M Q4_1 GGUF (%.1f MB, 49k vocab, 272 tensors): %.2f ms\n",
                static_cast<double>(env->file_size(*smol).value_or(0)) / 1e6, smol_ms);
    std::printf("open 152k-token vocab GGUF (%.1f MB, tokens + merges): %.2f ms\n", b.size() / 1e6,
                vocab_ms);
    (void)env->remove_file(path);
    EXPECT_LT(smol_ms, 2000);
    EXPECT_LT(vocab_ms, 2000);
}

}  // namespace
}  // namespace jenny::checkpoint
