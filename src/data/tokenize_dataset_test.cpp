// run_tokenize_dataset with a real tokenizer (llama2.c's 32000-piece vocabulary): documents
// and their BOS/EOS, separators, compressed inputs, directories, byte-identical output for
// any thread count, and bad input naming file and line.
#include "jenny/data/tokenize_dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>

#include "jenny/tokenizer/fingerprint.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::data {
namespace {

namespace fs = std::filesystem;
const std::string kTokenizer = JENNY_SHARED_DATA "/tokenizers/llama2c/tokenizer.bin";

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), {});
}

class TokenizeDatasetTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("jenny_tokenize_dataset_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        auto tok = tokenizer::Tokenizer::load(kTokenizer);
        ASSERT_TRUE(tok.ok()) << tok.status().to_string();
        tok_ = std::move(*tok);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    std::string write(const std::string& name, std::string_view content) const {
        fs::create_directories((dir_ / name).parent_path());
        std::ofstream(dir_ / name, std::ios::binary) << content;
        return path(name);
    }
    TokenizeDatasetConfig config(std::vector<std::string> inputs, const std::string& out) const {
        TokenizeDatasetConfig c;
        c.tokenizer = kTokenizer;
        c.output = path(out);
        c.inputs = std::move(inputs);
        c.threads = 1;
        return c;
    }
    base::Result<TokenizeDatasetSummary> run(const TokenizeDatasetConfig& c) const {
        return run_tokenize_dataset(c, base::Env::Default(), /*show_progress=*/false);
    }
    // The ids of one document as the command writes it: BOS + text + EOS.
    std::vector<int32_t> expected(std::string_view text, bool eos = true) const {
        std::vector<int32_t> ids;
        if (tok_->special().add_bos) ids.push_back(*tok_->special().bos);
        tokenizer::EncodeOptions o;
        o.add_special = false;
        o.parse_special = false;
        auto body = tok_->encode(text, o);
        EXPECT_TRUE(body.ok());
        ids.insert(ids.end(), body->begin(), body->end());
        if (eos) ids.push_back(*tok_->special().eos);
        return ids;
    }
    std::vector<int32_t> document(const TokenDataset& ds, int64_t d) const {
        const int64_t b = ds.document_begin(d), e = ds.document_begin(d + 1);
        std::vector<int32_t> ids(static_cast<size_t>(e - b));
        ds.read_tokens(b, e - b, ids.data());
        return ids;
    }
    void expect_error(const TokenizeDatasetConfig& c, base::StatusCode code,
                      const std::string& needle) const {
        auto r = run(c);
        ASSERT_FALSE(r.ok()) << "expected an error containing " << needle;
        EXPECT_EQ(r.status().code(), code) << r.status().to_string();
        EXPECT_NE(r.status().message().find(needle), std::string::npos)
            << r.status().to_string() << "\nlacks: " << needle;
        // Nothing half-written is left that could look like a dataset.
        if (code != base::StatusCode::kAlreadyExists) {
            EXPECT_FALSE(fs::exists(c.output + ".meta.json"));
            EXPECT_FALSE(fs::exists(c.output + ".bin"));
        }
    }

    fs::path dir_;
    std::unique_ptr<tokenizer::Tokenizer> tok_;
};

TEST_F(TokenizeDatasetTest, JsonlAndTextDocuments) {
    ASSERT_TRUE(tok_->special().bos && tok_->special().eos);
    const std::string jsonl = write(
        "a.jsonl",
        "{\"text\": \"Hello world\", \"id\": 1}\n\n{\"text\": \"\"}\r\n{\"text\": \"caf\\u00e9 "
        "<|endoftext|>\"}\n");
    const std::string txt = write("b.txt", "A whole file\nis one document.\n");
    auto r = run(config({jsonl, txt}, "out/ds"));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->n_documents, 3);
    EXPECT_EQ(r->n_empty_skipped, 1);
    EXPECT_EQ(r->n_files, 2);
    auto ds = TokenDataset::open(path("out/ds"));
    ASSERT_TRUE(ds.ok()) << ds.status().to_string();
    EXPECT_EQ((*ds)->meta().tokenizer_hash, tokenizer::tokenizer_fingerprint(*tok_));
    EXPECT_EQ((*ds)->meta().token_dtype, "uint16");
    EXPECT_EQ((*ds)->n_documents(), 3);
    EXPECT_EQ(document(**ds, 0), expected("Hello world"));
    EXPECT_EQ(document(**ds, 1), expected("café <|endoftext|>"));
    EXPECT_EQ(document(**ds, 2), expected("A whole file\nis one document.\n"));
    EXPECT_EQ((*ds)->n_tokens(), r->n_tokens);
    EXPECT_TRUE((*ds)->verify().ok());
    const std::string summary = format_tokenize_dataset_summary(*r);
    EXPECT_NE(summary.find("documents: 3 from 2 files (1 empty skipped)"), std::string::npos)
        << summary;
    EXPECT_NE(summary.find("tokens/s"), std::string::npos);
    EXPECT_NE(summary.find(path("out/ds") + ".meta.json"), std::string::npos);
}

