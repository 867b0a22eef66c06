// Hugging Face tokenizer.json: added tokens, normalizer, pre-tokenizer, BPE model,
// post-processor and decoder, reproducing the tokenizers library's results id for id.
#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/hf_pipeline.h"
#include "tokenizer/loaders.h"

namespace jenny::tokenizer {
namespace {

using base::Status;
using json = nlohmann::json;

// One item of a TemplateProcessing "single" template.
struct TemplateItem {
    std::vector<TokenId> ids;  // special tokens to insert
    bool sequence = false;     // the encoded text goes here
};

// The two big members of a tokenizer.json, read straight from simdjson's DOM: building them
// as nlohmann objects (a std::map node per token) cost most of the load time.
struct ModelTables {
    std::vector<std::pair<std::string, int64_t>> vocab;            // file order
    std::vector<std::string> merges;                               // "a b" strings
    std::vector<std::pair<std::string, std::string>> merge_pairs;  // [a, b] arrays
    bool has_vocab = false;
    bool vocab_is_object = false;
    std::string bad;  // the first malformed vocab or merge entry, described
};

class HfTokenizer final : public Tokenizer {
public:
    static base::Result<std::unique_ptr<Tokenizer>> create(const json& j, const json& config,
                                                           const ModelTables& tables);

protected:
    void encode_valid(std::string_view text, const EncodeOptions& options,
                      std::vector<TokenId>* out) const override;

private:
    Status parse_model(const json& m, const ModelTables& tables);
    Status parse_added(const json& added);
    Status parse_post_processor(const json& p);
    Status parse_decoder(const json& d);
    void encode_plain(std::string_view text, bool first, bool parse_special,
                      std::vector<TokenId>* out) const;

    Normalizer normalizer_;
    PreTokenizer pre_tokenizer_;
    BpeModel model_;
    AddedTokens added_;
    std::vector<TemplateItem> template_;  // empty: no special tokens added
};

std::string type_of(const json& j) {
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) return "";
    return j["type"].get<std::string>();
}

// bos_token etc. in tokenizer_config.json: a string or {"content": ...}.
std::optional<std::string> config_token(const json& config, const char* key) {
    if (!config.is_object() || !config.contains(key)) return std::nullopt;
    const json& v = config[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string()) {
        return v["content"].get<std::string>();
    }
    return std::nullopt;
}

Status HfTokenizer::parse_model(const json& m, const ModelTables& tables) {
    const std::string t = type_of(m);
    if (t != "BPE" && !(t.empty() && (!tables.merges.empty() || !tables.merge_pairs.empty()))) {
        return Status::unsupported(
            fmt::format("model type '{}' (jenny reads BPE tokenizer.json)", t));
    }
    if (m.contains("dropout") && !m["dropout"].is_null() && m["dropout"].get<double>() != 0.0) {
        return Status::unsupported("BPE dropout (encoding would be random)");
    }
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        if (m.contains(key) && m[key].is_string() && !m[key].get<std::string>().empty()) {
            return Status::unsupported(fmt::format("BPE {} '{}'", key, m[key].get<std::string>()));
        }
    }
    if (!tables.has_vocab || !tables.vocab_is_object) {
        return Status::invalid_argument("model.vocab is missing or not an object");
    }
    if (!tables.bad.empty()) return Status::invalid_argument(tables.bad);
    const bool byte_level = pre_tokenizer_.byte_level();
    // The vocabulary defines ids; added tokens may extend it past the model's size.
    size_t size = 0;
    for (const auto& [piece, id] : tables.vocab) {
        if (id < 0 || id > 10'000'000) {
            return Status::invalid_argument(fmt::format("model.vocab[{:?}]: bad id {}", piece, id));
        }
        size = std::max(size, static_cast<size_t>(id) + 1);
    }
    pieces_.assign(size, "");
    kinds_.assign(size, TokenKind::kUnused);
    PieceMap model_vocab;
    model_vocab.reserve(size);
    auto to_model = [byte_level](const std::string& piece) {
        std::string raw;
        if (byte_level && byte_level_to_bytes(piece, &raw)) return raw;
        return piece;
    };
    for (const auto& [piece, id] : tables.vocab) {
        auto i = static_cast<size_t>(id);
        pieces_[i] = piece;
        kinds_[i] = TokenKind::kNormal;
        model_vocab.emplace(to_model(piece), static_cast<TokenId>(i));
    }
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(tables.merges.size() + tables.merge_pairs.size());
    for (const std::string& merge : tables.merges) {
        size_t sp = merge.find(' ', 1);
        if (sp == std::string::npos) {
            return Status::invalid_argument(fmt::format("merge {:?} has no space", merge));
        }
        merges.emplace_back(to_model(merge.substr(0, sp)), to_model(merge.substr(sp + 1)));
    }
    for (const auto& [a, b] : tables.merge_pairs) merges.emplace_back(to_model(a), to_model(b));
    BpeOptions opt;
    opt.byte_level = byte_level;
    opt.byte_fallback = m.value("byte_fallback", false);
    opt.fuse_unk = m.value("fuse_unk", false);
    opt.ignore_merges = m.value("ignore_merges", false);
    if (m.contains("unk_token") && m["unk_token"].is_string()) {
        auto it = model_vocab.find(to_model(m["unk_token"].get<std::string>()));
        if (it == model_vocab.end()) {
            return Status::invalid_argument(
                fmt::format("unk_token {} is not in the vocabulary", m["unk_token"].dump()));
        }
        opt.unk = it->second;
        kinds_[static_cast<size_t>(it->second)] = TokenKind::kUnknown;
        special_.unk = it->second;
    }
    if (opt.byte_fallback) {
        for (int b = 0; b < 256; ++b) {
            if (auto id = find_piece(model_vocab, fmt::format("<0x{:02X}>", b))) {
                kinds_[static_cast<size_t>(*id)] = TokenKind::kByte;
            }
        }
    }
    JENNY_ASSIGN_OR_RETURN(model_, BpeModel::build(std::move(model_vocab), merges, opt));
    return Status();
}

