// TokenDatasetWriter -> TokenDataset round trips (uint16/uint32, with and without a mask,
// empty and many documents), TokenWindows packing, and every kind of damaged dataset.
#include "jenny/data/token_dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace jenny::data {
namespace {

namespace fs = std::filesystem;

class TokenDatasetTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("jenny_token_dataset_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string prefix(const std::string& name) const { return (dir_ / name).string(); }

    fs::path dir_;
};

using Docs = std::vector<std::vector<int32_t>>;
using Masks = std::vector<std::vector<uint8_t>>;

void write_dataset(const std::string& prefix, int64_t vocab, const Docs& docs,
                   const Masks* masks = nullptr) {
    auto w = TokenDatasetWriter::create(prefix, vocab, "hash-1", masks != nullptr);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    for (size_t d = 0; d < docs.size(); ++d) {
        std::span<const uint8_t> m;
        if (masks) m = (*masks)[d];
        ASSERT_TRUE((*w)->add_document(docs[d], m).ok());
    }
    ASSERT_TRUE((*w)->finish().ok());
}

std::unique_ptr<TokenDataset> open_ok(const std::string& prefix) {
    auto ds = TokenDataset::open(prefix);
    EXPECT_TRUE(ds.ok()) << ds.status().to_string();
    return ds.ok() ? std::move(*ds) : nullptr;
}

void expect_round_trip(const std::string& prefix, int64_t vocab, const Docs& docs,
                       const Masks* masks) {
    auto ds = open_ok(prefix);
    ASSERT_NE(ds, nullptr);
    std::vector<int32_t> all;
    std::vector<uint8_t> all_mask;
    for (size_t d = 0; d < docs.size(); ++d) {
        EXPECT_EQ(ds->document_begin(static_cast<int64_t>(d)), static_cast<int64_t>(all.size()));
        all.insert(all.end(), docs[d].begin(), docs[d].end());
        if (masks) all_mask.insert(all_mask.end(), (*masks)[d].begin(), (*masks)[d].end());
    }
    EXPECT_EQ(ds->n_tokens(), static_cast<int64_t>(all.size()));
    EXPECT_EQ(ds->n_documents(), static_cast<int64_t>(docs.size()));
    EXPECT_EQ(ds->document_begin(ds->n_documents()), ds->n_tokens());
    EXPECT_EQ(ds->meta().vocab_size, vocab);
    EXPECT_EQ(ds->meta().token_dtype, vocab < 65536 ? "uint16" : "uint32");
    EXPECT_EQ(ds->meta().tokenizer_hash, "hash-1");
    EXPECT_EQ(ds->has_mask(), masks != nullptr);
    std::vector<int32_t> got(all.size());
    ds->read_tokens(0, ds->n_tokens(), got.data());
    EXPECT_EQ(got, all);
    if (all.size() > 3) {  // an unaligned slice in the middle
        std::vector<int32_t> part(all.size() - 3);
        ds->read_tokens(1, static_cast<int64_t>(part.size()), part.data());
        EXPECT_TRUE(std::equal(part.begin(), part.end(), all.begin() + 1));
    }
    if (masks) {
        std::vector<uint8_t> m(all.size());
        ds->read_mask(0, ds->n_tokens(), m.data());
        EXPECT_EQ(m, all_mask);
    }
    EXPECT_TRUE(ds->verify().ok()) << ds->verify().to_string();
}

TEST_F(TokenDatasetTest, RoundTripUint16) {
    Docs docs = {{1, 2, 3}, {}, {65534, 0, 7, 8}, {42}};
    write_dataset(prefix("a"), 65535, docs);
    expect_round_trip(prefix("a"), 65535, docs, nullptr);
    EXPECT_EQ(fs::file_size(prefix("a") + ".bin"), 8u * 2);
    EXPECT_EQ(fs::file_size(prefix("a") + ".idx"), 16u + 8 * 5);
    EXPECT_FALSE(fs::exists(prefix("a") + ".mask"));
}

TEST_F(TokenDatasetTest, RoundTripUint32) {
    Docs docs = {{151643, 0, 65536, 100000}, {5}, {}};
    write_dataset(prefix("b"), 151936, docs);
    expect_round_trip(prefix("b"), 151936, docs, nullptr);
    EXPECT_EQ(fs::file_size(prefix("b") + ".bin"), 5u * 4);
    // 65536 ids need 17 bits: uint32 (DESIGN.md: uint16 only when vocab < 65536).
    write_dataset(prefix("c"), 65536, {{65535}});
    EXPECT_EQ(open_ok(prefix("c"))->meta().token_dtype, "uint32");
}

TEST_F(TokenDatasetTest, LittleEndianBytes) {
    write_dataset(prefix("le16"), 1000, {{0x0102, 0x0304}});
    write_dataset(prefix("le32"), 100000, {{0x010203}});
    std::ifstream f16(prefix("le16") + ".bin", std::ios::binary);
    std::string b16((std::istreambuf_iterator<char>(f16)), {});
    EXPECT_EQ(b16, std::string("\x02\x01\x04\x03", 4));
    std::ifstream f32(prefix("le32") + ".bin", std::ios::binary);
    std::string b32((std::istreambuf_iterator<char>(f32)), {});
    EXPECT_EQ(b32, std::string("\x03\x02\x01\x00", 4));
}

TEST_F(TokenDatasetTest, RoundTripWithMask) {
    Docs docs = {{1, 2, 3, 4}, {}, {9, 8}};
    Masks masks = {{0, 0, 1, 1}, {}, {1, 0}};
    write_dataset(prefix("m"), 32000, docs, &masks);
    expect_round_trip(prefix("m"), 32000, docs, &masks);
    EXPECT_EQ(fs::file_size(prefix("m") + ".mask"), 6u);
}

TEST_F(TokenDatasetTest, EmptyDataset) {
    write_dataset(prefix("e"), 10, {});
    auto ds = open_ok(prefix("e"));
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(ds->n_tokens(), 0);
    EXPECT_EQ(ds->n_documents(), 0);
    EXPECT_EQ(ds->document_begin(0), 0);
    EXPECT_EQ(TokenWindows::count(*ds, 4), 0);
    EXPECT_TRUE(ds->verify().ok());
}

TEST_F(TokenDatasetTest, ManyDocuments) {
    std::mt19937 rng(7);
    Docs docs(5000);
    Masks masks(docs.size());
    for (size_t d = 0; d < docs.size(); ++d) {
        const size_t n = rng() % 40;  // some empty
        for (size_t i = 0; i < n; ++i) {
            docs[d].push_back(static_cast<int32_t>(rng() % 128256));
            masks[d].push_back(static_cast<uint8_t>(rng() % 2));
        }
    }
    write_dataset(prefix("many"), 128256, docs, &masks);
    expect_round_trip(prefix("many"), 128256, docs, &masks);
    auto ds = open_ok(prefix("many"));
    ASSERT_NE(ds, nullptr);
    for (int64_t d = 0; d < ds->n_documents(); d += 97) {
        const int64_t b = ds->document_begin(d);
        if (b < ds->document_begin(d + 1)) {
            EXPECT_EQ(ds->document_of(b), d);
        }
    }
}

TEST_F(TokenDatasetTest, WriterRejectsBadInput) {
    auto w = TokenDatasetWriter::create(prefix("bad"), 100, "h", /*with_mask=*/true);
    ASSERT_TRUE(w.ok());
    std::vector<int32_t> ok_tokens = {1, 2};
    std::vector<int32_t> big = {1, 100};
    std::vector<int32_t> negative = {-1};
    std::vector<uint8_t> mask2 = {1, 1}, mask1 = {1}, mask_bad = {1, 2};
    EXPECT_EQ((*w)->add_document(big, mask2).code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ((*w)->add_document(negative, mask1).code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ((*w)->add_document(ok_tokens, mask1).code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ((*w)->add_document(ok_tokens).code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ((*w)->add_document(ok_tokens, mask_bad).code(), base::StatusCode::kInvalidArgument);
    EXPECT_TRUE((*w)->add_document(ok_tokens, mask2).ok());
    EXPECT_TRUE((*w)->finish().ok());
    EXPECT_EQ((*w)->add_document(ok_tokens, mask2).code(), base::StatusCode::kFailedPrecondition);
    auto ds = open_ok(prefix("bad"));
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(ds->n_tokens(), 2);  // rejected documents left nothing behind

    auto no_mask = TokenDatasetWriter::create(prefix("nm"), 100, "h", false);
    ASSERT_TRUE(no_mask.ok());
    EXPECT_EQ((*no_mask)->add_document(ok_tokens, mask2).code(),
              base::StatusCode::kInvalidArgument);
    EXPECT_EQ(TokenDatasetWriter::create(prefix("v"), 0, "h", false).status().code(),
              base::StatusCode::kInvalidArgument);
}

TEST_F(TokenDatasetTest, RefusesToOverwriteCompleteDataset) {
    write_dataset(prefix("x"), 100, {{1, 2}});
    auto again = TokenDatasetWriter::create(prefix("x"), 100, "h", false);
    EXPECT_EQ(again.status().code(), base::StatusCode::kAlreadyExists);
    EXPECT_NE(again.status().message().find("x.meta.json"), std::string::npos);
    ASSERT_TRUE(remove_token_dataset(prefix("x")).ok());
    EXPECT_FALSE(fs::exists(prefix("x") + ".bin"));
    write_dataset(prefix("x"), 100, {{3}});
    EXPECT_EQ(open_ok(prefix("x"))->n_tokens(), 1);
}

TEST_F(TokenDatasetTest, CreatesParentDirectory) {
    write_dataset(prefix("sub/dir/train"), 100, {{1}});
    EXPECT_NE(open_ok(prefix("sub/dir/train")), nullptr);
}

// ---- damaged datasets ----

void expect_open_error(const std::string& prefix, base::StatusCode code,
                       const std::string& needle) {
    auto ds = TokenDataset::open(prefix);
    ASSERT_FALSE(ds.ok());
    EXPECT_EQ(ds.status().code(), code) << ds.status().to_string();
    EXPECT_NE(ds.status().message().find(needle), std::string::npos)
        << ds.status().to_string() << " lacks " << needle;
}

void truncate_file(const std::string& path, uintmax_t drop) {
    fs::resize_file(path, fs::file_size(path) - drop);
}

void patch_file(const std::string& path, size_t offset, char byte) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(byte);
}

TEST_F(TokenDatasetTest, MissingDataset) {
    expect_open_error(prefix("nothing"), base::StatusCode::kNotFound, "nothing.meta.json");
}

TEST_F(TokenDatasetTest, UnfinishedWriterIsIncomplete) {
    {
        auto w = TokenDatasetWriter::create(prefix("u"), 100, "h", false);
        ASSERT_TRUE(w.ok());
        ASSERT_TRUE((*w)->add_document(std::vector<int32_t>{1, 2, 3}).ok());
        // destroyed without finish()
    }
    expect_open_error(prefix("u"), base::StatusCode::kFailedPrecondition, "incomplete dataset");
    expect_open_error(prefix("u"), base::StatusCode::kFailedPrecondition, "u.meta.json");
}

TEST_F(TokenDatasetTest, TruncatedFilesNameTheFile) {
    Docs docs = {{1, 2, 3}, {4, 5}};
    Masks masks = {{1, 1, 1}, {0, 1}};
    write_dataset(prefix("t1"), 100, docs, &masks);
    truncate_file(prefix("t1") + ".bin", 1);
    expect_open_error(prefix("t1"), base::StatusCode::kCorruption, "t1.bin");

    write_dataset(prefix("t2"), 100, docs, &masks);
    truncate_file(prefix("t2") + ".idx", 8);
    expect_open_error(prefix("t2"), base::StatusCode::kCorruption, "t2.idx");

    write_dataset(prefix("t3"), 100, docs, &masks);
    truncate_file(prefix("t3") + ".mask", 1);
    expect_open_error(prefix("t3"), base::StatusCode::kCorruption, "t3.mask");

    write_dataset(prefix("t4"), 100, docs, &masks);
    fs::remove(prefix("t4") + ".mask");
    expect_open_error(prefix("t4"), base::StatusCode::kCorruption, "t4.mask");
}

TEST_F(TokenDatasetTest, CorruptFilesNameTheFile) {
    Docs docs = {{1, 2, 3}, {4, 5}};
    write_dataset(prefix("c1"), 100, docs);
    patch_file(prefix("c1") + ".idx", 0, 'X');
    expect_open_error(prefix("c1"), base::StatusCode::kCorruption, "c1.idx");

    write_dataset(prefix("c2"), 100, docs);
    patch_file(prefix("c2") + ".idx", 16 + 8, 9);  // document 1 starts after the end
    expect_open_error(prefix("c2"), base::StatusCode::kCorruption, "c2.idx");

    write_dataset(prefix("c3"), 100, docs);
    { std::ofstream(prefix("c3") + ".meta.json") << "{not json"; }
    expect_open_error(prefix("c3"), base::StatusCode::kCorruption, "c3.meta.json");

    write_dataset(prefix("c4"), 100, docs);
    {
        std::ofstream(prefix("c4") + ".meta.json")
            << R"({"format": "jenny-token-dataset", "version": 1, "token_dtype": "uint16"})";
    }
    expect_open_error(prefix("c4"), base::StatusCode::kCorruption, "vocab_size");

    write_dataset(prefix("c5"), 100, docs);
    {
        std::ofstream(prefix("c5") + ".meta.json")
            << R"({"format": "jenny-token-dataset", "version": 9})";
    }
    expect_open_error(prefix("c5"), base::StatusCode::kUnsupported, "version 9");

    // A flipped token byte passes open() (sizes agree) but not verify().
    write_dataset(prefix("c6"), 100, docs);
    patch_file(prefix("c6") + ".bin", 0, 99);
    auto ds = open_ok(prefix("c6"));
    ASSERT_NE(ds, nullptr);
    base::Status v = ds->verify();
    EXPECT_EQ(v.code(), base::StatusCode::kCorruption);
    EXPECT_NE(v.message().find("c6.bin"), std::string::npos) << v.to_string();
}

// ---- windows ----

TEST_F(TokenDatasetTest, WindowsCountAndContents) {
    // Documents of 5, 0, 4 and 7 tokens: 16 tokens, ids 0..15 in order.
    Docs docs = {{0, 1, 2, 3, 4}, {}, {5, 6, 7, 8}, {9, 10, 11, 12, 13, 14, 15}};
    write_dataset(prefix("w"), 100, docs);
    auto ds = open_ok(prefix("w"));
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(TokenWindows::count(*ds, 4), 3);  // (16 - 1) / 4
    EXPECT_EQ(TokenWindows::count(*ds, 5), 3);  // (16 - 1) / 5: window 2 ends at token 15
    EXPECT_EQ(TokenWindows::count(*ds, 15), 1);
    EXPECT_EQ(TokenWindows::count(*ds, 16), 0);
    TokenWindows all(ds.get(), 4, 0, 3);
    ASSERT_EQ(all.size(), 3);
    int32_t in[4], tg[4];
    std::vector<int32_t> starts;
    for (int64_t w = 0; w < 3; ++w) {
        all.read(w, in, tg, &starts);
        for (int t = 0; t < 4; ++t) {
            EXPECT_EQ(in[t], w * 4 + t);
            EXPECT_EQ(tg[t], w * 4 + t + 1);
        }
    }
    // doc_starts: documents begin at tokens 0, 5 (twice: the empty one), 9.
    all.read(0, in, tg, &starts);
    EXPECT_EQ(starts, (std::vector<int32_t>{0}));
    all.read(1, in, tg, &starts);  // tokens 4..7
    EXPECT_EQ(starts, (std::vector<int32_t>{1}));
    all.read(2, in, tg, &starts);  // tokens 8..11
    EXPECT_EQ(starts, (std::vector<int32_t>{1}));
    all.read(2, in, tg);  // doc_starts is optional

    // A sub-range (a validation split) reads the same windows under shifted indices.
    TokenWindows tail(ds.get(), 4, 1, 2);
    tail.read(0, in, tg);
    EXPECT_EQ(in[0], 4);
    EXPECT_EQ(tg[3], 8);
}

TEST_F(TokenDatasetTest, WindowTargetsFollowMask) {
    // Prompt tokens (mask 0) are not loss targets; answers (mask 1) are.
    Docs docs = {{10, 11, 12, 13}, {20, 21, 22, 23, 24}};
    Masks masks = {{0, 0, 1, 1}, {0, 1, 1, 0, 1}};
    write_dataset(prefix("wm"), 100, docs, &masks);
    auto ds = open_ok(prefix("wm"));
    ASSERT_NE(ds, nullptr);
    TokenWindows windows(ds.get(), 4, 0, TokenWindows::count(*ds, 4));
    ASSERT_EQ(windows.size(), 2);
    int32_t in[4], tg[4];
    std::vector<int32_t> starts;
    windows.read(0, in, tg, &starts);
    EXPECT_EQ(std::vector<int32_t>(in, in + 4), (std::vector<int32_t>{10, 11, 12, 13}));
    // targets are tokens 1..4 = 11, 12, 13, 20 with mask 0, 1, 1, 0
    EXPECT_EQ(std::vector<int32_t>(tg, tg + 4), (std::vector<int32_t>{-1, 12, 13, -1}));
    EXPECT_EQ(starts, (std::vector<int32_t>{0}));
    windows.read(1, in, tg, &starts);
    EXPECT_EQ(std::vector<int32_t>(in, in + 4), (std::vector<int32_t>{20, 21, 22, 23}));
    // targets are tokens 5..8 = 21, 22, 23, 24 with mask 1, 1, 0, 1
    EXPECT_EQ(std::vector<int32_t>(tg, tg + 4), (std::vector<int32_t>{21, 22, -1, 24}));
    EXPECT_EQ(starts, (std::vector<int32_t>{0}));
}

}  // namespace
}  // namespace jenny::data
