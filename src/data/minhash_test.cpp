// MinHash-LSH dedup: recall per similarity band on a synthetic corpus with planted
// near-duplicates of exactly known word-5-gram Jaccard, false positives on unrelated text,
// and signature basics. The staged (file) runs are in minhash_stages_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "jenny/data/minhash_dedup.h"

namespace jenny::data {
namespace {

constexpr int kVocab = 4096;  // 12 bits per word id: a 5-gram is an exact 60-bit key

std::vector<std::string> make_vocab(std::mt19937_64& rng) {
    std::set<std::string> seen;
    std::vector<std::string> vocab;
    std::uniform_int_distribution<int> len(3, 9), letter(0, 25);
    while (vocab.size() < kVocab) {
        std::string w;
        for (int i = len(rng); i > 0; --i) w.push_back(static_cast<char>('a' + letter(rng)));
        if (seen.insert(w).second) vocab.push_back(w);
    }
    return vocab;
}

std::set<uint64_t> shingles(const std::vector<int>& ids) {
    std::set<uint64_t> out;
    for (size_t i = 0; i + 5 <= ids.size(); ++i) {
        uint64_t key = 0;
        for (size_t k = 0; k < 5; ++k) key = (key << 12) | static_cast<uint64_t>(ids[i + k]);
        out.insert(key);
    }
    return out;
}

double jaccard(const std::set<uint64_t>& a, const std::set<uint64_t>& b) {
    size_t inter = 0;
    for (uint64_t x : a) inter += b.count(x);
    return static_cast<double>(inter) / static_cast<double>(a.size() + b.size() - inter);
}

// Edits a copy of `base` (substitutions, insertions, deletions at random places) as long as
// its 5-gram Jaccard with `base` stays >= target; returns the copy and its exact Jaccard.
std::vector<int> near_copy(const std::vector<int>& base, double target, std::mt19937_64& rng,
                           double* j_out) {
    const auto base_set = shingles(base);
    std::vector<int> copy = base;
    double j = 1.0;
    std::uniform_int_distribution<int> word(0, kVocab - 1), kind(0, 3);
    for (int tries = 0; tries < 4000; ++tries) {
        std::vector<int> next = copy;
        size_t pos = std::uniform_int_distribution<size_t>(0, next.size() - 1)(rng);
        int k = kind(rng);
        if (k <= 1) {
            next[pos] = word(rng);
        } else if (k == 2) {
            next.insert(next.begin() + static_cast<long>(pos), word(rng));
        } else if (next.size() > 150) {
            next.erase(next.begin() + static_cast<long>(pos));
        }
        double nj = jaccard(base_set, shingles(next));
        if (nj < target) {
            if (target - nj < 0.004) break;  // close enough below is not allowed; stop here
            continue;
        }
        copy = std::move(next);
        j = nj;
        if (j - target < 0.01) break;
    }
    *j_out = j;
    return copy;
}

std::string render(const std::vector<int>& ids, const std::vector<std::string>& vocab) {
    std::string s;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i) s += (i % 17 == 0) ? ". " : " ";
        s += vocab[ids[i]];
    }
    return s;
}

struct Planted {
    double target;
    double jaccard;
    uint32_t base_task, base_doc, copy_task, copy_doc;
};

struct Corpus {
    std::vector<std::vector<std::string>> tasks;
    std::vector<Planted> planted;
    std::vector<std::pair<uint32_t, uint32_t>> unrelated;
};

Corpus make_corpus(int n_tasks, int pairs_per_band, int n_unrelated, uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto vocab = make_vocab(rng);
    Corpus c;
    c.tasks.resize(n_tasks);
    std::uniform_int_distribution<int> word(0, kVocab - 1), task(0, n_tasks - 1);
    auto random_doc = [&] {
        std::vector<int> ids(200);
        for (int& w : ids) w = word(rng);
        return ids;
    };
    auto place = [&](const std::string& text) {
        uint32_t t = static_cast<uint32_t>(task(rng));
        c.tasks[t].push_back(text);
        return std::pair<uint32_t, uint32_t>(t, static_cast<uint32_t>(c.tasks[t].size() - 1));
    };
    for (double target : {0.3, 0.5, 0.7, 0.8, 0.9, 1.0}) {
        for (int i = 0; i < pairs_per_band; ++i) {
            auto base = random_doc();
            Planted p{target, 1.0, 0, 0, 0, 0};
            auto copy = target < 1.0 ? near_copy(base, target, rng, &p.jaccard) : base;
            std::tie(p.base_task, p.base_doc) = place(render(base, vocab));
            std::string copy_text = render(copy, vocab);
            if (target == 1.0 && i % 2 == 1) {
                // Exact duplicates up to case and spacing are still exact for MinHash.
                for (char& ch : copy_text) ch = static_cast<char>(std::toupper(ch));
                copy_text = "  " + copy_text + "\n";
            }
            std::tie(p.copy_task, p.copy_doc) = place(copy_text);
            c.planted.push_back(p);
        }
    }
    for (int i = 0; i < n_unrelated; ++i) c.unrelated.push_back(place(render(random_doc(), vocab)));
    return c;
}

