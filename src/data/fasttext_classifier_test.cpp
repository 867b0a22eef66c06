#include "jenny/data/fasttext_classifier.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace jenny::data {
namespace {

namespace fs = std::filesystem;

// Well-formed English sentences from a small grammar.
std::string prose(std::mt19937& rng) {
    static const std::vector<std::string> subjects = {
        "The old farmer",   "A young teacher", "My neighbour",    "The city council", "Our team",
        "The museum guide", "Every student",   "The local baker", "A careful writer", "The doctor"};
    static const std::vector<std::string> verbs = {
        "explained",  "described",  "discussed",          "wrote about",      "studied",
        "remembered", "questioned", "carefully reviewed", "patiently taught", "openly criticised"};
    static const std::vector<std::string> objects = {
        "the history of the river valley",        "how bread was baked in the village",
        "the causes of the long winter",          "a new plan for the public library",
        "the results of the spring experiment",   "the meaning of the old letters",
        "why the bridge had to be rebuilt",       "the rules of the chess tournament",
        "the migration of birds along the coast", "the way children learn to read"};
    static const std::vector<std::string> tails = {
        "before the meeting ended.",           "with great attention to detail.",
        "in a short essay for the newspaper.", "during the evening lecture.",
        "and everyone listened closely.",      "so that others could understand it."};
    std::string s;
    const int n = 2 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) {
        if (i) s += ' ';
        s += subjects[rng() % subjects.size()] + " " + verbs[rng() % verbs.size()] + " " +
             objects[rng() % objects.size()] + " " + tails[rng() % tails.size()];
    }
    return s;
}

// Random character junk or keyword spam.
std::string junk(std::mt19937& rng) {
    std::string s;
    if (rng() % 2 == 0) {
        static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789$%#@!";
        const int words = 10 + static_cast<int>(rng() % 20);
        for (int w = 0; w < words; ++w) {
            if (w) s += ' ';
            const int len = 2 + static_cast<int>(rng() % 9);
            for (int k = 0; k < len; ++k) s += kChars[rng() % (sizeof(kChars) - 1)];
        }
    } else {
        static const std::vector<std::string> spam = {
            "cheap", "pills",    "buy",    "now",    "best", "price", "free", "casino", "click",
            "here",  "discount", "viagra", "online", "sale", "win",   "$$$",  "!!!",    "deal"};
        const int words = 15 + static_cast<int>(rng() % 20);
        for (int w = 0; w < words; ++w) {
            if (w) s += ' ';
            s += spam[rng() % spam.size()];
        }
    }
    return s;
}

class FastTextClassifierTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("jenny_fasttext_test_" +
                std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    std::string write(const std::string& name, const std::string& content) const {
        std::ofstream(path(name), std::ios::binary) << content;
        return path(name);
    }

    QualityClassifierTrainOptions small_options() const {
        QualityClassifierTrainOptions o;
        o.output = path("model.bin");
        o.dim = 16;
        o.bucket = 20000;
        o.epochs = 10;
        o.threads = 1;
        return o;
    }

    fs::path dir_;
};

TEST_F(FastTextClassifierTest, TrainsAModelThatSeparatesHeldOutDocuments) {
    std::mt19937 rng(7);
    std::string pos_text, neg_jsonl;
    for (int i = 0; i < 300; ++i) pos_text += prose(rng) + "\n";
    for (int i = 0; i < 300; ++i) {
        std::string j = junk(rng);
        std::string escaped;
        for (char c : j)
            escaped += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
        neg_jsonl += "{\"id\": " + std::to_string(i) + ", \"text\": \"" + escaped + "\"}\n";
    }
    QualityClassifierTrainOptions o = small_options();
    o.positive = write("pos.txt", pos_text);
    o.negative = write("neg.jsonl", neg_jsonl);
    auto report = train_quality_classifier(o, base::Env::Default());
    ASSERT_TRUE(report.ok()) << report.status().to_string();
    EXPECT_EQ(report->positives, 300u);
    EXPECT_EQ(report->negatives, 300u);
    EXPECT_EQ(report->validation_examples, 60u);
    EXPECT_EQ(report->train_examples, 540u);
    EXPECT_GE(report->validation_accuracy, 0.95);
    EXPECT_TRUE(fs::exists(o.output));
    EXPECT_FALSE(fs::exists(o.output + ".tmp"));
    EXPECT_FALSE(fs::exists(o.output + ".train.tmp"));

    QualityFilterOptions fo;
    fo.model = o.output;
    auto clf = QualityClassifier::load(fo);
    ASSERT_TRUE(clf.ok()) << clf.status().to_string();
    std::mt19937 held_out(12345);
    int right = 0;
    for (int i = 0; i < 50; ++i) {
        Document good, bad;
        good.text = prose(held_out);
        good.text.replace(good.text.find(' '), 1, "\n\n");  // multi-line text is flattened
        bad.text = junk(held_out);
        const double p_good = (*clf)->score(good.text);
        EXPECT_GE(p_good, 0.0);
        EXPECT_LE(p_good, 1.0);
        right += (*clf)->filter(good).keep + !(*clf)->filter(bad).keep;
        if (!(*clf)->filter(bad).keep) {
            EXPECT_EQ((*clf)->filter(bad).reason, "fasttext_quality");
        }
    }
    EXPECT_GE(right, 95);  // of 100
    EXPECT_EQ((*clf)->score(""), 0.0);

    // The negative label's probability is the complement.
    fo.label = "lq";
    auto lq = QualityClassifier::load(fo);
    ASSERT_TRUE(lq.ok());
    const std::string text = "The old farmer explained the history of the river valley.";
    EXPECT_NEAR((*lq)->score(text) + (*clf)->score(text), 1.0, 1e-3);

    // Refuses to overwrite.
    auto again = train_quality_classifier(o, base::Env::Default());
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.status().code(), base::StatusCode::kAlreadyExists);
}

