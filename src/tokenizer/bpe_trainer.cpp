// train_bpe: validates the config, counts words (bpe_word_counter), learns merges (bpe_merger)
// and writes the Hugging Face files.
#include "jenny/tokenizer/bpe_trainer.h"
#include "jenny/base/utf8.h"

#include <nlohmann/json.hpp>

#include <set>

#include "jenny/base/thread_pool.h"
#include "tokenizer/bpe_merger.h"
#include "tokenizer/bpe_word_counter.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace jenny::tokenizer {
namespace {

using Json = nlohmann::ordered_json;

Json added_token_json(int64_t id, const std::string& content) {
    return Json{{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
                {"rstrip", false}, {"normalized", false}, {"special", true}};
}

Json post_processor_json(const BpeTrainerConfig& config, int64_t bos_id) {
    if (!config.add_bos) {
        return Json{{"type", "ByteLevel"},
                    {"add_prefix_space", false},
                    {"trim_offsets", false},
                    {"use_regex", false}};
    }
    const std::string& bos = config.bos_token;
    auto special = [&](int type_id) {
        return Json{{"SpecialToken", Json{{"id", bos}, {"type_id", type_id}}}};
    };
    auto sequence = [](const char* id, int type_id) {
        return Json{{"Sequence", Json{{"id", id}, {"type_id", type_id}}}};
    };
    return Json{
        {"type", "TemplateProcessing"},
        {"single", Json::array({special(0), sequence("A", 0)})},
        {"pair", Json::array({special(0), sequence("A", 0), special(1), sequence("B", 1)})},
        {"special_tokens",
         Json{{bos, Json{{"id", bos}, {"ids", Json::array({bos_id})}, {"tokens", {bos}}}}}}};
}

// tokenizer.json in the layout Hugging Face tokenizers writes.
std::string tokenizer_json(const BpeTrainerConfig& config, const BpeMerges& bpe,
                           const std::vector<std::string>& token_text) {
    const int64_t first_special = static_cast<int64_t>(bpe.tokens.size());
    Json added = Json::array();
    int64_t bos_id = -1;
    for (size_t i = 0; i < config.special_tokens.size(); ++i) {
        const int64_t id = first_special + static_cast<int64_t>(i);
        added.push_back(added_token_json(id, config.special_tokens[i]));
        if (config.special_tokens[i] == config.bos_token) bos_id = id;
    }
    Json vocab = Json::object();
    for (size_t id = 0; id < token_text.size(); ++id) vocab[token_text[id]] = id;
    for (size_t i = 0; i < config.special_tokens.size(); ++i) {
        vocab[config.special_tokens[i]] = first_special + static_cast<int64_t>(i);
    }
    Json merges = Json::array();
    for (auto [a, b] : bpe.merges) merges.push_back(token_text[a] + " " + token_text[b]);

    Json split = {{"type", "Split"},
                  {"pattern", Json{{"Regex", config.pretokenizer_regex}}},
                  {"behavior", "Isolated"},
                  {"invert", false}};
    Json byte_level = {{"type", "ByteLevel"},
                       {"add_prefix_space", false},
                       {"trim_offsets", true},
                       {"use_regex", false}};
    Json doc = {
        {"version", "1.0"},
        {"truncation", nullptr},
        {"padding", nullptr},
        {"added_tokens", added},
        {"normalizer", nullptr},
        {"pre_tokenizer", Json{{"type", "Sequence"}, {"pretokenizers", {split, byte_level}}}},
        {"post_processor", post_processor_json(config, bos_id)},
        {"decoder", Json{{"type", "ByteLevel"},
                         {"add_prefix_space", true},
                         {"trim_offsets", true},
                         {"use_regex", true}}},
        {"model", Json{{"type", "BPE"},
                       {"dropout", nullptr},
                       {"unk_token", nullptr},
                       {"continuing_subword_prefix", nullptr},
                       {"end_of_word_suffix", nullptr},
                       {"fuse_unk", false},
                       {"byte_fallback", false},
                       {"ignore_merges", false},
                       {"vocab", vocab},
                       {"merges", merges}}}};
    return doc.dump(2) + "\n";
}

// tokenizer_config.json for transformers' PreTrainedTokenizerFast.
std::string tokenizer_config_json(const BpeTrainerConfig& config, int64_t first_special) {
    Json decoder = Json::object();
    for (size_t i = 0; i < config.special_tokens.size(); ++i) {
        decoder[std::to_string(first_special + static_cast<int64_t>(i))] =
            Json{{"content", config.special_tokens[i]},
                 {"lstrip", false},
                 {"normalized", false},
                 {"rstrip", false},
                 {"single_word", false},
                 {"special", true}};
    }
    Json doc = {{"added_tokens_decoder", decoder}};
    auto token_or_null = [](const std::string& t) { return t.empty() ? Json(nullptr) : Json(t); };
    doc["bos_token"] = token_or_null(config.bos_token);
    doc["eos_token"] = token_or_null(config.eos_token);
    if (!config.pad_token.empty()) doc["pad_token"] = config.pad_token;
    doc["clean_up_tokenization_spaces"] = false;
    doc["model_input_names"] = Json::array({"input_ids", "attention_mask"});
    doc["model_max_length"] = config.model_max_length;
    doc["tokenizer_class"] = "PreTrainedTokenizerFast";
    return doc.dump(2) + "\n";
}

double seconds_since(base::Env* env, uint64_t start_us) {
    return static_cast<double>(env->now_micros() - start_us) / 1e6;
}

}  // namespace

base::Status validate_bpe_trainer_config(const BpeTrainerConfig& c) {
    auto bad = [](std::string msg) { return base::Status::invalid_argument(std::move(msg)); };
    if (c.input.empty()) return bad("input: name at least one text file or directory");
    for (const std::string& in : c.input) {
        if (in.empty()) return bad("input: an input path is empty");
    }
    if (c.out.empty()) return bad("out: name the output directory");
    const int64_t specials = static_cast<int64_t>(c.special_tokens.size());
    if (c.vocab_size < 256 + specials || c.vocab_size > (int64_t{1} << 30)) {
        return bad(fmt::format(
            "vocab_size: {} is out of range; it must hold the 256 byte tokens and the {} special "
            "tokens, so use a value from {} to {}",
            c.vocab_size, specials, 256 + specials, int64_t{1} << 30));
    }
    if (c.min_frequency < 0) return bad("min_frequency: must be 0 or more");
    std::set<std::string> seen;
    for (const std::string& s : c.special_tokens) {
        if (s.empty()) return bad("special_tokens: a special token is empty");
        if (base::find_invalid_utf8(s) != std::string_view::npos) {
            return bad(fmt::format("special_tokens: {:?} is not valid UTF-8", s));
        }
        if (!seen.insert(s).second) {
            return bad(fmt::format("special_tokens: {:?} is listed twice", s));
        }
    }
    const std::pair<const char*, const std::string*> named[] = {
        {"bos_token", &c.bos_token}, {"eos_token", &c.eos_token}, {"pad_token", &c.pad_token}};
    for (auto [key, value] : named) {
        if (!value->empty() && seen.count(*value) == 0) {
            return bad(
                fmt::format("{}: {:?} is not one of special_tokens; add it there or set {} "
                            "to \"\"",
                            key, *value, key));
        }
    }
    if (c.add_bos && c.bos_token.empty()) return bad("add_bos: needs a bos_token");
    if (c.pretokenizer_regex.empty()) return bad("pretokenizer_regex: must not be empty");
    base::Result<Regex> re = Regex::compile(c.pretokenizer_regex);
    if (!re.ok()) return re.status().with_context("pretokenizer_regex");
    if (c.model_max_length <= 0) return bad("model_max_length: must be positive");
    if (c.max_input_bytes < 0) return bad("max_input_bytes: must be 0 (no limit) or positive");
    if (c.invalid_utf8 != "error" && c.invalid_utf8 != "skip") {
        return bad(fmt::format("invalid_utf8: {:?} is not one of error, skip", c.invalid_utf8));
    }
    return base::Status();
}

base::Result<TrainReport> train_bpe(const BpeTrainerConfig& config, base::Env* env) {
    JENNY_RETURN_IF_ERROR(validate_bpe_trainer_config(config));
    const uint64_t start_us = env->now_micros();
    JENNY_ASSIGN_OR_RETURN(Regex regex, Regex::compile(config.pretokenizer_regex));

    WordCounterOptions wc;
    wc.regex = &regex;
    wc.special_tokens = config.special_tokens;
    wc.threads = config.threads > 0 ? config.threads : base::ThreadPool::default_thread_count();
    wc.max_input_bytes = config.max_input_bytes;
    wc.skip_invalid_utf8 = config.invalid_utf8 == "skip";
    wc.progress = config.progress;
    JENNY_ASSIGN_OR_RETURN(WordCounts counts, count_words(config.input, wc, env));
    if (counts.pieces == 0) {
        return base::Status::invalid_argument(
            fmt::format("the input ({} files, {} bytes) holds no text to train on",
                        counts.input_files, counts.input_bytes));
    }

    TrainReport report;
    report.input_files = counts.input_files;
    report.input_bytes = counts.input_bytes;
    report.skipped_bytes = counts.skipped_bytes;
    report.pieces = counts.pieces;
    report.unique_words = static_cast<int64_t>(counts.words.size());
    report.count_seconds = seconds_since(env, start_us);

    const uint64_t merge_start_us = env->now_micros();
    BpeMergeOptions mo;
    mo.max_tokens = config.vocab_size - static_cast<int64_t>(config.special_tokens.size());
    mo.min_frequency = config.min_frequency;
    mo.progress = config.progress;
    BpeMerges bpe = learn_bpe_merges(counts.words, mo, env);
    counts.words = {};
    report.merge_seconds = seconds_since(env, merge_start_us);

    std::vector<std::string> token_text;
    token_text.reserve(bpe.tokens.size());
    for (const std::string& t : bpe.tokens) token_text.push_back(bytes_to_byte_level(t));
    const std::set<std::string> learned(token_text.begin(), token_text.end());
    for (const std::string& s : config.special_tokens) {
        if (learned.count(s) != 0) {
            return base::Status::invalid_argument(fmt::format(
                "special_tokens: {:?} is also a learned token's byte-level text; choose a special "
                "token that cannot be a piece of text, e.g. <|name|>",
                s));
        }
    }

    JENNY_RETURN_IF_ERROR(env->create_dirs(config.out));
    report.tokenizer_json = config.out + "/tokenizer.json";
    report.tokenizer_config = config.out + "/tokenizer_config.json";
    JENNY_RETURN_IF_ERROR(
        env->write_file_atomic(report.tokenizer_json, tokenizer_json(config, bpe, token_text)));
    JENNY_RETURN_IF_ERROR(env->write_file_atomic(
        report.tokenizer_config,
        tokenizer_config_json(config, static_cast<int64_t>(bpe.tokens.size()))));

    report.vocab_size = static_cast<int64_t>(bpe.tokens.size() + config.special_tokens.size());
    report.merges = static_cast<int64_t>(bpe.merges.size());
    report.learned_tokens = static_cast<int64_t>(bpe.tokens.size()) - 256;
    report.total_seconds = seconds_since(env, start_us);
    return report;
}

}  // namespace jenny::tokenizer