TEST(MinhashTest, PlantedNearDuplicatesRecallByBand) {
    Corpus c = make_corpus(/*n_tasks=*/4, /*pairs_per_band=*/100, /*n_unrelated=*/800, 7);
    MinhashOptions options;  // 5-grams, 14 bands x 8 rows
    auto result = run_minhash_dedup_in_memory(c.tasks, options);
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    std::set<std::pair<uint32_t, uint32_t>> removed;
    for (uint32_t t = 0; t < result->removed.size(); ++t) {
        for (uint32_t d : result->removed[t]) removed.insert({t, d});
    }
    auto is_removed = [&](uint32_t t, uint32_t d) { return removed.count({t, d}) > 0; };

    struct Band {
        int planted = 0, found = 0;
        double j_min = 1, j_max = 0;
    };
    std::map<double, Band> bands;
    size_t true_removals = 0;
    for (const Planted& p : c.planted) {
        Band& b = bands[p.target];
        ++b.planted;
        b.j_min = std::min(b.j_min, p.jaccard);
        b.j_max = std::max(b.j_max, p.jaccard);
        bool rb = is_removed(p.base_task, p.base_doc), rc = is_removed(p.copy_task, p.copy_doc);
        if (rb || rc) ++b.found;
        if (rb != rc) ++true_removals;  // one of the pair kept, the other dropped
    }
    size_t unrelated_removed = 0;
    for (auto [t, d] : c.unrelated) unrelated_removed += is_removed(t, d);
    const size_t total_removed = removed.size();

    std::printf("MinHash 5-grams, %d bands x %d rows, %zu tasks\n", options.num_bands,
                options.rows_per_band, c.tasks.size());
    std::printf("  target  J range        pairs  found  recall  theory(1-(1-J^8)^14 at J min)\n");
    int hi_planted = 0, hi_found = 0;
    for (const auto& [target, b] : bands) {
        double theory = 1 - std::pow(1 - std::pow(b.j_min, 8), 14);
        std::printf("  %.1f     %.3f-%.3f  %5d  %5d  %6.3f  %.3f\n", target, b.j_min, b.j_max,
                    b.planted, b.found, static_cast<double>(b.found) / b.planted, theory);
        if (target >= 0.8) hi_planted += b.planted, hi_found += b.found;
    }
    std::printf("  J >= 0.8: recall %.3f (%d/%d)\n", static_cast<double>(hi_found) / hi_planted,
                hi_found, hi_planted);
    std::printf(
        "  removed %zu documents: %zu one-per-planted-pair, precision %.3f; "
        "unrelated documents removed: %zu of %zu\n",
        total_removed, true_removals,
        total_removed ? static_cast<double>(true_removals) / total_removed : 1.0, unrelated_removed,
        c.unrelated.size());

    EXPECT_GE(static_cast<double>(hi_found) / hi_planted, 0.95);
    EXPECT_GE(bands[0.8].found, 85);  // theory ~0.93 at J = 0.80
    EXPECT_GE(bands[0.9].found, 99);
    EXPECT_EQ(bands[1.0].found, bands[1.0].planted);  // exact duplicates: recall 1
    EXPECT_LE(bands[0.3].found, 5);                   // theory ~0 at J = 0.3
    EXPECT_EQ(unrelated_removed, 0u);
    EXPECT_EQ(true_removals, total_removed);  // precision 1: nothing removed beyond one per pair
}

TEST(MinhashTest, KeepsSmallestTaskAndDocOfACluster) {
    std::string a = "the quick brown fox jumps over the lazy dog near the river bank today";
    std::vector<std::vector<std::string>> tasks = {
        {"unrelated words here and there for the first task", a},
        {a, "something else entirely different from all the rest"},
        {a + "  ", "AND one more unrelated text that is not a copy"},
    };
    auto r = run_minhash_dedup_in_memory(tasks, MinhashOptions{});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->removed, (std::vector<std::vector<uint32_t>>{{}, {0}, {0}}));
    EXPECT_EQ(r->clusters, 1u);
}

TEST(MinhashTest, ShortAndEmptyDocuments) {
    // Fewer words than n_grams: one shingle of all words (exact short duplicates are found);
    // no words at all: no signature, never a duplicate.
    std::vector<std::vector<std::string>> tasks = {
        {"Hello world", "hello,   WORLD!", "", "  ...  ", "hello there"}};
    auto r = run_minhash_dedup_in_memory(tasks, MinhashOptions{});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->removed[0], (std::vector<uint32_t>{1}));
}

TEST(MinhashTest, SignatureIsDeterministicAndSeeded) {
    MinhashOptions o;
    MinhashSigner s1(o), s2(o);
    std::vector<uint64_t> a, b;
    ASSERT_TRUE(s1.signature("one two three four five six seven", &a));
    ASSERT_TRUE(s2.signature("one two three four five six seven", &b));
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.size(), 112u);
    for (uint64_t v : a) EXPECT_LT(v, (uint64_t{1} << 61) - 1);
    o.seed = 2;
    MinhashSigner s3(o);
    ASSERT_TRUE(s3.signature("one two three four five six seven", &b));
    EXPECT_NE(a, b);
    EXPECT_FALSE(s1.signature(" ,;: ", &a));
    std::vector<uint64_t> bands;
    ASSERT_TRUE(s1.band_hashes("one two three", &bands));
    EXPECT_EQ(bands.size(), 14u);
}

TEST(MinhashTest, InvalidOptions) {
    MinhashOptions o;
    o.num_bands = 0;
    auto r = run_minhash_dedup_in_memory({}, o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("num_bands"), std::string::npos);
    o = MinhashOptions{};
    o.n_grams = 0;
    EXPECT_FALSE(validate_minhash_options(o).ok());
    o = MinhashOptions{};
    o.rows_per_band = 65;
    EXPECT_FALSE(validate_minhash_options(o).ok());
}

}  // namespace
}  // namespace jenny::data
