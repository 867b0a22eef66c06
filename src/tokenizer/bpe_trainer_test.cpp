// The BPE trainer on a few MB of real text built from Debian text packages (fortunes, the
// Chinese fortunes, C headers): vocabulary layout, merge consistency, agreement with a naive
// full-recount trainer and with Hugging Face's BpeTrainer, determinism across thread counts,
// Hugging Face `tokenizers`/`transformers` loading the result, jenny's loader encoding like
// them, and bad input.
#include "jenny/tokenizer/bpe_trainer.h"
#include "jenny/base/utf8.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <unordered_map>

#include "jenny/tokenizer/tokenizer.h"
#include "tokenizer/bpe_merger.h"
#include "tokenizer/bpe_word_counter.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace jenny::tokenizer {
namespace {

using Json = nlohmann::json;

const std::string kPython = JENNY_SOURCE_DIR "/.venv/bin/python";
const std::string kOracle = JENNY_SOURCE_DIR "/tools/oracle/check_trained_tokenizer.py";
const std::string kFortunes = "/usr/share/games/fortunes";

base::Env* env() { return base::Env::Default(); }

std::string read(const std::string& path) {
    auto r = env()->read_file(path);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::string();
}

void write(const std::string& path, std::string_view data) {
    ASSERT_TRUE(env()->write_file_atomic(path, data).ok()) << path;
}

// Keeps the valid UTF-8 lines of `text`.
std::string valid_lines(std::string_view text) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        std::string_view line = text.substr(pos, end - pos);
        if (base::find_invalid_utf8(line) == std::string_view::npos) out.append(line);
        pos = end;
    }
    return out;
}

bool python_available() { return env()->file_exists(kPython); }

Json run_oracle(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kPython, kOracle};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = env()->run_subprocess(argv, {});
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok()) return Json();
    EXPECT_EQ(r->exit_code, 0) << r->stderr_data;
    if (r->exit_code != 0) return Json();
    return Json::parse(r->stdout_data.empty() ? "null" : r->stdout_data);
}

// Corpus: the fortunes (English and Chinese) and some C headers as code, held-out files apart.
class BpeTrainer : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        char tmpl[] = "/tmp/jenny_bpe_trainer.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        const std::set<std::string> held_out = {"zippy", "tang300", "pratchett"};
        auto names = env()->list_dir(kFortunes);
        if (!names.ok()) GTEST_SKIP() << "fortunes are not installed (scripts/setup.sh)";
        std::string corpus, held;
        for (const std::string& n : *names) {
            if (n.find('.') != std::string::npos) continue;  // .dat indexes, .u8 links
            std::string text = valid_lines(read(kFortunes + "/" + n));
            if (held_out.count(n)) {
                held += text.substr(0, 60000);
            } else {
                // Chinese is large; keep the mix balanced and the test fast.
                corpus += n == "chinese" ? text.substr(0, text.find('\n', 900000) + 1) : text;
            }
        }
        for (const char* h : {"stdio.h", "stdlib.h", "string.h", "unistd.h", "fcntl.h", "signal.h",
                              "pthread.h", "math.h", "time.h", "wchar.h"}) {
            std::string text = valid_lines(read(std::string("/usr/include/") + h));
            (std::string(h) == "wchar.h" ? held : corpus) += text;
        }
        held +=
            "Emoji 🦙🚀 and odd  whitespace\t\t\n\n\n   x\u00a0y\u3000z — «quoted» "
            "don't WE'LL 12345678 3.14159 <|end_of_text|> done\n";
        corpus_ = dir_ + "/corpus.txt";
        held_out_ = dir_ + "/held_out.txt";
        write(corpus_, corpus);
        write(held_out_, held);

        BpeTrainerConfig c;
        c.input = {corpus_};
        c.out = dir_ + "/tok";
        c.vocab_size = kVocab;
        c.threads = 2;
        c.progress = false;
        auto r = train_bpe(c, env());
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        report_ = *r;
    }
    static void TearDownTestSuite() { (void)env()->run_subprocess({"rm", "-rf", dir_}, {}); }

    void SetUp() override {
        if (report_.vocab_size == 0) GTEST_SKIP() << "no corpus";
    }

    static BpeTrainerConfig config(const std::string& out) {
        BpeTrainerConfig c;
        c.input = {corpus_};
        c.out = out;
        c.vocab_size = kVocab;
        c.progress = false;
        return c;
    }

    static constexpr int64_t kVocab = 1000;
    static std::string dir_, corpus_, held_out_;
    static TrainReport report_;
};
std::string BpeTrainer::dir_;
std::string BpeTrainer::corpus_;
std::string BpeTrainer::held_out_;
TrainReport BpeTrainer::report_;