TEST_F(FastTextClassifierTest, BadInputsAreStatusErrors) {
    QualityClassifierTrainOptions o = small_options();
    o.positive = write("pos.txt", "a good sentence.\nanother good sentence.\n");
    o.negative = write("neg.txt", "zz qq\nxx vv\n");
    auto code = [&](const QualityClassifierTrainOptions& opts) {
        return train_quality_classifier(opts, base::Env::Default()).status().code();
    };
    auto missing = o;
    missing.positive = path("nope.txt");
    EXPECT_EQ(code(missing), base::StatusCode::kNotFound);
    auto empty = o;
    empty.negative = write("empty.txt", "\n  \n\t\n");
    EXPECT_EQ(code(empty), base::StatusCode::kInvalidArgument);
    auto bad_json = o;
    bad_json.negative = write("bad.jsonl", "{\"text\": \"ok\"}\n{not json\n");
    auto r = train_quality_classifier(bad_json, base::Env::Default());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("bad.jsonl:2"), std::string::npos) << r.status().message();
    auto no_field = o;
    no_field.negative = write("nofield.jsonl", "{\"content\": \"x\"}\n");
    EXPECT_EQ(code(no_field), base::StatusCode::kInvalidArgument);
    for (auto tweak : std::vector<void (*)(QualityClassifierTrainOptions&)>{
             [](QualityClassifierTrainOptions& x) { x.dim = 0; },
             [](QualityClassifierTrainOptions& x) { x.epochs = 0; },
             [](QualityClassifierTrainOptions& x) { x.lr = -1; },
             [](QualityClassifierTrainOptions& x) { x.word_ngrams = 0; },
             [](QualityClassifierTrainOptions& x) { x.validation_fraction = 1; },
             [](QualityClassifierTrainOptions& x) { x.positive_label = "lq"; },
             [](QualityClassifierTrainOptions& x) { x.negative_label = "two words"; },
             [](QualityClassifierTrainOptions& x) { x.output = ""; },
             [](QualityClassifierTrainOptions& x) { x.positive = ""; }}) {
        auto bad = o;
        tweak(bad);
        EXPECT_EQ(code(bad), base::StatusCode::kInvalidArgument);
    }
    EXPECT_FALSE(fs::exists(o.output));
    // Tiny but valid data trains.
    auto tiny = train_quality_classifier(o, base::Env::Default());
    EXPECT_TRUE(tiny.ok()) << tiny.status().to_string();

    QualityFilterOptions fo;
    fo.model = path("missing.bin");
    EXPECT_EQ(QualityClassifier::load(fo).status().code(), base::StatusCode::kNotFound);
    fo.model = write("junk.bin", std::string(1000, 'j'));
    EXPECT_EQ(QualityClassifier::load(fo).status().code(), base::StatusCode::kInvalidArgument);
    fo.model = write("empty.bin", "");
    EXPECT_EQ(QualityClassifier::load(fo).status().code(), base::StatusCode::kInvalidArgument);
    fo.model = o.output;
    fo.label = "nosuchlabel";
    auto no_label = QualityClassifier::load(fo);
    ASSERT_FALSE(no_label.ok());
    EXPECT_NE(no_label.status().message().find("__label__hq"), std::string::npos);
}

TEST(FastTextFlatten, OneLine) {
    EXPECT_EQ(flatten_for_fasttext("  a\n\nb\t c \r\n"), "a b c");
    EXPECT_EQ(flatten_for_fasttext("\n\n"), "");
}

}  // namespace
}  // namespace jenny::data
