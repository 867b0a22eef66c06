#include "jenny/tokenizer/tokenize_command.h"

#include <nlohmann/json.hpp>

#include "jenny/base/thread_pool.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {
namespace {

using base::Status;
using json = nlohmann::json;

std::string format_ids(const Tokenizer& tok, const std::vector<TokenId>& ids,
                       const std::string& output, bool as_json) {
    if (output == "count") return std::to_string(ids.size());
    if (output == "pieces") {
        json pieces = json::array();
        for (TokenId id : ids) pieces.push_back(std::string(tok.token_text(id)));
        return pieces.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    if (as_json) return json(ids).dump();
    std::string out;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ' ';
        out += std::to_string(ids[i]);
    }
    return out;
}

}  // namespace

base::Result<std::string> run_tokenize(const TokenizeConfig& config, std::string_view input,
                                       base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tok, Tokenizer::load(config.tokenizer, env));
    EncodeOptions options;
    options.add_special = config.add_special;
    options.parse_special = config.parse_special;
    if (config.input_format == "text") {
        JENNY_ASSIGN_OR_RETURN(std::vector<TokenId> ids, tok->encode(input, options));
        return format_ids(*tok, ids, config.output, false) + "\n";
    }
    // jsonl: parse every line first (errors name the line), then encode in parallel.
    std::vector<std::string> texts;
    size_t line_no = 0, pos = 0;
    while (pos < input.size()) {
        size_t nl = input.find('\n', pos);
        if (nl == std::string_view::npos) nl = input.size();
        std::string_view line = input.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string()) {
            return Status::invalid_argument(fmt::format(
                "stdin line {}: expected a JSON object with a \"text\" string", line_no));
        }
        texts.push_back(j["text"].get<std::string>());
    }
    std::vector<std::string> lines(texts.size());
    std::vector<Status> errors(texts.size());
    base::ThreadPool pool(config.threads);
    pool.parallel_for(
        0, static_cast<int64_t>(texts.size()),
        [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                auto ids = tok->encode(texts[static_cast<size_t>(i)], options);
                if (!ids.ok()) {
                    errors[static_cast<size_t>(i)] = ids.status();
                    continue;
                }
                lines[static_cast<size_t>(i)] = format_ids(*tok, *ids, config.output, true);
            }
        },
        /*min_chunk=*/8);
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (!errors[i].ok()) return errors[i].with_context(fmt::format("document {}", i + 1));
        out += lines[i];
        out += '\n';
    }
    return out;
}

base::Result<std::string> run_detokenize(const DetokenizeConfig& config, std::string_view input,
                                         base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tok, Tokenizer::load(config.tokenizer, env));
    std::vector<TokenId> ids;
    std::string cleaned(input);
    for (char& c : cleaned) {
        if (c == '[' || c == ']' || c == ',') c = ' ';
    }
    size_t pos = 0;
    while (pos < cleaned.size()) {
        size_t b = cleaned.find_first_not_of(" \t\r\n", pos);
        if (b == std::string::npos) break;
        size_t e = cleaned.find_first_of(" \t\r\n", b);
        if (e == std::string::npos) e = cleaned.size();
        std::string word = cleaned.substr(b, e - b);
        char* end = nullptr;
        long v = std::strtol(word.c_str(), &end, 10);
        if (*end != '\0' || v < 0 || v >= tok->vocab_size()) {
            return Status::invalid_argument(fmt::format(
                "'{}' is not a token id of this tokenizer (0..{})", word, tok->vocab_size() - 1));
        }
        ids.push_back(static_cast<TokenId>(v));
        pos = e;
    }
    return tok->decode(ids, config.skip_special);
}

}  // namespace jenny::tokenizer