TEST_F(BpeTrainer, VocabularyLayout) {
    EXPECT_EQ(report_.vocab_size, kVocab);
    EXPECT_GE(report_.input_bytes, 2'000'000);
    EXPECT_EQ(report_.learned_tokens, kVocab - 256 - 5);
    Json tj = Json::parse(read(report_.tokenizer_json));
    const Json& vocab = tj["model"]["vocab"];
    ASSERT_EQ(vocab.size(), static_cast<size_t>(kVocab));
    EXPECT_EQ(tj["model"]["type"], "BPE");
    EXPECT_EQ(tj["model"]["byte_fallback"], false);
    EXPECT_EQ(tj["model"]["ignore_merges"], false);
    EXPECT_TRUE(tj["normalizer"].is_null());
    EXPECT_EQ(tj["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"],
              kLlama3PretokenizerRegex);
    EXPECT_EQ(tj["decoder"]["type"], "ByteLevel");
    // Byte tokens first, in the byte-level alphabet's order: "!" is 0, "Ġ" (space) is 220.
    std::vector<std::string> by_id(kVocab);
    for (auto it = vocab.begin(); it != vocab.end(); ++it) by_id.at(it.value()) = it.key();
    EXPECT_EQ(by_id[0], "!");
    EXPECT_EQ(by_id[220], "Ġ");
    for (int id = 0; id < 256; ++id) {
        std::string raw;
        ASSERT_TRUE(byte_level_to_bytes(by_id[id], &raw));
        EXPECT_EQ(raw, std::string(1, static_cast<char>(byte_token_order()[id])));
    }
    // Specials at the top ids, in order, as special added tokens.
    const std::vector<std::string> specials = BpeTrainerConfig{}.special_tokens;
    ASSERT_EQ(tj["added_tokens"].size(), specials.size());
    for (size_t i = 0; i < specials.size(); ++i) {
        const Json& t = tj["added_tokens"][i];
        const int64_t id = kVocab - static_cast<int64_t>(specials.size() - i);
        EXPECT_EQ(t["content"], specials[i]);
        EXPECT_EQ(t["id"], id);
        EXPECT_EQ(t["special"], true);
        EXPECT_EQ(t["normalized"], false);
        EXPECT_EQ(vocab[specials[i]], id);
    }
    Json tc = Json::parse(read(report_.tokenizer_config));
    EXPECT_EQ(tc["bos_token"], "<|begin_of_text|>");
    EXPECT_EQ(tc["eos_token"], "<|end_of_text|>");
    EXPECT_EQ(tc["tokenizer_class"], "PreTrainedTokenizerFast");
    EXPECT_EQ(tc["added_tokens_decoder"][std::to_string(kVocab - 5)]["content"],
              "<|begin_of_text|>");
}

