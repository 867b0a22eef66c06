#include "jenny/data/exact_dedup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace jenny::data {
namespace {

namespace fs = std::filesystem;

const std::vector<std::vector<std::string>> kTasks = {
    {"The cat sat on the mat.", "A different document.", "the  CAT sat on the mat"},
    {"THE CAT\tSAT ON THE MAT!!", "Another one, unique.", "", "   ", "a different   document"},
    {"Prices rose 3.5% in 2023", "prices rose 4.1% in 1999", "Café au lait", "cafe au LAIT"},
};

TEST(ExactDedupTest, CaseWhitespaceAndPunctuationVariantsKeepTheFirst) {
    auto r = run_exact_dedup_in_memory(kTasks, ExactDedupOptions{});
    ASSERT_TRUE(r.ok());
    // Kept: task 0 doc 0 ("The cat..."), task 0 doc 1, task 2 doc 0, task 2 doc 2. Empty
    // documents are never duplicates. Numbers normalise to 0, diacritics are stripped.
    EXPECT_EQ(r->removed, (std::vector<std::vector<uint32_t>>{{2}, {0, 4}, {1, 3}}));
    EXPECT_EQ(r->clusters, 4u);
    EXPECT_EQ(r->total_removed(), 5u);
}

TEST(ExactDedupTest, NormalisationCanBeTurnedOff) {
    ExactDedupOptions o;
    o.norm.lowercase = false;
    o.norm.norm_numbers = false;
    auto r = run_exact_dedup_in_memory(kTasks, o);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->removed, (std::vector<std::vector<uint32_t>>{{}, {}, {}}));
}

TEST(ExactDedupTest, StagedRunEqualsInMemoryRun) {
    const std::string dir =
        (fs::temp_directory_path() / ("jenny_exact_dedup_test_" + std::to_string(::getpid())))
            .string();
    fs::remove_all(dir);
    ExactDedupOptions o;
    for (uint32_t t = 0; t < kTasks.size(); ++t) {
        auto w = ExactDedupHashWriter::create(dir, t, 3, o);
        ASSERT_TRUE(w.ok());
        for (const auto& text : kTasks[t]) (*w)->add(text);
        ASSERT_TRUE((*w)->finish().ok());
    }
    auto stats = run_exact_dedup_merge(dir, o);
    ASSERT_TRUE(stats.ok()) << stats.status().to_string();
    EXPECT_EQ(stats->removed, 5u);
    EXPECT_EQ(stats->groups, 4u);
    auto expected = run_exact_dedup_in_memory(kTasks, o);
    for (uint32_t t = 0; t < kTasks.size(); ++t) {
        auto f = open_exact_dedup_filter(dir, t, o);
        ASSERT_TRUE(f.ok()) << f.status().to_string();
        std::vector<uint32_t> removed;
        for (uint32_t d = 0; d < kTasks[t].size(); ++d) {
            Verdict v = f->next();
            if (!v.keep) {
                EXPECT_EQ(v.reason, "exact_duplicate");
                removed.push_back(d);
            }
        }
        EXPECT_TRUE(f->finish().ok());
        EXPECT_EQ(removed, expected->removed[t]);
    }
    // Other options, or a MinHash directory's files, are refused.
    ExactDedupOptions other;
    other.norm.norm_numbers = false;
    EXPECT_EQ(run_exact_dedup_merge(dir, other).status().code(),
              base::StatusCode::kFailedPrecondition);
    EXPECT_EQ(open_exact_dedup_filter(dir, 0, other).status().code(),
              base::StatusCode::kFailedPrecondition);
    fs::remove(exact_dedup_hash_path(dir, 2));
    auto missing = run_exact_dedup_merge(dir, o);
    EXPECT_EQ(missing.status().code(), base::StatusCode::kNotFound);
    EXPECT_NE(missing.status().message().find("hash stage for task 2"), std::string::npos);
    fs::remove_all(dir);
}

TEST(ExactDedupTest, KeyIgnoresFormattingOnly) {
    TextNormOptions n;
    EXPECT_EQ(exact_dedup_key("Hello,  World", n), exact_dedup_key("hello world!", n));
    EXPECT_NE(exact_dedup_key("hello world", n), exact_dedup_key("hello word", n));
    EXPECT_EQ(exact_dedup_key("?!", n), (std::pair<uint64_t, uint64_t>{0, 0}));
}

}  // namespace
}  // namespace jenny::data
