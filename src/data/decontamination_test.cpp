// Decontamination against the real eval files in shared/data (MMLU, GSM8K, C-Eval, AGIEval),
// n-gram boundaries, flag mode, and file-format errors.
#include "jenny/data/decontamination.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "data/eval_records.h"

namespace jenny::data {
namespace {

namespace fs = std::filesystem;
const std::string kData = JENNY_SHARED_DATA;

Document doc(std::string text) {
    Document d;
    d.text = std::move(text);
    return d;
}

// The MMLU and GSM8K filter, built once for the suite.
const DecontaminationFilter& mmlu_gsm8k() {
    static std::unique_ptr<DecontaminationFilter> f = [] {
        DecontaminationOptions o;
        o.eval_sets = {"mmlu=" + kData + "/mmlu", kData + "/gsm8k/"};
        auto r = DecontaminationFilter::create(o);
        EXPECT_TRUE(r.ok()) << r.status().to_string();
        return r.ok() ? std::move(*r) : nullptr;
    }();
    return *f;
}

TEST(DecontaminationTest, CatchesEvalQuestionsInsideDocuments) {
    const auto& f = mmlu_gsm8k();
    EXPECT_EQ(f.index().set_names(), (std::vector<std::string>{"mmlu", "gsm8k"}));
    EXPECT_GT(f.index().size(), 500000u);

    // GSM8K test question 1, as a web page might quote it (ASCII apostrophe, other case).
    std::optional<DecontaminationMatch> m;
    Verdict v = f.filter(
        doc("Homework help forum. Posted by user123:\n\nJANET'S ducks lay 16 eggs per day. She "
            "eats three for breakfast every morning and bakes muffins for her friends every "
            "day with four. Can anyone help?"),
        &m);
    EXPECT_FALSE(v.keep);
    EXPECT_EQ(v.reason, "decontaminated");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->eval_set, "gsm8k");

    // An MMLU abstract_algebra test question with its choices, reformatted.
    v = f.filter(doc("Quiz time! Find the degree for the given field extension Q(sqrt(2), "
                     "sqrt(3), sqrt(18)) over Q.\nA) 0\nB) 4\nC) 2\nD) 6\nAnswer: B"),
                 &m);
    EXPECT_FALSE(v.keep);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->eval_set, "mmlu");

    // Every MMLU test question of one subject, embedded in other text, is caught.
    auto rows = parse_csv(
        [] {
            std::ifstream in(kData + "/mmlu/test/high_school_biology_test.csv");
            return std::string(std::istreambuf_iterator<char>(in), {});
        }(),
        "biology");
    ASSERT_TRUE(rows.ok());
    ASSERT_GT(rows->size(), 300u);
    size_t caught = 0, long_enough = 0;
    for (size_t r = 1; r < rows->size(); ++r) {
        const auto& row = (*rows)[r];
        // Question and choices as a quiz page might lay them out: no words in between.
        std::string record = row[0] + "\n" + row[1] + "\n" + row[2] + "\n" + row[3] + "\n" + row[4];
        std::string text = "Study notes for Tuesday.\n" + record + "\nGood luck!";
        size_t words = 0;
        SimplifiedWords split(record, TextNormOptions{});
        for (std::string_view w; split.next(&w);) ++words;
        if (words < 13) continue;  // shorter records are not indexed
        ++long_enough;
        caught += !f.filter(doc(text)).keep;
    }
    EXPECT_EQ(caught, long_enough) << caught << " of " << long_enough;
}

TEST(DecontaminationTest, UnrelatedDocumentsPass) {
    const auto& f = mmlu_gsm8k();
    const char* texts[] = {
        "The river wound through the valley, past the old mill and the church whose bell had "
        "not rung in forty years. Children fished from the bridge every summer afternoon.",
        "To install the package, download the archive, unpack it into a directory of your "
        "choice and run the setup script with administrator rights. Restart when asked.",
        "Preheat the oven to 180 degrees. Mix the flour, sugar and butter until crumbly, add "
        "two eggs and a splash of milk, then bake for twenty-five minutes until golden.",
        "The committee will meet on Thursday to review the budget proposals submitted by each "
        "department and to agree a timetable for the next round of consultations.",
        "",
    };
    for (const char* t : texts) {
        std::optional<DecontaminationMatch> m;
        EXPECT_TRUE(f.filter(doc(t), &m).keep) << t << " matched " << (m ? m->eval_set : "");
    }
}

TEST(DecontaminationTest, TwelveSharedWordsAreNotEnoughThirteenAre) {
    DecontaminationIndex index(13, TextNormOptions{});
    std::vector<std::string> w;
    for (int i = 0; i < 30; ++i)
        w.push_back("tok" + std::string(1, static_cast<char>('a' + i % 26)) +
                    std::string(1, static_cast<char>('a' + i / 26)));
    auto join = [&](int from, int to) {  // words [from, to)
        std::string s;
        for (int i = from; i < to; ++i) s += w[i] + " ";
        return s;
    };
    index.add_text("eval", join(0, 30));
    EXPECT_EQ(index.size(), 18u);                                              // 30 - 13 + 1
    EXPECT_FALSE(index.find("before " + join(5, 17) + " after").has_value());  // 12 words
    auto m = index.find("before and " + join(5, 18) + " after");               // 13 words
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->eval_set, "eval");
    EXPECT_EQ(m->word, 2u);
    EXPECT_FALSE(index.find(join(0, 6) + " inserted " + join(6, 18)).has_value());
    // Case, punctuation and spacing do not hide a match.
    std::string shouty;
    for (int i = 3; i < 16; ++i) shouty += (i % 2 ? "  " : ", ") + w[i];
    for (char& c : shouty) c = static_cast<char>(std::toupper(c));
    EXPECT_TRUE(index.find(shouty).has_value());
    // Records shorter than n words add nothing.
    index.add_text("short", "only a few words here");
    EXPECT_EQ(index.size(), 18u);
}