TEST_F(TokenizeDatasetTest, SeparatorAndNoEos) {
    const std::string f = write("fortunes", "First one.\n%\nSecond\ntwo lines.\r\n%\r\n%\nLast");
    auto c = config({f}, "sep");
    c.separator = "%";
    c.eos = false;
    c.text_field = "unused";
    auto r = run(c);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_FALSE(r->eos_added);
    auto ds = TokenDataset::open(path("sep"));
    ASSERT_TRUE(ds.ok());
    ASSERT_EQ((*ds)->n_documents(), 3);
    EXPECT_EQ(r->n_empty_skipped, 1);
    EXPECT_EQ(document(**ds, 0), expected("First one.\n", false));
    EXPECT_EQ(document(**ds, 1), expected("Second\ntwo lines.\r\n", false));
    EXPECT_EQ(document(**ds, 2), expected("Last", false));
}

TEST_F(TokenizeDatasetTest, CustomTextField) {
    const std::string f = write("c.json", "{\"content\": \"x y\"}\n");
    auto c = config({f}, "cf");
    c.text_field = "content";
    ASSERT_TRUE(run(c).ok());
    auto ds = TokenDataset::open(path("cf"));
    ASSERT_TRUE(ds.ok());
    EXPECT_EQ(document(**ds, 0), expected("x y"));
}

std::string gzip(std::string_view in) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&zs, in.size()) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::string zstd(std::string_view in) {
    std::string out(ZSTD_compressBound(in.size()), '\0');
    size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
    EXPECT_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
}

TEST_F(TokenizeDatasetTest, CompressedInputsAndDirectories) {
    const std::string lines = "{\"text\": \"one\"}\n{\"text\": \"two\"}\n";
    write("corpus/b/1.jsonl.gz", gzip(lines));
    write("corpus/a.jsonl.zst", zstd(lines));
    write("corpus/c.txt", "plain");
    write("corpus/notes.bin", "\xff\xfe not corpus");  // skipped: not a corpus extension
    write("corpus/.hidden.jsonl", "garbage");          // skipped: hidden
    auto r = run(config({path("corpus") + "/"}, "dir"));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->n_files, 3);
    auto ds = TokenDataset::open(path("dir"));
    ASSERT_TRUE(ds.ok());
    ASSERT_EQ((*ds)->n_documents(), 5);
    // Sorted: a.jsonl.zst, b/1.jsonl.gz, c.txt.
    EXPECT_EQ(document(**ds, 0), expected("one"));
    EXPECT_EQ(document(**ds, 3), expected("two"));
    EXPECT_EQ(document(**ds, 4), expected("plain"));

    write("bad.jsonl.gz", gzip(lines).substr(0, 10));
    expect_error(config({path("bad.jsonl.gz")}, "bad"), base::StatusCode::kInvalidArgument,
                 "bad.jsonl.gz: not a valid gzip file");
    write("bad.jsonl.zst", zstd(lines).substr(0, 8));
    expect_error(config({path("bad.jsonl.zst")}, "bad"), base::StatusCode::kInvalidArgument,
                 "bad.jsonl.zst: not a valid zstd file");
}