TEST_F(BpeTrainer, MergesAreConsistent) {
    Json tj = Json::parse(read(report_.tokenizer_json));
    const Json& vocab = tj["model"]["vocab"];
    const Json& merges = tj["model"]["merges"];
    ASSERT_EQ(merges.size(), static_cast<size_t>(report_.merges));
    ASSERT_GE(merges.size(), static_cast<size_t>(report_.learned_tokens));
    // Walking the merges in order creates the learned tokens in id order.
    int64_t next_new = 256;
    for (const Json& m : merges) {
        std::string s = m.get<std::string>();
        size_t sp = s.find(' ');
        ASSERT_NE(sp, std::string::npos) << s;
        std::string a = s.substr(0, sp), b = s.substr(sp + 1);
        ASSERT_TRUE(vocab.contains(a)) << s;
        ASSERT_TRUE(vocab.contains(b)) << s;
        ASSERT_TRUE(vocab.contains(a + b)) << s;
        int64_t id = vocab[a + b];
        EXPECT_LT(vocab[a].get<int64_t>(), std::max<int64_t>(id, next_new));
        if (id >= next_new) {
            EXPECT_EQ(id, next_new) << s;
            next_new = id + 1;
        }
    }
    EXPECT_EQ(next_new, kVocab - 5);
}

// Applying the merges to the training words must reproduce what a naive trainer (full pair
// recount every step, same tie rule) learns.
std::vector<std::pair<int32_t, int32_t>> naive_merges(const std::vector<WordCount>& words,
                                                      int64_t max_tokens, int64_t min_count) {
    std::array<int32_t, 256> id_of{};
    for (int id = 0; id < 256; ++id) id_of[byte_token_order()[id]] = id;
    std::vector<std::vector<int32_t>> w;
    std::vector<int64_t> n;
    std::vector<std::string> tokens;
    std::map<std::string, int32_t> ids;
    for (int id = 0; id < 256; ++id) {
        tokens.emplace_back(1, static_cast<char>(byte_token_order()[id]));
        ids[tokens.back()] = id;
    }
    for (const WordCount& wc : words) {
        w.emplace_back();
        for (unsigned char c : wc.word) w.back().push_back(id_of[c]);
        n.push_back(static_cast<int64_t>(wc.count));
    }
    std::vector<std::pair<int32_t, int32_t>> merges;
    while (static_cast<int64_t>(tokens.size()) < max_tokens) {
        std::unordered_map<uint64_t, int64_t> counts;
        for (size_t i = 0; i < w.size(); ++i) {
            for (size_t j = 0; j + 1 < w[i].size(); ++j) {
                counts[uint64_t(w[i][j]) << 32 | uint32_t(w[i][j + 1])] += n[i];
            }
        }
        uint64_t best_key = 0;
        int64_t best_count = 0;
        for (const auto& [key, c] : counts) {  // the highest count, then the smallest pair
            if (c > best_count || (c == best_count && key < best_key))
                best_key = key, best_count = c;
        }
        const std::pair<int32_t, int32_t> best{static_cast<int32_t>(best_key >> 32),
                                               static_cast<int32_t>(best_key & 0xFFFFFFFF)};
        if (best_count < min_count) break;
        std::string merged = tokens[best.first] + tokens[best.second];
        auto [it, added] = ids.emplace(merged, static_cast<int32_t>(tokens.size()));
        if (added) tokens.push_back(merged);
        merges.push_back(best);
        for (auto& word : w) {
            std::vector<int32_t> out;
            for (size_t j = 0; j < word.size(); ++j) {
                if (j + 1 < word.size() && word[j] == best.first && word[j + 1] == best.second) {
                    out.push_back(it->second);
                    ++j;
                } else {
                    out.push_back(word[j]);
                }
            }
            word = std::move(out);
        }
    }
    return merges;
}

// Expects learn_bpe_merges to learn what naive_merges learns.
void expect_same_as_naive(const std::vector<WordCount>& words, int64_t max_tokens,
                          int64_t min_count) {
    BpeMergeOptions mo;
    mo.max_tokens = max_tokens;
    mo.min_frequency = min_count;
    BpeMerges fast = learn_bpe_merges(words, mo, env());
    auto slow = naive_merges(words, max_tokens, min_count);
    EXPECT_EQ(fast.merges.size(), slow.size());
    for (size_t i = 0; i < std::min(slow.size(), fast.merges.size()); ++i) {
        if (fast.merges[i] != slow[i]) {
            ADD_FAILURE() << "merge " << i << " differs";
            break;
        }
    }
}

