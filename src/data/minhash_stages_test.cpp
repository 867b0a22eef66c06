// MinHash stages run one at a time through files: the same removals as the in-memory run,
// atomic outputs, and clear errors (never crashes) for mismatched options and missing,
// truncated or damaged files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "data/dedup_file.h"
#include "jenny/data/minhash_dedup.h"

namespace jenny::data {
namespace {

namespace fs = std::filesystem;
using base::StatusCode;

std::vector<std::vector<std::string>> corpus(uint32_t n_tasks, int docs_per_task, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::string> vocab;
    for (int i = 0; i < 3000; ++i) vocab.push_back("w" + std::to_string(rng() % 1000000));
    std::vector<std::vector<std::string>> tasks(n_tasks);
    std::vector<std::vector<std::string>> all;
    for (uint32_t t = 0; t < n_tasks; ++t) {
        for (int d = 0; d < docs_per_task; ++d) {
            std::vector<std::string> words;
            if (!all.empty() && rng() % 3 == 0) {
                words = all[rng() % all.size()];  // a near copy of an earlier document
                for (int k = 0; k < 3; ++k) words[rng() % words.size()] = vocab[rng() % 3000];
            } else {
                for (int k = 0; k < 120; ++k) words.push_back(vocab[rng() % 3000]);
            }
            all.push_back(words);
            std::string text;
            for (const auto& w : words) text += w + " ";
            tasks[t].push_back(text);
        }
    }
    return tasks;
}

class MinhashStagesTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = (fs::temp_directory_path() /
                ("jenny_minhash_stages_test_" + std::to_string(::getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                   .string();
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    void run_signatures(const std::vector<std::vector<std::string>>& tasks,
                        const MinhashOptions& o) {
        for (uint32_t t = 0; t < tasks.size(); ++t) {
            auto w =
                MinhashSignatureWriter::create(dir_, t, static_cast<uint32_t>(tasks.size()), o);
            ASSERT_TRUE(w.ok()) << w.status().to_string();
            for (const auto& text : tasks[t]) (*w)->add(text);
            ASSERT_TRUE((*w)->finish().ok());
        }
    }
    void run_buckets(const MinhashOptions& o) {
        for (int b = 0; b < o.num_bands; ++b) {
            auto s = run_minhash_buckets(dir_, static_cast<uint32_t>(b), o);
            ASSERT_TRUE(s.ok()) << s.status().to_string();
        }
    }
    std::string dir_;
};

std::vector<std::vector<uint32_t>> filter_all(const std::string& dir,
                                              const std::vector<std::vector<std::string>>& tasks,
                                              const MinhashOptions& o) {
    std::vector<std::vector<uint32_t>> removed(tasks.size());
    for (uint32_t t = 0; t < tasks.size(); ++t) {
        auto f = open_minhash_filter(dir, t, o);
        EXPECT_TRUE(f.ok()) << f.status().to_string();
        if (!f.ok()) continue;
        for (uint32_t d = 0; d < tasks[t].size(); ++d) {
            Verdict v = f->next();
            if (!v.keep) {
                EXPECT_EQ(v.reason, "minhash_duplicate");
                removed[t].push_back(d);
            }
        }
        EXPECT_TRUE(f->finish().ok());
    }
    return removed;
}

TEST_F(MinhashStagesTest, StagedRunEqualsInMemoryRun) {
    auto tasks = corpus(3, 150, 11);
    tasks.push_back({});  // a task with no documents
    MinhashOptions o;
    run_signatures(tasks, o);
    run_buckets(o);
    auto stats = run_minhash_clusters(dir_, o);
    ASSERT_TRUE(stats.ok()) << stats.status().to_string();
    auto expected = run_minhash_dedup_in_memory(tasks, o);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(stats->num_tasks, 4u);
    EXPECT_EQ(stats->removed, expected->total_removed());
    EXPECT_EQ(stats->clusters, expected->clusters);
    EXPECT_EQ(stats->pairs, expected->pairs);
    EXPECT_GT(stats->removed, 100u);
    EXPECT_EQ(filter_all(dir_, tasks, o), expected->removed);
    // Nothing temporary is left behind.
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
        EXPECT_NE(e.path().extension(), ".tmp") << e.path();
    }
}

TEST_F(MinhashStagesTest, OtherBandingAndNGrams) {
    auto tasks = corpus(3, 60, 12);
    MinhashOptions o;
    o.n_grams = 3;
    o.num_bands = 5;
    o.rows_per_band = 4;
    o.seed = 42;
    run_signatures(tasks, o);
    run_buckets(o);
    ASSERT_TRUE(run_minhash_clusters(dir_, o).ok());
    auto expected = run_minhash_dedup_in_memory(tasks, o);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(filter_all(dir_, tasks, o), expected->removed);
}

TEST_F(MinhashStagesTest, MismatchedOptionsRefuse) {
    auto tasks = corpus(3, 20, 13);
    MinhashOptions o;
    run_signatures(tasks, o);
    MinhashOptions other = o;
    other.seed = 2;
    auto s = run_minhash_buckets(dir_, 0, other);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(s.status().message().find("seed=1"), std::string::npos) << s.status().message();
    EXPECT_NE(s.status().message().find("task_00000.bin"), std::string::npos);
    other = o;
    other.norm.lowercase = false;
    EXPECT_EQ(run_minhash_buckets(dir_, 0, other).status().code(), StatusCode::kFailedPrecondition);
    other = o;
    other.num_bands = 20;  // band 14 has no files at all
    EXPECT_EQ(run_minhash_buckets(dir_, 14, other).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(run_minhash_buckets(dir_, 14, o).status().code(), StatusCode::kInvalidArgument);

    run_buckets(o);
    other = o;
    other.rows_per_band = 7;
    EXPECT_EQ(run_minhash_clusters(dir_, other).status().code(), StatusCode::kFailedPrecondition);
    ASSERT_TRUE(run_minhash_clusters(dir_, o).ok());
    other = o;
    other.n_grams = 4;
    EXPECT_EQ(open_minhash_filter(dir_, 0, other).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(MinhashStagesTest, MissingFilesSayWhatToRun) {
    auto tasks = corpus(3, 20, 14);
    MinhashOptions o;
    run_signatures(tasks, o);
    // A killed signature job leaves at most a .tmp file, which never counts.
    const std::string sig = minhash_signature_path(dir_, 3, 1);
    fs::rename(sig, sig + ".tmp");
    auto s = run_minhash_buckets(dir_, 3, o);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
    EXPECT_NE(s.status().message().find("signature stage for task 1"), std::string::npos)
        << s.status().message();
    fs::rename(sig + ".tmp", sig);
    for (uint32_t b = 0; b < 13; ++b) ASSERT_TRUE(run_minhash_buckets(dir_, b, o).ok());
    auto c = run_minhash_clusters(dir_, o);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
    EXPECT_NE(c.status().message().find("buckets stage for band 13"), std::string::npos);
    auto f = open_minhash_filter(dir_, 0, o);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
}

// Every way of damaging a file is an error naming it, never a crash.
TEST_F(MinhashStagesTest, DamagedFilesAreErrors) {
    auto tasks = corpus(3, 40, 15);
    MinhashOptions o;
    run_signatures(tasks, o);
    const std::string sig = minhash_signature_path(dir_, 2, 1);
    const auto size = fs::file_size(sig);
    std::string original;
    {
        std::ifstream in(sig, std::ios::binary);
        original.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto write = [&](const std::string& bytes) {
        std::ofstream out(sig, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    };
    auto expect_error = [&](const char* what) {
        auto s = run_minhash_buckets(dir_, 2, o);
        ASSERT_FALSE(s.ok()) << what;
        EXPECT_EQ(s.status().code(), StatusCode::kCorruption)
            << what << ": " << s.status().message();
        EXPECT_NE(s.status().message().find("task_00001.bin"), std::string::npos) << what;
    };
    for (size_t cut : {size_t{0}, size_t{10}, size_t{80}, size - 30, size - 1}) {
        write(original.substr(0, cut));
        expect_error("truncated");
    }
    std::string flipped = original;
    flipped[dedup::kHeaderBytes + 5] ^= 0x40;
    write(flipped);
    expect_error("flipped record byte");
    flipped = original;
    flipped[size - 20] ^= 1;  // the footer's record count
    write(flipped);
    expect_error("footer count");
    write(std::string(size, 'x'));
    expect_error("garbage");
    write(original);
    ASSERT_TRUE(run_minhash_buckets(dir_, 2, o).ok());

    // A damaged .dups or removal file: the same.
    run_buckets(o);
    const std::string dups = minhash_duplicates_path(dir_, 4);
    fs::resize_file(dups, fs::file_size(dups) - 3);
    auto c = run_minhash_clusters(dir_, o);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), StatusCode::kCorruption);
    ASSERT_TRUE(run_minhash_buckets(dir_, 4, o).ok());
    ASSERT_TRUE(run_minhash_clusters(dir_, o).ok());
    const std::string rem = dedup_removal_path(dir_, 0);
    fs::resize_file(rem, fs::file_size(rem) + 4);
    EXPECT_EQ(open_minhash_filter(dir_, 0, o).status().code(), StatusCode::kCorruption);
    // A file of another kind where a removal list belongs.
    fs::copy_file(minhash_signature_path(dir_, 0, 0), rem, fs::copy_options::overwrite_existing);
    EXPECT_EQ(open_minhash_filter(dir_, 0, o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(MinhashStagesTest, FilterChecksItSawTheSameDocuments) {
    auto tasks = corpus(2, 50, 16);
    MinhashOptions o;
    run_signatures(tasks, o);
    run_buckets(o);
    ASSERT_TRUE(run_minhash_clusters(dir_, o).ok());
    auto f = open_minhash_filter(dir_, 1, o);
    ASSERT_TRUE(f.ok());
    for (int i = 0; i < 30; ++i) (void)f->next();
    auto s = f->finish();
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find("50 documents"), std::string::npos) << s.message();
}

TEST(DedupFileTest, UncommittedWriterLeavesNothing) {
    const std::string dir =
        (fs::temp_directory_path() / ("jenny_dedup_file_test_" + std::to_string(::getpid())))
            .string();
    fs::remove_all(dir);
    {
        dedup::FileHeader h;
        h.record_size = 4;
        auto w = dedup::FileWriter::create(base::Env::Default(), dir + "/x.bin", h);
        ASSERT_TRUE(w.ok());
        uint32_t v = 7;
        ASSERT_TRUE((*w)->append(&v, 4).ok());
        EXPECT_TRUE(fs::exists(dir + "/x.bin.tmp"));
    }
    EXPECT_FALSE(fs::exists(dir + "/x.bin"));
    EXPECT_FALSE(fs::exists(dir + "/x.bin.tmp"));
    fs::remove_all(dir);
}

}  // namespace
}  // namespace jenny::data