Status HfTokenizer::parse_added(const json& added) {
    std::vector<AddedToken> tokens;
    for (const json& a : added) {
        AddedToken t;
        if (!a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
            !a["content"].is_string()) {
            return Status::invalid_argument(
                fmt::format("added_tokens entry {} needs id and content", a.dump()));
        }
        t.id = a["id"].get<TokenId>();
        if (t.id < 0 || t.id > 10'000'000) {
            return Status::invalid_argument(fmt::format("added token id {} out of range", t.id));
        }
        t.content = a["content"].get<std::string>();
        t.special = a.value("special", false);
        t.lstrip = a.value("lstrip", false);
        t.rstrip = a.value("rstrip", false);
        t.single_word = a.value("single_word", false);
        t.normalized = a.value("normalized", !t.special);
        auto i = static_cast<size_t>(t.id);
        if (i >= pieces_.size()) {
            pieces_.resize(i + 1);
            kinds_.resize(i + 1, TokenKind::kUnused);
        }
        pieces_[i] = t.content;
        kinds_[i] = t.special ? TokenKind::kControl : TokenKind::kUserDefined;
        tokens.push_back(std::move(t));
    }
    added_ = AddedTokens(std::move(tokens));
    return Status();
}

Status HfTokenizer::parse_post_processor(const json& p) {
    const std::string t = type_of(p);
    if (p.is_null() || t == "ByteLevel") return Status();  // ByteLevel only moves offsets
    if (t == "Sequence") {
        for (const json& sub : p.value("processors", json::array())) {
            JENNY_RETURN_IF_ERROR(parse_post_processor(sub));
        }
        return Status();
    }
    auto special_id = [&](const std::string& name) -> base::Result<TokenId> {
        if (auto id = token_id(name)) return *id;
        return Status::invalid_argument(
            fmt::format("post_processor token {:?} is not in the vocabulary", name));
    };
    if (t == "TemplateProcessing") {
        const json& specials = p.value("special_tokens", json::object());
        for (const json& item : p.value("single", json::array())) {
            TemplateItem ti;
            if (item.contains("Sequence")) {
                ti.sequence = true;
            } else if (item.contains("SpecialToken")) {
                std::string name = item["SpecialToken"].value("id", "");
                if (specials.contains(name) && specials[name].contains("ids")) {
                    for (const json& id : specials[name]["ids"])
                        ti.ids.push_back(id.get<TokenId>());
                } else {
                    JENNY_ASSIGN_OR_RETURN(TokenId id, special_id(name));
                    ti.ids.push_back(id);
                }
            } else {
                return Status::unsupported(fmt::format("TemplateProcessing item {}", item.dump()));
            }
            template_.push_back(std::move(ti));
        }
        return Status();
    }
    if (t == "BertProcessing" || t == "RobertaProcessing") {
        const json& cls = p.value("cls", json::array());
        const json& sep = p.value("sep", json::array());
        if (cls.size() != 2 || sep.size() != 2)
            return Status::invalid_argument("cls/sep must be [token, id]");
        template_.push_back({{cls[1].get<TokenId>()}, false});
        template_.push_back({{}, true});
        template_.push_back({{sep[1].get<TokenId>()}, false});
        return Status();
    }
    return Status::unsupported(fmt::format("post_processor type '{}'", t));
}