TEST_F(BpeTrainer, IncrementalMergesEqualNaiveRecount) {
    // Real words: 100 kB of the mixed corpus.
    const std::string sample = read(corpus_).substr(0, 100'000);
    write(dir_ + "/sample.txt", sample.substr(0, sample.rfind('\n') + 1));
    auto re = Regex::compile(kLlama3PretokenizerRegex);
    ASSERT_TRUE(re.ok());
    WordCounterOptions wo;
    wo.regex = &*re;
    auto counts = count_words({dir_ + "/sample.txt"}, wo, env());
    ASSERT_TRUE(counts.ok()) << counts.status().to_string();
    expect_same_as_naive(counts->words, 256 + 200, 1);
    expect_same_as_naive(counts->words, 256 + 200, 20);  // stops on min_frequency

    // Random words over a three-letter alphabet: long runs such as "aaaa", overlapping pairs.
    std::mt19937 rng(7);
    std::map<std::string, uint64_t> random_words;
    for (int i = 0; i < 3000; ++i) {
        std::string w(2 + rng() % 10, ' ');
        for (char& c : w) c = "abc"[rng() % 3];
        random_words[w] += 1 + rng() % 5;
    }
    std::vector<WordCount> words;
    for (const auto& [w, n] : random_words) words.push_back({w, n});
    expect_same_as_naive(words, 256 + 300, 1);
}

TEST_F(BpeTrainer, WordCountsDoNotDependOnThreadsOrChunks) {
    auto re = Regex::compile(kLlama3PretokenizerRegex);
    ASSERT_TRUE(re.ok());
    WordCounterOptions one;
    one.regex = &*re;
    one.chunk_bytes = size_t{1} << 30;  // the whole file in one piece
    auto whole = count_words({corpus_}, one, env());
    ASSERT_TRUE(whole.ok());
    for (int threads : {1, 3}) {
        WordCounterOptions many = one;
        many.threads = threads;
        many.chunk_bytes = 4096;
        auto chunked = count_words({corpus_}, many, env());
        ASSERT_TRUE(chunked.ok());
        EXPECT_EQ(chunked->pieces, whole->pieces);
        ASSERT_EQ(chunked->words.size(), whole->words.size());
        for (size_t i = 0; i < whole->words.size(); ++i) {
            ASSERT_EQ(chunked->words[i].word, whole->words[i].word);
            ASSERT_EQ(chunked->words[i].count, whole->words[i].count);
        }
    }
}

TEST_F(BpeTrainer, SameFilesOnOneOrManyThreads) {
    for (int threads : {1, 4}) {
        BpeTrainerConfig c = config(dir_ + "/t" + std::to_string(threads));
        c.threads = threads;
        auto r = train_bpe(c, env());
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        EXPECT_EQ(read(r->tokenizer_json), read(report_.tokenizer_json)) << threads;
        EXPECT_EQ(read(r->tokenizer_config), read(report_.tokenizer_config)) << threads;
    }
}

TEST(BpeChunks, CutAfterLineBreaksBeforePrintableText) {
    std::string text = "aaaa\n bbbb\ncccc\n\ndddd\neeee";
    std::vector<size_t> cuts = chunk_boundaries(text, 3);
    ASSERT_GE(cuts.size(), 2u);
    EXPECT_EQ(cuts.front(), 0u);
    EXPECT_EQ(cuts.back(), text.size());
    for (size_t i = 1; i + 1 < cuts.size(); ++i) {
        EXPECT_EQ(text[cuts[i] - 1], '\n');
        EXPECT_GT(static_cast<unsigned char>(text[cuts[i]]), ' ');
        EXPECT_GT(cuts[i], cuts[i - 1]);
    }
    EXPECT_EQ(chunk_boundaries("", 10), std::vector<size_t>{0});
    EXPECT_EQ(chunk_boundaries("no break at all", 2), (std::vector<size_t>{0, 15}));
}

TEST_F(BpeTrainer, HuggingFaceLoadsAndRoundTrips) {
    if (!python_available()) GTEST_SKIP() << "no .venv (scripts/setup.sh)";
    Json r = run_oracle({"check", dir_ + "/tok", held_out_});
    ASSERT_TRUE(r.is_object());
    EXPECT_EQ(r["vocab_size"], kVocab);
    EXPECT_TRUE(r["roundtrip"]);
    EXPECT_TRUE(r["transformers_roundtrip"]);
    EXPECT_TRUE(r["transformers_agree"]);
    EXPECT_EQ(r["bos_id"], kVocab - 5);
    EXPECT_EQ(r["eos_id"], kVocab - 4);
    EXPECT_EQ(r["special_ids"]["<|eot_id|>"], kVocab - 1);
    // The held-out text names <|end_of_text|>: it is matched as the special token.
    const auto& ids = r["ids"];
    EXPECT_NE(std::find(ids.begin(), ids.end(), Json(kVocab - 4)), ids.end());
    EXPECT_EQ(r["ids_with_special"], ids);  // add_bos is off: nothing added
}

TEST_F(BpeTrainer, JennyEncodesLikeHuggingFace) {
    if (!python_available()) GTEST_SKIP() << "no .venv (scripts/setup.sh)";
    Json r = run_oracle({"encode", dir_ + "/tok", held_out_});
    ASSERT_TRUE(r.is_object());
    auto tok = Tokenizer::load(dir_ + "/tok");
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const std::string text = read(held_out_);
    auto ids = (*tok)->encode(text);
    ASSERT_TRUE(ids.ok()) << ids.status().to_string();
    EXPECT_EQ(Json(*ids), r["ids_with_special"]);
    EXPECT_EQ((*tok)->decode(*ids), text);
    EXPECT_EQ((*tok)->vocab_size(), kVocab);
}

TEST_F(BpeTrainer, BosTemplateWhenAsked) {
    BpeTrainerConfig c = config(dir_ + "/bos");
    c.vocab_size = 400;
    c.add_bos = true;
    auto r = train_bpe(c, env());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    Json tj = Json::parse(read(r->tokenizer_json));
    EXPECT_EQ(tj["post_processor"]["type"], "TemplateProcessing");
    EXPECT_EQ(tj["post_processor"]["special_tokens"]["<|begin_of_text|>"]["ids"][0], 395);
    if (!python_available()) return;
    Json o = run_oracle({"encode", dir_ + "/bos", held_out_});
    ASSERT_TRUE(o.is_object());
    ASSERT_FALSE(o["ids_with_special"].empty());
    EXPECT_EQ(o["ids_with_special"][0], 395);
    EXPECT_EQ(o["ids_with_special"].size(), o["ids"].size() + 1);
    EXPECT_TRUE(o["roundtrip"]);
    auto tok = Tokenizer::load(dir_ + "/bos");
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    auto ids = (*tok)->encode(read(held_out_));
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(Json(*ids), o["ids_with_special"]);
}

TEST_F(BpeTrainer, SameMergesAsHuggingFaceTrainer) {
    if (!python_available()) GTEST_SKIP() << "no .venv (scripts/setup.sh)";
    const std::string out = dir_ + "/hf_merges.json";
    run_oracle({"hf-train", out, std::to_string(kVocab), "2",
                "<|begin_of_text|>,<|end_of_text|>,<|start_header_id|>,<|end_header_id|>,"
                "<|eot_id|>",
                kLlama3PretokenizerRegex, corpus_});
    Json hf = Json::parse(read(out));
    Json ours = Json::parse(read(report_.tokenizer_json))["model"]["merges"];
    EXPECT_EQ(hf["vocab_size"], kVocab);
    ASSERT_EQ(hf["merges"].size(), ours.size());
    for (size_t i = 0; i < ours.size(); ++i) ASSERT_EQ(hf["merges"][i], ours[i]) << "merge " << i;
}

TEST_F(BpeTrainer, SpecialTokenTextIsNotLearned) {
    std::string text;
    for (int i = 0; i < 2000; ++i) text += "<|end_of_text|>hello world<|eot_id|>\n";
    write(dir_ + "/specials.txt", text);
    BpeTrainerConfig c = config(dir_ + "/specials");
    c.input = {dir_ + "/specials.txt"};
    c.vocab_size = 300;
    auto r = train_bpe(c, env());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    Json vocab = Json::parse(read(r->tokenizer_json))["model"]["vocab"];
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        if (it.value() >= 256 && it.value() < r->vocab_size - 5) {
            EXPECT_EQ(it.key().find('|'), std::string::npos) << it.key();
        }
    }
    // Few distinct pairs: training stops early, and says so through the report.
    EXPECT_LT(r->vocab_size, 300);
    EXPECT_EQ(vocab.size(), static_cast<size_t>(r->vocab_size));
}

