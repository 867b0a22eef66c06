// Example-aware packing: pack_sft_examples (best fit decreasing, every example in one window,
// deterministic, bins in file order) and run_sft_dataset with pack_window (the token dataset's
// windows each start a document, padding has mask 0, the examples' tokens and masks are the
// unpacked dataset's; over-long examples are too_long errors naming batch.seq_len).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "jenny/data/sft_dataset.h"
#include "jenny/data/token_dataset.h"

namespace jenny::data {
namespace {

namespace fs = std::filesystem;
const std::string kQwen = JENNY_SHARED_DATA "/tokenizers/hf-qwen2_5";

TEST(SftPacking, EveryExampleInOneWindowDeterministic) {
    std::mt19937 rng(5);
    std::vector<int64_t> lengths(300);
    for (auto& n : lengths) n = 1 + rng() % 100;
    lengths[7] = 100;  // exactly a window
    const auto bins = pack_sft_examples(lengths, 100);
    std::vector<int> seen(lengths.size(), 0);
    int64_t total = 0;
    for (const auto& b : bins) {
        int64_t used = 0;
        ASSERT_FALSE(b.empty());
        EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
        for (int64_t i : b) {
            used += lengths[i];
            ++seen[i];
        }
        EXPECT_LE(used, 100);
        total += used;
    }
    for (int s : seen) EXPECT_EQ(s, 1);
    for (size_t k = 1; k < bins.size(); ++k) EXPECT_LT(bins[k - 1].front(), bins[k].front());
    // Best fit decreasing is within 11/9 OPT + 1 of the optimum; the lower bound is the sum.
    const int64_t lower = (total + 99) / 100;
    EXPECT_LE(static_cast<int64_t>(bins.size()), lower * 11 / 9 + 1);
    EXPECT_EQ(bins, pack_sft_examples(lengths, 100));
}

TEST(SftPacking, ExactFitsShareNoWindow) {
    const auto bins = pack_sft_examples({3, 7, 5, 5, 10}, 10);
    // Longest first: 10 alone; 7 + 3; 5 + 5. Ordered by first example.
    const std::vector<std::vector<int64_t>> want = {{0, 1}, {2, 3}, {4}};
    EXPECT_EQ(bins, want);
}

class SftPackedDatasetTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("jenny_sft_packing_test_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(SftPackedDatasetTest, WindowsStartDocumentsAndKeepTheMasks) {
    std::string text;
    for (int i = 0; i < 30; ++i) {
        std::string q = "Question " + std::to_string(i) + std::string(i % 7 * 3, '?');
        std::string a = "Answer " + std::to_string(i * i) + std::string(i % 5 * 4, '!');
        text += R"({"messages": [{"role": "user", "content": ")" + q +
                R"("}, {"role": "assistant", "content": ")" + a + "\"}]}\n";
    }
    const std::string input = (dir_ / "chat.jsonl").string();
    std::ofstream(input) << text;
    SftDatasetConfig plain;
    plain.input = input;
    plain.model = kQwen;
    plain.output = (dir_ / "plain").string();
    auto p = run_sft_dataset(plain);
    ASSERT_TRUE(p.ok() && p->written) << p.status().to_string();
    SftDatasetConfig packed = plain;
    packed.output = (dir_ / "packed").string();
    packed.pack_window = 64;
    auto k = run_sft_dataset(packed);
    ASSERT_TRUE(k.ok() && k->written) << k.status().to_string();
    auto a = TokenDataset::open(plain.output).value();
    auto b = TokenDataset::open(packed.output).value();
    ASSERT_TRUE(b->verify().ok());
    const int T = 64;
    EXPECT_EQ(TokenWindows::count(*b, T), k->n_windows);
    EXPECT_EQ(b->n_tokens(), k->n_windows * T + 1);
    EXPECT_EQ(b->n_tokens(), a->n_tokens() + k->pad_tokens);
    // Documents: every window begins one, none crosses a window; each example document of the
    // packed set is one of the plain set's (tokens and mask), each used once.
    std::map<std::vector<int32_t>, std::vector<uint8_t>> examples;
    for (int64_t d = 0; d < a->n_documents(); ++d) {
        const int64_t s = a->document_begin(d), n = a->document_begin(d + 1) - s;
        std::vector<int32_t> t(n);
        std::vector<uint8_t> m(n);
        a->read_tokens(s, n, t.data());
        a->read_mask(s, n, m.data());
        examples[t] = m;
    }
    int64_t matched = 0, next_window = 0;
    for (int64_t d = 0; d < b->n_documents(); ++d) {
        const int64_t s = b->document_begin(d), n = b->document_begin(d + 1) - s;
        if (s == next_window * T) ++next_window;
        if (s + n < b->n_tokens()) {
            EXPECT_EQ(s / T, (s + n - 1) / T) << "document " << d;
        }
        std::vector<int32_t> t(n);
        std::vector<uint8_t> m(n);
        b->read_tokens(s, n, t.data());
        b->read_mask(s, n, m.data());
        auto it = examples.find(t);
        if (it != examples.end()) {
            EXPECT_EQ(it->second, m);
            examples.erase(it);
            ++matched;
        } else {  // padding: one token repeated, never a target
            EXPECT_EQ(std::count(t.begin(), t.end(), t[0]), n);
            EXPECT_EQ(std::count(m.begin(), m.end(), 0), n);
        }
    }
    EXPECT_EQ(next_window, k->n_windows + 1);  // + the final padding token's document
    EXPECT_EQ(matched, 30);
    EXPECT_TRUE(examples.empty());
    // Deterministic: the same bytes again.
    SftDatasetConfig again = packed;
    again.output = (dir_ / "again").string();
    ASSERT_TRUE(run_sft_dataset(again).ok());
    auto c = TokenDataset::open(again.output).value();
    std::vector<int32_t> tb(b->n_tokens()), tc(c->n_tokens());
    b->read_tokens(0, b->n_tokens(), tb.data());
    c->read_tokens(0, c->n_tokens(), tc.data());
    EXPECT_EQ(tb, tc);
}

TEST_F(SftPackedDatasetTest, ExamplesLongerThanTheWindowAreErrors) {
    const std::string input = (dir_ / "long.jsonl").string();
    std::ofstream(input) << R"({"prompt": "short", "completion": "ok"})" << "\n"
                         << R"({"prompt": ")" << std::string(300, 'x') << " " << std::string(300, 'y')
                         << R"(", "completion": "ok"})" << "\n";
    SftDatasetConfig c;
    c.input = input;
    c.model = kQwen;
    c.output = (dir_ / "long").string();
    c.pack_window = 40;
    auto r = run_sft_dataset(c);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_FALSE(r->written);
    ASSERT_EQ(r->report.issues.size(), 1u);
    EXPECT_EQ(r->report.issues[0].line, 2);
    EXPECT_EQ(r->report.issues[0].kind, SftIssueKind::kTooLong);
    EXPECT_NE(r->report.issues[0].message.find("batch.seq_len"), std::string::npos)
        << r->report.issues[0].message;
    EXPECT_FALSE(fs::exists(c.output + ".meta.json"));
}

}  // namespace
}  // namespace jenny::data