// Computes what each token decodes to, running the decoder chain on the token alone; the
// only cross-token effect the supported decoders have is dropping the text's first space.
Status HfTokenizer::parse_decoder(const json& d) {
    std::vector<const json*> chain;
    if (type_of(d) == "Sequence") {
        if (!d.contains("decoders") || !d["decoders"].is_array()) {
            return Status::invalid_argument("decoder Sequence without a decoders list");
        }
        for (const json& sub : d["decoders"]) chain.push_back(&sub);
    } else if (!d.is_null()) {
        chain.push_back(&d);
    }
    decoded_ = pieces_;
    bool fused = false;
    for (const json* sp : chain) {
        const json& s = *sp;
        const std::string t = type_of(s);
        if (t == "ByteLevel") {
            for (std::string& piece : decoded_) {
                std::string raw;
                if (byte_level_to_bytes(piece, &raw)) piece = std::move(raw);
            }
        } else if (t == "Metaspace") {
            std::string rep = s.value("replacement", "\u2581");
            std::string scheme = s.value("prepend_scheme", "");
            if (scheme.empty()) scheme = s.value("add_prefix_space", true) ? "always" : "never";
            for (std::string& piece : decoded_) {
                std::string out;
                for (size_t pos = 0; pos < piece.size();) {
                    if (piece.compare(pos, rep.size(), rep) == 0) {
                        out += ' ';
                        pos += rep.size();
                    } else {
                        out += piece[pos++];
                    }
                }
                piece = std::move(out);
            }
            if (scheme != "never") strip_leading_space_ = true;
        } else if (t == "Replace") {
            JENNY_ASSIGN_OR_RETURN(auto re, parse_pattern(s.value("pattern", json())));
            std::string content = s.value("content", "");
            for (std::string& piece : decoded_) {
                std::vector<std::pair<size_t, size_t>> m;
                re->find_all(piece, &m);
                std::string out;
                size_t pos = 0;
                for (auto [b, e] : m) {
                    out.append(piece, pos, b - pos);
                    out += content;
                    pos = e;
                }
                out.append(piece, pos);
                piece = std::move(out);
            }
        } else if (t == "ByteFallback") {
            auto hex = [](char c) {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                return -1;
            };
            for (size_t i = 0; i < decoded_.size(); ++i) {
                const std::string& p = pieces_[i];
                if (p.size() == 6 && p.compare(0, 3, "<0x") == 0 && p[5] == '>' && hex(p[3]) >= 0 &&
                    hex(p[4]) >= 0) {
                    decoded_[i] = std::string(1, static_cast<char>(hex(p[3]) * 16 + hex(p[4])));
                }
            }
        } else if (t == "Fuse") {
            fused = true;
        } else if (t == "Strip") {
            if (!fused || s.value("content", "") != " " || s.value("start", 0) > 1 ||
                s.value("stop", 0) != 0) {
                return Status::unsupported(fmt::format("decoder {}", s.dump()));
            }
            if (s.value("start", 0) == 1) strip_leading_space_ = true;
        } else {
            return Status::unsupported(fmt::format("decoder type '{}'", t.empty() ? s.dump() : t));
        }
    }
    return Status();
}

