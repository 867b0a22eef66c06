// One SFT line: parse and check it (parse_sft_example), then render and mask it
// (render_sft_example). docs/formats/sft.md is the contract.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>

#include "jenny/data/sft_dataset.h"

namespace jenny::data {
namespace {

using json = nlohmann::ordered_json;
using tokenizer::TokenId;

constexpr std::array<std::string_view, 6> kRoles = {"system",    "developer", "user",
                                                    "assistant", "tool",      "function"};

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    });
}

std::string_view json_type(const json& j) {
    if (j.is_object()) return "an object";
    if (j.is_array()) return "an array";
    if (j.is_string()) return "a string";
    if (j.is_boolean()) return "a boolean";
    if (j.is_number()) return "a number";
    return "null";
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag.
std::string parse_error_text(const char* what) {
    std::string s = what;
    size_t close = s.find("] ");
    if (!s.empty() && s[0] == '[' && close != std::string::npos) s = s.substr(close + 2);
    return s;
}

bool has_tool_calls(const json& m) {
    for (const char* key : {"tool_calls", "function_call"}) {
        auto it = m.find(key);
        if (it != m.end() && !it->is_null() && !(it->is_array() && it->empty())) return true;
    }
    return false;
}

// The pieces of ids [begin, end) are whitespace only.
bool whitespace_only(const tokenizer::Tokenizer& tok, std::span<const TokenId> ids) {
    for (TokenId id : ids) {
        if (!is_blank(tok.token_to_piece(id))) return false;
    }
    return true;
}

bool is_end_of_turn(const tokenizer::Tokenizer& tok, TokenId id) {
    const auto& sp = tok.special();
    return tok.token_kind(id) == tokenizer::TokenKind::kControl || id == sp.eos || id == sp.eot;
}

}  // namespace

std::string_view sft_issue_kind_name(SftIssueKind kind) {
    switch (kind) {
        case SftIssueKind::kBadJson:
            return "bad_json";
        case SftIssueKind::kBadFormat:
            return "bad_format";
        case SftIssueKind::kMissingRole:
            return "missing_role";
        case SftIssueKind::kUnknownRole:
            return "unknown_role";
        case SftIssueKind::kEmptyContent:
            return "empty_content";
        case SftIssueKind::kNoAssistant:
            return "no_assistant";
        case SftIssueKind::kBadWeight:
            return "bad_weight";
        case SftIssueKind::kNoTrainedTokens:
            return "no_trained_tokens";
        case SftIssueKind::kBadTools:
            return "bad_tools";
        case SftIssueKind::kTemplateError:
            return "template_error";
        case SftIssueKind::kTemplateUnsupported:
            return "template_unsupported";
        case SftIssueKind::kTooLong:
            return "too_long";
        case SftIssueKind::kDuplicate:
            return "duplicate";
        case SftIssueKind::kEmptyFile:
            return "empty_file";
    }
    return "unknown";
}

int64_t SftTokens::n_trained() const {
    int64_t n = 0;
    for (uint8_t m : mask) n += m;
    return n;
}