TEST_F(TokenizeDatasetTest, ByteIdenticalForAnyThreadCount) {
    // Many documents of varied length, so batches and threads interleave differently.
    std::string jsonl;
    for (int i = 0; i < 3000; ++i) {
        std::string text = "Document " + std::to_string(i) + ":";
        for (int k = 0; k < (i * 7919) % 60; ++k) text += " word" + std::to_string(k * i % 97);
        jsonl += "{\"text\": \"" + text + "\"}\n";
    }
    const std::string f = write("many.jsonl", jsonl);
    std::string bin1, idx1, meta1;
    for (int threads : {1, 2, 5}) {
        auto c = config({f}, "t" + std::to_string(threads));
        c.threads = threads;
        auto r = run(c);
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        EXPECT_EQ(r->n_documents, 3000);
        const std::string bin = slurp(c.output + ".bin"), idx = slurp(c.output + ".idx"),
                          meta = slurp(c.output + ".meta.json");
        if (threads == 1) {
            bin1 = bin, idx1 = idx, meta1 = meta;
            continue;
        }
        EXPECT_TRUE(bin == bin1) << threads << " threads";
        EXPECT_TRUE(idx == idx1) << threads << " threads";
        EXPECT_EQ(meta, meta1) << threads << " threads";
    }
}

TEST_F(TokenizeDatasetTest, BadJsonNamesFileAndLine) {
    const std::string f = write("bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"unterminated}\n");
    expect_error(config({f}, "o"), base::StatusCode::kInvalidArgument, f + ":2: malformed JSON");
    const std::string g =
        write("nofield.jsonl", "{\"text\": \"ok\"}\n\n{\"body\": \"x\", \"id\": 3}\n");
    expect_error(config({g}, "o"), base::StatusCode::kInvalidArgument,
                 g + ":3: no \"text\" field (the record has: body, id)");
    const std::string h = write("num.jsonl", "{\"text\": 5}\n");
    expect_error(config({h}, "o"), base::StatusCode::kInvalidArgument,
                 h + ":1: field \"text\" is a number, expected a string");
    const std::string k = write("arr.jsonl", "[1, 2]\n");
    expect_error(config({k}, "o"), base::StatusCode::kInvalidArgument,
                 k + ":1: expected a JSON object per line, got an array");
}

TEST_F(TokenizeDatasetTest, InvalidUtf8NamesFileLineAndOffset) {
    const std::string f = write("u.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"ab\xc3\x28\"}\n");
    expect_error(config({f}, "o"), base::StatusCode::kInvalidArgument,
                 f + ":2: invalid UTF-8 at byte 12 of the line (0xc3)");
    const std::string g = write("u.txt", "line one\nline two \xed\xa0\x80 surrogate\n");
    expect_error(config({g}, "o"), base::StatusCode::kInvalidArgument,
                 g + ":2:10: invalid UTF-8 (byte 0xed at offset 18 of the document)");
}

TEST_F(TokenizeDatasetTest, MissingInputsTokenizerAndExistingOutput) {
    const std::string f = write("a.jsonl", "{\"text\": \"ok\"}\n");
    expect_error(config({path("missing.jsonl")}, "o"), base::StatusCode::kNotFound,
                 "input " + path("missing.jsonl") + " does not exist");
    expect_error(config({}, "o"), base::StatusCode::kInvalidArgument, "no inputs");
    write("empty_dir/readme.bin", "x");
    expect_error(config({path("empty_dir")}, "o"), base::StatusCode::kInvalidArgument,
                 "holds no corpus files");
    auto c = config({f}, "o");
    c.tokenizer = path("nope/tokenizer.json");
    EXPECT_FALSE(run(c).ok());

    ASSERT_TRUE(run(config({f}, "exists")).ok());
    expect_error(config({f}, "exists"), base::StatusCode::kAlreadyExists, "--overwrite");
    EXPECT_TRUE(TokenDataset::open(path("exists")).ok());  // the old dataset is untouched
    auto over = config({f, f}, "exists");
    over.overwrite = true;
    auto r = run(over);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ((*TokenDataset::open(path("exists")))->n_documents(), 2);
}

TEST_F(TokenizeDatasetTest, ErrorAfterManyDocumentsLeavesNothing) {
    std::string jsonl;
    for (int i = 0; i < 20000; ++i)
        jsonl += "{\"text\": \"document number " + std::to_string(i) + "\"}\n";
    jsonl += "{oops\n";
    const std::string f = write("late.jsonl", jsonl);
    auto c = config({f}, "late");
    c.threads = 2;
    expect_error(c, base::StatusCode::kInvalidArgument, f + ":20001: malformed JSON");
    EXPECT_EQ(TokenDataset::open(c.output).status().code(), base::StatusCode::kNotFound);
}

}  // namespace
}  // namespace jenny::data