base::Result<std::unique_ptr<Tokenizer>> HfTokenizer::create(const json& j, const json& config,
                                                             const ModelTables& tables) {
    if (!j.is_object() || !j.contains("model")) {
        return Status::invalid_argument("not a tokenizer.json: no \"model\" object");
    }
    auto tok = std::unique_ptr<HfTokenizer>(new HfTokenizer());
    tok->type_name_ = "hf-bpe";
    JENNY_ASSIGN_OR_RETURN(tok->normalizer_, Normalizer::parse(j.value("normalizer", json())));
    JENNY_ASSIGN_OR_RETURN(tok->pre_tokenizer_,
                           PreTokenizer::parse(j.value("pre_tokenizer", json())));
    JENNY_RETURN_IF_ERROR(tok->parse_model(j["model"], tables).with_context("model"));
    // A model directory's tokenizer_config.json may add tokens that tokenizer.json lacks
    // (InternLM2's <|im_start|>); transformers adds them, and so do we.
    json added = j.value("added_tokens", json::array());
    if (config.is_object() && config.contains("added_tokens_decoder") &&
        config["added_tokens_decoder"].is_object()) {
        std::set<int64_t> have;
        for (const json& a : added) {
            if (a.contains("id") && a["id"].is_number_integer())
                have.insert(a["id"].get<int64_t>());
        }
        for (const auto& [key, value] : config["added_tokens_decoder"].items()) {
            char* end = nullptr;
            long long id = std::strtoll(key.c_str(), &end, 10);
            if (*end != '\0' || !value.is_object() || have.count(id)) continue;
            json entry = value;
            entry["id"] = id;
            added.push_back(std::move(entry));
        }
    }
    JENNY_RETURN_IF_ERROR(tok->parse_added(added));
    tok->build_piece_index();
    JENNY_RETURN_IF_ERROR(tok->parse_post_processor(j.value("post_processor", json())));
    JENNY_RETURN_IF_ERROR(tok->parse_decoder(j.value("decoder", json())));
    if (j.contains("truncation") && !j["truncation"].is_null()) {
        return Status::unsupported("truncation in tokenizer.json (jenny never truncates silently)");
    }
    for (const TemplateItem& ti : tok->template_) {
        if (ti.sequence) break;
        if (!ti.ids.empty()) {
            tok->special_.bos = ti.ids.front();
            tok->special_.add_bos = true;
        }
    }
    if (!tok->template_.empty() && !tok->template_.back().sequence &&
        !tok->template_.back().ids.empty()) {
        tok->special_.add_eos = true;
        tok->special_.eos = tok->template_.back().ids.back();
    }
    if (auto s = config_token(config, "bos_token")) tok->special_.bos = tok->token_id(*s);
    if (auto s = config_token(config, "eos_token")) tok->special_.eos = tok->token_id(*s);
    if (auto s = config_token(config, "pad_token")) tok->special_.pad = tok->token_id(*s);
    if (auto s = config_token(config, "unk_token")) tok->special_.unk = tok->token_id(*s);
    return std::unique_ptr<Tokenizer>(std::move(tok));
}

void HfTokenizer::encode_plain(std::string_view text, bool first, bool parse_special,
                               std::vector<TokenId>* out) const {
    std::string normalized;
    std::string_view norm = text;
    if (!normalizer_.empty()) {
        normalized = normalizer_.apply(text);
        norm = normalized;
    }
    std::vector<Segment> segs;
    added_.split(norm, /*normalized=*/true, parse_special, &segs);
    for (const Segment& s : segs) {
        if (s.id >= 0) {
            out->push_back(s.id);
            continue;
        }
        Words words;
        pre_tokenizer_.apply(s.text, first && s.text.data() == norm.data(), &words);
        for (std::string_view w : words.views) model_.encode_word(w, out);
    }
}

void HfTokenizer::encode_valid(std::string_view text, const EncodeOptions& options,
                               std::vector<TokenId>* out) const {
    const size_t start = out->size();
    std::vector<Segment> segs;
    added_.split(text, /*normalized=*/false, options.parse_special, &segs);
    for (const Segment& s : segs) {
        if (s.id >= 0) {
            out->push_back(s.id);
        } else {
            encode_plain(s.text, s.text.data() == text.data(), options.parse_special, out);
        }
    }
    if (options.add_special && !template_.empty()) {
        std::vector<TokenId> body(out->begin() + static_cast<std::ptrdiff_t>(start), out->end());
        out->resize(start);
        for (const TemplateItem& ti : template_) {
            if (ti.sequence)
                out->insert(out->end(), body.begin(), body.end());
            else
                out->insert(out->end(), ti.ids.begin(), ti.ids.end());
        }
    }
}

// A value of the wrong JSON type deep in the file (a string where a number belongs) makes
// nlohmann throw; it becomes an error naming what was expected, never a crash.
base::Result<std::unique_ptr<Tokenizer>> create_guarded(const json& j, const json& config,
                                                        const ModelTables& tables) {
    try {
        return HfTokenizer::create(j, config, tables);
    } catch (const json::exception& e) {
        return Status::invalid_argument(fmt::format("malformed tokenizer.json: {}", e.what()));
    }
}

// simdjson DOM -> nlohmann, except model.vocab and model.merges, which go to `tables`.
constexpr int kMaxJsonDepth = 128;