TEST_F(BpeTrainer, InvalidUtf8IsAnErrorOrSkipped) {
    write(dir_ + "/bad.txt", "good line\nbad \xff line\nanother good line\n");
    BpeTrainerConfig c = config(dir_ + "/bad");
    c.input = {dir_ + "/bad.txt"};
    c.vocab_size = 300;
    auto r = train_bpe(c, env());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find("bad.txt: invalid UTF-8 at byte offset 14"),
              std::string::npos)
        << r.status().message();
    c.invalid_utf8 = "skip";
    r = train_bpe(c, env());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->skipped_bytes, 11);  // "bad \xff line\n"
}

TEST_F(BpeTrainer, BadInputAndConfig) {
    BpeTrainerConfig c = config(dir_ + "/x");
    c.input = {dir_ + "/missing.txt"};
    auto r = train_bpe(c, env());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::StatusCode::kNotFound);
    EXPECT_NE(r.status().message().find("missing.txt"), std::string::npos);

    c = config(dir_ + "/x");
    c.vocab_size = 260;
    r = train_bpe(c, env());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("vocab_size"), std::string::npos);

    c = config(dir_ + "/x");
    c.bos_token = "<s>";
    EXPECT_NE(validate_bpe_trainer_config(c).message().find("bos_token"), std::string::npos);
    c = config(dir_ + "/x");
    c.special_tokens = {"<a>", "<a>"};
    c.bos_token = c.eos_token = "";
    EXPECT_NE(validate_bpe_trainer_config(c).message().find("listed twice"), std::string::npos);
    c = config(dir_ + "/x");
    c.pretokenizer_regex = "(unclosed";
    EXPECT_NE(validate_bpe_trainer_config(c).message().find("pretokenizer_regex"),
              std::string::npos);

    write(dir_ + "/empty.txt", "");
    c = config(dir_ + "/x");
    c.input = {dir_ + "/empty.txt"};
    r = train_bpe(c, env());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("no text"), std::string::npos);
}

TEST_F(BpeTrainer, MaxInputBytesAndDirectories) {
    ASSERT_TRUE(env()->create_dirs(dir_ + "/in/sub").ok());
    write(dir_ + "/in/a.txt", "first file line one\nline two\n");
    write(dir_ + "/in/sub/b.txt", "second file\n");
    BpeTrainerConfig c = config(dir_ + "/dir");
    c.input = {dir_ + "/in"};
    c.vocab_size = 270;
    c.min_frequency = 1;
    auto r = train_bpe(c, env());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->input_files, 2);
    EXPECT_EQ(r->input_bytes, 41);
    c.max_input_bytes = 25;  // cut at the line break within the budget
    r = train_bpe(c, env());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->input_bytes, 20);
}

}  // namespace
}  // namespace jenny::tokenizer