std::optional<SftExample> parse_sft_example(std::string_view line, int64_t line_no,
                                            std::vector<SftIssue>* issues, bool last_turn_only) {
    bool failed = false;
    auto error = [&](SftIssueKind kind, std::string message) {
        issues->push_back({line_no, kind, SftSeverity::kError, std::move(message)});
        failed = true;
    };
    json j;
    try {
        j = json::parse(line);
    } catch (const json::parse_error& e) {
        error(SftIssueKind::kBadJson, "not valid JSON: " + parse_error_text(e.what()));
        return std::nullopt;
    }
    if (!j.is_object()) {
        error(SftIssueKind::kBadJson, fmt::format("expected a JSON object, got {}", json_type(j)));
        return std::nullopt;
    }

    SftExample ex;
    json source;  // the messages before normalisation
    if (j.contains("messages")) {
        source = j["messages"];
        if (!source.is_array() || source.empty()) {
            error(SftIssueKind::kBadFormat,
                  fmt::format("\"messages\" must be a non-empty array, got {}",
                              source.is_array() ? "an empty array" : json_type(source)));
            return std::nullopt;
        }
    } else if (j.contains("prompt") || j.contains("completion")) {
        ex.prompt_completion = true;
        source = json::array();
        for (const char* key : {"prompt", "completion"}) {
            auto it = j.find(key);
            if (it == j.end()) {
                error(SftIssueKind::kBadFormat,
                      fmt::format("prompt/completion line without \"{}\"", key));
            } else if (!it->is_string()) {
                error(SftIssueKind::kBadFormat,
                      fmt::format("\"{}\" must be a string, got {}", key, json_type(*it)));
            } else if (is_blank(it->get_ref<const std::string&>())) {
                error(SftIssueKind::kEmptyContent, fmt::format("\"{}\" is empty", key));
            }
        }
        if (failed) return std::nullopt;
        source.push_back({{"role", "user"}, {"content", j["prompt"]}});
        source.push_back({{"role", "assistant"}, {"content", j["completion"]}});
    } else {
        error(SftIssueKind::kBadFormat,
              "expected \"messages\" (chat) or \"prompt\" and \"completion\"");
        return std::nullopt;
    }

    if (auto it = j.find("tools"); it != j.end() && !it->is_null()) {
        bool good = it->is_array() && std::all_of(it->begin(), it->end(),
                                                  [](const json& t) { return t.is_object(); });
        if (good) {
            ex.tools = *it;
        } else {
            error(SftIssueKind::kBadTools, "\"tools\" must be an array of objects");
        }
    }

    int64_t last_assistant = -1;
    for (size_t k = 0; k < source.size(); ++k) {
        const json& m = source[k];
        const std::string where = fmt::format("message {}", k + 1);
        if (!m.is_object()) {
            error(SftIssueKind::kBadFormat,
                  fmt::format("{} must be an object, got {}", where, json_type(m)));
            ex.train.push_back(0);
            continue;
        }
        std::string role;
        auto rit = m.find("role");
        if (rit == m.end() || !rit->is_string()) {
            error(SftIssueKind::kMissingRole, fmt::format("{} has no \"role\" string", where));
        } else {
            role = rit->get<std::string>();
            if (std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end()) {
                error(SftIssueKind::kUnknownRole,
                      fmt::format("{}: role \"{}\" is not one of system, developer, user, "
                                  "assistant, tool, function",
                                  where, role));
            }
        }
        const bool assistant = role == "assistant";
        if (assistant) last_assistant = static_cast<int64_t>(k);

        uint8_t weight = assistant ? 1 : 0;
        if (auto wit = m.find("weight"); wit != m.end()) {
            if (!assistant) {
                error(SftIssueKind::kBadWeight,
                      fmt::format("{}: \"weight\" is only allowed on assistant messages", where));
            } else if (wit->is_number() && (*wit == 0 || *wit == 1)) {
                weight = *wit == 1 ? 1 : 0;
            } else {
                error(SftIssueKind::kBadWeight,
                      fmt::format("{}: \"weight\" must be 0 or 1, got {}", where, wit->dump()));
            }
        }
        ex.train.push_back(weight);

        auto cit = m.find("content");
        const bool tool_call = assistant && has_tool_calls(m);
        if (cit == m.end() || cit->is_null()) {
            if (!tool_call && !role.empty())
                error(SftIssueKind::kEmptyContent,
                      fmt::format("{} ({}) has no content", where, role));
        } else if (!cit->is_string()) {
            error(SftIssueKind::kBadFormat,
                  fmt::format("{}: \"content\" must be a string, got {}", where, json_type(*cit)));
        } else if (!tool_call && is_blank(cit->get_ref<const std::string&>())) {
            error(SftIssueKind::kEmptyContent,
                  fmt::format("{} ({}) has empty content", where, role));
        }

        json copy = json::object();
        for (const auto& [key, value] : m.items())
            if (key != "weight") copy[key] = value;
        ex.messages.push_back(std::move(copy));
    }

    if (last_assistant < 0) {
        error(SftIssueKind::kNoAssistant, "no assistant message: nothing to train on");
    } else {
        bool any = false;
        if (last_turn_only) {
            any = ex.train[last_assistant] != 0;
        } else {
            any = std::any_of(ex.train.begin(), ex.train.end(), [](uint8_t w) { return w != 0; });
        }
        if (!any) {
            error(SftIssueKind::kNoTrainedTokens,
                  last_turn_only ? "the last assistant message has weight 0 (--last-turn-only)"
                                 : "every assistant message has weight 0");
        }
    }
    if (failed) return std::nullopt;
    return ex;
}