Status convert(simdjson::dom::element e, json* out, ModelTables* tables, int depth, bool in_model) {
    if (depth > kMaxJsonDepth) return Status::invalid_argument("JSON nested too deeply");
    using simdjson::dom::element_type;
    switch (e.type()) {
        case element_type::OBJECT: {
            *out = json::object();
            simdjson::dom::object obj;
            if (e.get_object().get(obj)) return Status::invalid_argument("bad JSON object");
            for (simdjson::dom::key_value_pair field : obj) {
                std::string key(field.key);
                if (in_model && key == "vocab") {
                    tables->has_vocab = true;
                    simdjson::dom::object vocab;
                    if (field.value.get_object().get(vocab)) continue;  // reported as not an object
                    tables->vocab_is_object = true;
                    tables->vocab.reserve(vocab.size());
                    for (simdjson::dom::key_value_pair kv : vocab) {
                        int64_t id = 0;
                        if (kv.value.get_int64().get(id) && tables->bad.empty()) {
                            tables->bad = fmt::format("model.vocab[{:?}]: the id is not an integer",
                                                      std::string(kv.key));
                        }
                        tables->vocab.emplace_back(std::string(kv.key), id);
                    }
                    continue;
                }
                if (in_model && key == "merges") {
                    simdjson::dom::array merges;
                    if (field.value.get_array().get(merges)) {
                        if (tables->bad.empty()) tables->bad = "model.merges is not a list";
                        continue;
                    }
                    for (simdjson::dom::element m : merges) {
                        std::string_view str;
                        simdjson::dom::array pair;
                        std::string_view a, b;
                        if (!m.get_string().get(str)) {
                            tables->merges.emplace_back(str);
                        } else if (!m.get_array().get(pair) && pair.size() == 2 &&
                                   !pair.at(0).get_string().get(a) &&
                                   !pair.at(1).get_string().get(b)) {
                            tables->merge_pairs.emplace_back(std::string(a), std::string(b));
                        } else if (tables->bad.empty()) {
                            tables->bad = fmt::format("merge {} is neither \"a b\" nor [a, b]",
                                                      simdjson::minify(m));
                        }
                    }
                    continue;
                }
                json child;
                JENNY_RETURN_IF_ERROR(
                    convert(field.value, &child, tables, depth + 1, depth == 0 && key == "model"));
                (*out)[key] = std::move(child);
            }
            return Status();
        }
        case element_type::ARRAY: {
            *out = json::array();
            simdjson::dom::array arr;
            if (e.get_array().get(arr)) return Status::invalid_argument("bad JSON array");
            for (simdjson::dom::element item : arr) {
                json child;
                JENNY_RETURN_IF_ERROR(convert(item, &child, tables, depth + 1, false));
                out->push_back(std::move(child));
            }
            return Status();
        }
        case element_type::STRING:
            *out = std::string(e.get_string().value_unsafe());
            return Status();
        case element_type::INT64:
            *out = e.get_int64().value_unsafe();
            return Status();
        case element_type::UINT64:
            *out = e.get_uint64().value_unsafe();
            return Status();
        case element_type::DOUBLE:
            *out = e.get_double().value_unsafe();
            return Status();
        case element_type::BOOL:
            *out = e.get_bool().value_unsafe();
            return Status();
        case element_type::NULL_VALUE:
            *out = nullptr;
            return Status();
    }
    return Status::invalid_argument("unknown JSON value");
}

base::Result<std::unique_ptr<Tokenizer>> load_document(std::string_view text,
                                                       const std::string& name,
                                                       const json& config) {
    simdjson::dom::parser parser;
    simdjson::padded_string padded(text);
    simdjson::dom::element root;
    if (auto err = parser.parse(padded).get(root)) {
        return Status::invalid_argument(
            fmt::format("{}: not valid JSON (truncated or corrupt tokenizer.json?): {}", name,
                        simdjson::error_message(err)));
    }
    json j;
    ModelTables tables;
    Status s = convert(root, &j, &tables, 0, false);
    if (!s.ok()) return s.with_context(name);
    auto r = create_guarded(j, config, tables);
    if (!r.ok()) return r.status().with_context(name);
    return r;
}

}  // namespace

base::Result<std::unique_ptr<Tokenizer>> load_hf_json(std::string_view text,
                                                      const std::string& name) {
    return load_document(text, name, json());
}

base::Result<std::unique_ptr<Tokenizer>> load_hf_json_file(const std::string& path, base::Env* env,
                                                           bool with_config) {
    JENNY_ASSIGN_OR_RETURN(std::string text, env->read_file(path));
    // tokenizer_config.json beside it names bos/eos/pad.
    json config;
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    if (auto c = env->read_file(dir + "/tokenizer_config.json"); with_config && c.ok()) {
        config = json::parse(*c, nullptr, false);
        if (config.is_discarded()) config = json();
    }
    return load_document(text, path, config);
}

}  // namespace jenny::tokenizer