TEST(DecontaminationTest, FlagModeKeepsAndReports) {
    const fs::path dir =
        fs::temp_directory_path() / ("jenny_decontam_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "set.jsonl")
        << R"({"question": "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi", "answer": 3})"
        << "\n";
    DecontaminationOptions o;
    o.eval_sets = {(dir / "set.jsonl").string()};
    o.mode = "flag";
    auto f = DecontaminationFilter::create(o);
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    std::optional<DecontaminationMatch> m;
    Verdict v = (*f)->filter(doc("x alpha beta gamma delta epsilon zeta eta theta iota kappa "
                                 "lambda mu nu y"),
                             &m);
    EXPECT_TRUE(v.keep);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->eval_set, "set");
    fs::remove_all(dir);
}

TEST(DecontaminationTest, ChineseEvalSetsMatchByCharacters) {
    DecontaminationOptions o;
    o.eval_sets = {kData + "/ceval", kData + "/agieval"};
    auto f = DecontaminationFilter::create(o);
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    EXPECT_EQ((*f)->index().set_names(), (std::vector<std::string>{"ceval", "agieval"}));
    // Part of C-Eval law_dev question 0, inside other Chinese text.
    std::optional<DecontaminationMatch> m;
    Verdict v =
        (*f)->filter(doc("今天的新闻：甲路过某自行车修理店，见有一辆名牌电动自行车停在门口。"), &m);
    EXPECT_FALSE(v.keep);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->eval_set, "ceval");
    EXPECT_TRUE((*f)->filter(doc("我们明天早上九点在图书馆门口见面，然后一起去吃早饭。")).keep);
}

TEST(DecontaminationTest, EvalFileErrors) {
    const fs::path dir =
        fs::temp_directory_path() / ("jenny_decontam_err_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "bad.jsonl") << "{\"question\": \"ok\"}\n{not json\n";
    std::ofstream(dir / "bad.csv") << "question,answer\n\"never closed,1\n";
    std::ofstream(dir / "x.parquet") << "PAR1";
    DecontaminationIndex index(13, TextNormOptions{});
    auto r = index.add_eval_path("s", (dir / "bad.jsonl").string());
    EXPECT_EQ(r.status().code(), base::StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find("bad.jsonl:2"), std::string::npos) << r.status().message();
    r = index.add_eval_path("s", (dir / "bad.csv").string());
    EXPECT_EQ(r.status().code(), base::StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find("bad.csv:2"), std::string::npos) << r.status().message();
    EXPECT_EQ(index.add_eval_path("s", (dir / "x.parquet").string()).status().code(),
              base::StatusCode::kUnsupported);
    EXPECT_EQ(index.add_eval_path("s", (dir / "missing").string()).status().code(),
              base::StatusCode::kNotFound);
    DecontaminationOptions o;
    EXPECT_EQ(DecontaminationFilter::create(o).status().code(), base::StatusCode::kInvalidArgument);
    o.eval_sets = {(dir / "bad.jsonl").string()};
    auto f = DecontaminationFilter::create(o);
    EXPECT_NE(f.status().message().find("eval set bad"), std::string::npos) << f.status().message();
    fs::remove_all(dir);
}

TEST(DecontaminationTest, CsvParsing) {
    auto rows = parse_csv("a,b,c\r\n\"x, y\",\"he said \"\"hi\"\"\",\"two\r\nlines\"\r\n1,,3", "t");
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(*rows,
              (std::vector<std::vector<std::string>>{
                  {"a", "b", "c"}, {"x, y", "he said \"hi\"", "two\r\nlines"}, {"1", "", "3"}}));
}

TEST(DecontaminationTest, EvalSetsRecordCounts) {
    uint64_t n = 0;
    auto count = [&](const std::string& p) {
        auto r = for_each_eval_record(base::Env::Default(), p, [&](std::string_view) {});
        EXPECT_TRUE(r.ok()) << r.status().to_string();
        return r.ok() ? *r : 0;
    };
    EXPECT_EQ(count(kData + "/mmlu"), 285u + 14042u);
    EXPECT_EQ(count(kData + "/gsm8k"), 1319u);
    EXPECT_EQ(count(kData + "/ceval"), 260u + 1346u);
    // One record per line: 8,269 (SOURCE.md's per-file counts say 999 for the two jec-qa
    // files, which have 1,000 lines each; its total of 9,586 matches neither).
    n = count(kData + "/agieval/v1");
    EXPECT_EQ(n, 8269u);
}

}  // namespace
}  // namespace jenny::data