base::Result<SftTokens> render_sft_example(const SftExample& example,
                                           const tokenizer::Tokenizer& tok,
                                           const tokenizer::ChatTemplate& chat_template,
                                           const SftRenderOptions& options) {
    const size_t n = example.messages.size();
    if (n == 0 || example.train.size() != n)
        return base::Status::invalid_argument("SFT example: messages and train flags differ");
    tokenizer::ChatRenderOptions ro;
    ro.tools = example.tools;
    ro.extra = options.extra;
    tokenizer::EncodeOptions eo;
    eo.add_special = false;  // the template writes BOS itself when the model wants one
    eo.parse_special = true;
    auto render_tokens = [&](size_t count,
                             bool generation_prompt) -> base::Result<std::vector<TokenId>> {
        json prefix = json::array();
        for (size_t k = 0; k < count; ++k) prefix.push_back(example.messages[k]);
        ro.add_generation_prompt = generation_prompt;
        JENNY_ASSIGN_OR_RETURN(std::string text, chat_template.render(prefix, ro));
        return tok.encode(text, eo);
    };

    SftTokens out;
    JENNY_ASSIGN_OR_RETURN(out.tokens, render_tokens(n, false));
    out.mask.assign(out.tokens.size(), 0);

    std::vector<size_t> turns;
    for (size_t i = 0; i < n; ++i) {
        const json& m = example.messages[i];
        if (!m.is_object() || !m.contains("role") || m["role"] != "assistant") continue;
        if (options.last_turn_only) turns.clear();
        turns.push_back(i);
    }
    for (size_t i : turns) {
        if (!example.train[i]) continue;
        if (i == 0) {
            return base::Status::unsupported(
                "message 1 is the assistant's: a conversation must start with a system or user "
                "message");
        }
        JENNY_ASSIGN_OR_RETURN(std::vector<TokenId> before, render_tokens(i, true));
        std::vector<TokenId> with_turn;
        if (i + 1 == n) {
            with_turn = out.tokens;
        } else {
            JENNY_ASSIGN_OR_RETURN(with_turn, render_tokens(i + 1, false));
        }
        const size_t begin = before.size();
        if (begin > with_turn.size() ||
            !std::equal(before.begin(), before.end(), with_turn.begin())) {
            return base::Status::unsupported(fmt::format(
                "message {}: the template's rendering of the conversation up to the assistant "
                "header (add_generation_prompt) is not a prefix of its rendering with the "
                "message, so the assistant tokens cannot be told apart",
                i + 1));
        }
        size_t end = with_turn.size();
        for (size_t k = with_turn.size(); k > begin; --k) {
            if (is_end_of_turn(tok, with_turn[k - 1])) {
                std::span<const TokenId> rest(with_turn.data() + k, with_turn.size() - k);
                if (whitespace_only(tok, rest)) end = k;
                break;
            }
        }
        if (end > out.tokens.size() ||
            !std::equal(with_turn.begin(), with_turn.begin() + end, out.tokens.begin())) {
            return base::Status::unsupported(fmt::format(
                "message {}: the template renders this assistant message differently once later "
                "messages follow (e.g. it drops earlier reasoning), so the mask of the whole "
                "conversation cannot be derived turn by turn",
                i + 1));
        }
        if (end == begin) continue;
        std::fill(out.mask.begin() + begin, out.mask.begin() + end, 1);
        out.spans.emplace_back(static_cast<int64_t>(begin), static_cast<int64_t>(end));
    }
    return out;
}

}  // namespace jenny::data
