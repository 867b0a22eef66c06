// GGUF vocabularies (tokenizer.ggml.*), encoded as llama.cpp's llama-vocab.cpp does: token
// attributes from token_type plus llama.cpp's by-name fix-ups, special/user-defined tokens cut
// out of the text first (tokenizer_st_partition: longest token first, every occurrence), then
// SPM ("llama"), byte-level BPE with the pre-tokenizer named by tokenizer.ggml.pre ("gpt2") or
// WordPiece ("bert") on the pieces between them.
#include <algorithm>
#include <cctype>

#include "jenny/checkpoint/gguf.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/llama_cpp_pre.h"
#include "tokenizer/loaders.h"
#include "tokenizer/spm_model.h"
#include "tokenizer/unicode.h"
#include "tokenizer/wpm_model.h"

namespace jenny::tokenizer {
namespace {

using base::Status;
using checkpoint::GgufFile;

// llama.cpp's token attributes (bit flags).
enum Attr : uint32_t {
    kAttrUndefined = 0,
    kAttrUnknown = 1 << 0,
    kAttrUnused = 1 << 1,
    kAttrNormal = 1 << 2,
    kAttrControl = 1 << 3,
    kAttrUserDefined = 1 << 4,
    kAttrByte = 1 << 5,
    kAttrLstrip = 1 << 7,
    kAttrRstrip = 1 << 8,
};

enum class VocabType { kSpm, kBpe, kWpm };

class GgufTokenizer final : public Tokenizer {
public:
    static base::Result<std::unique_ptr<Tokenizer>> create(const GgufFile& f);

protected:
    void encode_valid(std::string_view text, const EncodeOptions& options,
                      std::vector<TokenId>* out) const override;

private:
    struct Fragment {
        size_t begin, len;
        TokenId id;  // >= 0: a special token
    };
    void partition(std::string_view text, bool parse_special, std::vector<Fragment>* frags) const;
    Status load_special_ids(const GgufFile& f);
    void fix_attributes(const GgufFile& f);
    void fill_decoded();

    VocabType type_ = VocabType::kSpm;
    std::vector<uint32_t> attrs_;
    std::vector<TokenId> partition_order_;  // special-like tokens, longest text first
    bool add_space_prefix_ = true;
    bool add_bos_ = false, add_eos_ = false, add_sep_ = false;
    std::optional<TokenId> sep_;
    SpmModel spm_;
    BpeModel bpe_;
    LlamaCppSplitter splitter_;
    WpmModel wpm_;
};

base::Result<bool> optional_bool(const GgufFile& f, std::string_view key, bool fallback) {
    if (!f.has(key)) return fallback;
    return f.get_bool(key);
}

Status GgufTokenizer::load_special_ids(const GgufFile& f) {
    std::optional<TokenId> bos, eos, unk, pad, eot;
    const auto n = static_cast<TokenId>(pieces_.size());
    switch (type_) {
        case VocabType::kSpm:
            bos = 1, eos = 2, unk = 0;
            break;
        case VocabType::kWpm:
            bos = 101, unk = 100, sep_ = 102, pad = 0;
            break;
        case VocabType::kBpe:
            bos = 11, eos = 11;
            break;
    }
    struct Key {
        const char* name;
        std::optional<TokenId>* id;
    };
    const Key keys[] = {
        {"tokenizer.ggml.bos_token_id", &bos},        {"tokenizer.ggml.eos_token_id", &eos},
        {"tokenizer.ggml.eot_token_id", &eot},        {"tokenizer.ggml.unknown_token_id", &unk},
        {"tokenizer.ggml.seperator_token_id", &sep_}, {"tokenizer.ggml.padding_token_id", &pad}};
    for (const Key& k : keys) {
        if (*k.id && **k.id >= n) k.id->reset();  // a default out of range is disabled
        if (!f.has(k.name)) continue;
        JENNY_ASSIGN_OR_RETURN(uint32_t v, f.get_u32(k.name));
        if (v < static_cast<uint32_t>(n)) *k.id = static_cast<TokenId>(v);  // else the default
    }
    special_.bos = bos;
    special_.eos = eos;
    special_.unk = unk;
    special_.pad = pad;
    special_.eot = eot;
    return Status();
}

// llama.cpp's by-name corrections: end-of-turn / FIM tokens become control tokens, gpt-oss
// markers become user-defined, Phi-3's special tokens swallow the whitespace after them.
void GgufTokenizer::fix_attributes(const GgufFile& f) {
    static const char* const kEot[] = {
        "<|eot_id|>",        "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
        "<|end_of_text|>",   "<EOT>",      "_<EOT>",  "[EOT]",         "<｜end▁of▁sentence｜>",
        "<end_of_utterance>"};
    static const char* const kFim[][8] = {
        {"<|eom_id|>"},
        {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
         "<|code_prefix|>", "<|prefix|>"},
        {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
         "<|code_suffix|>", "<|suffix|>"},
        {"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
         "<|code_middle|>", "<|middle|>"},
        {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"},
        {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"},
        {"<|file_sep|>"},
    };
    static const char* const kEog[] = {"<|eot_id|>",
                                       "<|im_end|>",
                                       "<|end|>",
                                       "<|return|>",
                                       "<|call|>",
                                       "<|flush|>",
                                       "<|calls|>",
                                       "<end_of_turn>",
                                       "<|endoftext|>",
                                       "</s>",
                                       "<|eom_id|>",
                                       "<EOT>",
                                       "_<EOT>",
                                       "[EOT]",
                                       "[EOS]",
                                       "<|end_of_text|>",
                                       "<end_of_utterance>",
                                       "<eos>",
                                       "<turn|>",
                                       "<|tool_response>",
                                       "<｜end▁of▁sentence｜>",
                                       "[e~["};
    auto find_all = [&](const char* text, auto&& fn) {
        for (size_t i = 0; i < pieces_.size(); ++i) {
            if (pieces_[i] == text) fn(i);
        }
    };
    // llama.cpp scans its text -> id map (one id per distinct text, the last one).
    auto last_id = [&](const char* text) -> std::optional<size_t> {
        auto id = token_id(text);
        if (!id) return std::nullopt;
        std::optional<size_t> last;
        find_all(text, [&](size_t i) { last = i; });
        return last;
    };
    if (!special_.eot) {
        for (const char* t : kEot) {
            if (auto i = last_id(t)) {
                special_.eot = static_cast<TokenId>(*i);
                attrs_[*i] |= kAttrControl;
                break;
            }
        }
    } else {
        (void)0;
    }
    for (const auto& group : kFim) {
        for (const char* t : group) {
            if (t == nullptr) break;
            if (auto i = last_id(t)) {
                attrs_[*i] |= kAttrControl;
                break;
            }
        }
    }
    for (const char* t : kEog) {
        if (auto i = last_id(t)) attrs_[*i] |= kAttrControl;
    }
    for (const char* t : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}) {
        if (auto i = last_id(t)) attrs_[*i] = kAttrUserDefined;
    }
    std::string name;
    if (auto v = f.get_string("general.name"); v.ok()) name = std::string(*v);
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
        for (size_t i = 0; i < attrs_.size(); ++i) {
            if (attrs_[i] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) {
                attrs_[i] |= kAttrRstrip;
            }
        }
        if (auto i = last_id("</s>")) attrs_[*i] |= kAttrRstrip;
        for (const char* t : {"<unk>", "<s>", "<|endoftext|>"}) {
            if (auto i = last_id(t)) attrs_[*i] &= ~static_cast<uint32_t>(kAttrRstrip);
        }
    }
}

// token_to_piece with special=true, as llama.cpp caches it.
void GgufTokenizer::fill_decoded() {
    decoded_.assign(pieces_.size(), "");
    kinds_.assign(pieces_.size(), TokenKind::kUnused);
    for (size_t i = 0; i < pieces_.size(); ++i) {
        const uint32_t a = attrs_[i];
        const std::string& text = pieces_[i];
        std::string& d = decoded_[i];
        if (a & kAttrControl) {
            kinds_[i] = TokenKind::kControl;
        } else if (a & kAttrUserDefined) {
            kinds_[i] = TokenKind::kUserDefined;
        } else if (a & kAttrUnknown) {
            kinds_[i] = TokenKind::kUnknown;
        } else if (a & kAttrNormal) {
            kinds_[i] = TokenKind::kNormal;
        } else if (a & kAttrByte) {
            kinds_[i] = TokenKind::kByte;
        }
        if (a & (kAttrUnknown | kAttrControl | kAttrUserDefined)) {
            d = text;
        } else if (a & kAttrNormal) {
            if (type_ == VocabType::kBpe) {
                // llama_decode_text: GPT-2 alphabet back to bytes.
                for (size_t pos = 0; pos < text.size();) {
                    const size_t start = pos;
                    const uint32_t cp = utf8_next(text, &pos);
                    const int b = unicode_to_byte(cp);
                    if (b >= 0) {
                        d += static_cast<char>(b);
                    } else {
                        d += "[UNK_BYTE_0x";
                        for (size_t k = start; k < pos; ++k) {
                            d += fmt::format("{:02x}", static_cast<unsigned char>(text[k]));
                        }
                        d += text + "]";
                    }
                }
            } else {
                for (size_t pos = 0; pos < text.size();) {
                    if (text.compare(pos, 3, "\u2581") == 0) {
                        d += ' ';
                        pos += 3;
                    } else {
                        d += text[pos++];
                    }
                }
            }
        } else if ((a & kAttrByte) && text.size() >= 5) {
            d = std::string(1,
                            static_cast<char>(std::strtol(text.substr(3, 2).c_str(), nullptr, 16)));
        }
    }
}

base::Result<std::unique_ptr<Tokenizer>> GgufTokenizer::create(const GgufFile& f) {
    auto tok = std::unique_ptr<GgufTokenizer>(new GgufTokenizer());
    JENNY_ASSIGN_OR_RETURN(std::string_view model, f.get_string("tokenizer.ggml.model"));
    std::string pre_name;
    if (f.has("tokenizer.ggml.pre")) {
        JENNY_ASSIGN_OR_RETURN(std::string_view p, f.get_string("tokenizer.ggml.pre"));
        pre_name = std::string(p);
    }
    std::optional<LlamaCppPre> pre;
    if (model == "llama") {
        tok->type_ = VocabType::kSpm;
        tok->type_name_ = "gguf-llama";
        tok->add_bos_ = true;
    } else if (model == "gpt2") {
        tok->type_ = VocabType::kBpe;
        tok->type_name_ = "gguf-gpt2";
        tok->add_space_prefix_ = false;
        pre = llama_cpp_pre(pre_name);
        if (!pre) {
            return Status::unsupported(fmt::format(
                "tokenizer.ggml.pre '{}' (jenny knows llama.cpp's common pre-tokenizers; this one "
                "would tokenize differently)",
                pre_name));
        }
        tok->add_bos_ = pre->add_bos;
    } else if (model == "bert") {
        tok->type_ = VocabType::kWpm;
        tok->type_name_ = "gguf-bert";
        tok->add_space_prefix_ = false;
        tok->add_bos_ = true;
        tok->add_sep_ = true;
    } else {
        return Status::unsupported(fmt::format(
            "tokenizer.ggml.model '{}' (jenny reads 'llama', 'gpt2' and 'bert' vocabularies)",
            model));
    }
    JENNY_ASSIGN_OR_RETURN(
        tok->add_space_prefix_,
        optional_bool(f, "tokenizer.ggml.add_space_prefix", tok->add_space_prefix_));
    JENNY_ASSIGN_OR_RETURN(auto tokens, f.get_string_array("tokenizer.ggml.tokens"));
    const size_t n = tokens.size();
    if (n == 0) return Status::invalid_argument("tokenizer.ggml.tokens is empty");
    std::vector<float> scores(n, 0.0f);
    if (f.has("tokenizer.ggml.scores")) {
        JENNY_ASSIGN_OR_RETURN(auto s, f.get_f32_array("tokenizer.ggml.scores"));
        if (s.size() < n) {
            return Status::invalid_argument(
                fmt::format("tokenizer.ggml.scores has {} entries for {} tokens", s.size(), n));
        }
        std::copy(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n), scores.begin());
    }
    tok->attrs_.assign(n, kAttrNormal);
    if (f.has("tokenizer.ggml.token_type")) {
        JENNY_ASSIGN_OR_RETURN(auto types, f.get_i32_array("tokenizer.ggml.token_type"));
        if (types.size() < n) {
            return Status::invalid_argument(fmt::format(
                "tokenizer.ggml.token_type has {} entries for {} tokens", types.size(), n));
        }
        for (size_t i = 0; i < n; ++i) {
            switch (types[i]) {
                case 1:
                    tok->attrs_[i] = kAttrNormal;
                    break;
                case 2:
                    tok->attrs_[i] = kAttrUnknown;
                    break;
                case 3:
                    tok->attrs_[i] = kAttrControl;
                    break;
                case 4:
                    tok->attrs_[i] = kAttrUserDefined;
                    break;
                case 5:
                    tok->attrs_[i] = kAttrUnused;
                    break;
                case 6:
                    tok->attrs_[i] = kAttrByte;
                    break;
                default:
                    tok->attrs_[i] = kAttrUndefined;
                    break;
            }
        }
    }
    tok->pieces_.resize(n);
    PieceMap all;  // text -> id, the last id winning as in llama.cpp's token_to_id
    all.reserve(n);
    size_t max_len = 0;
    for (size_t i = 0; i < n; ++i) {
        std::string word(tokens[i]);
        if (word.empty()) word = fmt::format("[EMPTY_{}]", i);
        all[word] = static_cast<TokenId>(i);
        max_len = std::max(max_len, word.size());
        tok->pieces_[i] = std::move(word);
    }
    tok->build_piece_index();
    JENNY_RETURN_IF_ERROR(tok->load_special_ids(f));
    if (pre && pre->no_bos) tok->special_.bos.reset();
    JENNY_ASSIGN_OR_RETURN(tok->add_bos_,
                           optional_bool(f, "tokenizer.ggml.add_bos_token", tok->add_bos_));
    JENNY_ASSIGN_OR_RETURN(tok->add_eos_,
                           optional_bool(f, "tokenizer.ggml.add_eos_token", tok->add_eos_));
    JENNY_ASSIGN_OR_RETURN(tok->add_sep_,
                           optional_bool(f, "tokenizer.ggml.add_sep_token", tok->add_sep_));
    if (tok->add_bos_ && !tok->special_.bos) {
        return Status::invalid_argument("add_bos_token is true, but there is no BOS token");
    }
    if (tok->add_eos_ && !tok->special_.eos) {
        return Status::invalid_argument("add_eos_token is true, but there is no EOS token");
    }
    tok->special_.add_bos = tok->add_bos_;
    tok->special_.add_eos = tok->add_eos_;
    tok->fix_attributes(f);

    switch (tok->type_) {
        case VocabType::kSpm: {
            SpmOptions opt;
            opt.byte_fallback = true;
            opt.byte_as_char_fallback = true;
            tok->spm_ = SpmModel::build(all, all, std::move(scores), {}, opt);
            tok->strip_leading_space_ = tok->add_space_prefix_;
            break;
        }
        case VocabType::kBpe: {
            JENNY_ASSIGN_OR_RETURN(auto merges_raw, f.get_string_array("tokenizer.ggml.merges"));
            PieceMap vocab;
            vocab.reserve(n);
            auto to_raw = [](std::string_view s) {
                std::string raw;
                if (byte_level_to_bytes(s, &raw)) return raw;
                return std::string(s);
            };
            for (size_t i = 0; i < n; ++i) {
                vocab[to_raw(tok->pieces_[i])] = static_cast<TokenId>(i);
            }
            // llama.cpp applies merges whose result is no token too (and then falls back to
            // bytes); BpeModel needs every result in the vocabulary, so such merges are kept
            // out. Real vocabularies have none.
            std::vector<std::pair<std::string, std::string>> merges;
            merges.reserve(merges_raw.size());
            for (std::string_view m : merges_raw) {
                const size_t sp = m.find(' ', 1);
                if (sp == std::string_view::npos) continue;
                std::string a = to_raw(m.substr(0, sp)), b = to_raw(m.substr(sp + 1));
                if (!vocab.contains(a) || !vocab.contains(b) || !vocab.contains(a + b)) continue;
                merges.emplace_back(std::move(a), std::move(b));
            }
            BpeOptions opt;
            opt.byte_level = true;
            opt.ignore_merges = pre->ignore_merges;
            JENNY_ASSIGN_OR_RETURN(tok->bpe_, BpeModel::build(std::move(vocab), merges, opt));
            JENNY_ASSIGN_OR_RETURN(tok->splitter_, LlamaCppSplitter::build(pre->regexes));
            break;
        }
        case VocabType::kWpm: {
            WpmOptions opt;
            JENNY_ASSIGN_OR_RETURN(opt.lowercase,
                                   optional_bool(f, "tokenizer.ggml.normalizer.lowercase", true));
            JENNY_ASSIGN_OR_RETURN(
                opt.strip_accents,
                optional_bool(f, "tokenizer.ggml.normalizer.strip_accents", opt.lowercase));
            opt.unk = tok->special_.unk.value_or(-1);
            tok->wpm_ = WpmModel(all, max_len, opt);
            break;
        }
    }
    tok->fill_decoded();
    for (size_t i = 0; i < n; ++i) {
        if (tok->attrs_[i] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) {
            tok->partition_order_.push_back(static_cast<TokenId>(i));
        }
    }
    std::stable_sort(tok->partition_order_.begin(), tok->partition_order_.end(),
                     [&](TokenId a, TokenId b) {
                         return tok->pieces_[static_cast<size_t>(a)].size() >
                                tok->pieces_[static_cast<size_t>(b)].size();
                     });
    return std::unique_ptr<Tokenizer>(std::move(tok));
}

// tokenizer_st_partition: for each special-like token, longest first, every occurrence in
// every remaining piece of text is cut out.
void GgufTokenizer::partition(std::string_view text, bool parse_special,
                              std::vector<Fragment>* frags) const {
    frags->assign(1, {0, text.size(), -1});
    std::vector<Fragment> next;
    for (TokenId id : partition_order_) {
        const uint32_t a = attrs_[static_cast<size_t>(id)];
        if (!parse_special && (a & (kAttrControl | kAttrUnknown))) continue;
        const std::string& tt = pieces_[static_cast<size_t>(id)];
        bool any = false;
        for (const Fragment& fr : *frags) {
            if (fr.id < 0 && text.substr(fr.begin, fr.len).find(tt) != std::string_view::npos) {
                any = true;
                break;
            }
        }
        if (!any) continue;
        next.clear();
        for (const Fragment& fr : *frags) {
            if (fr.id >= 0) {
                next.push_back(fr);
                continue;
            }
            size_t base = fr.begin, len = fr.len;
            for (;;) {
                size_t m = text.substr(0, base + len).find(tt, base);
                if (m == std::string_view::npos) {
                    if (len > 0) next.push_back({base, len, -1});
                    break;
                }
                size_t left = m - base;
                if (a & kAttrLstrip) {
                    while (left > 0 &&
                           std::isspace(static_cast<unsigned char>(text[base + left - 1])))
                        --left;
                }
                if (left > 0) next.push_back({base, left, -1});
                next.push_back({m, tt.size(), id});
                size_t r = m + tt.size();
                size_t rlen = base + len - r;
                if (a & kAttrRstrip) {
                    while (rlen > 0 && std::isspace(static_cast<unsigned char>(text[r]))) {
                        ++r;
                        --rlen;
                    }
                }
                base = r;
                len = rlen;
                if (len == 0) break;
            }
        }
        frags->swap(next);
    }
}

void GgufTokenizer::encode_valid(std::string_view text, const EncodeOptions& options,
                                 std::vector<TokenId>* out) const {
    std::vector<Fragment> frags;
    if (!text.empty()) partition(text, options.parse_special, &frags);
    const bool add = options.add_special;
    switch (type_) {
        case VocabType::kSpm: {
            if (add && add_bos_) out->push_back(*special_.bos);
            bool prev_special = true;
            std::string s;
            for (const Fragment& fr : frags) {
                if (fr.id >= 0) {
                    out->push_back(fr.id);
                    prev_special = true;
                    continue;
                }
                s.clear();
                if (add_space_prefix_ && prev_special) s += "\u2581";
                for (char c : text.substr(fr.begin, fr.len)) {
                    if (c == ' ')
                        s += "\u2581";
                    else
                        s += c;
                }
                spm_.encode(s, out);
                prev_special = false;
            }
            if (add && add_eos_) out->push_back(*special_.eos);
            break;
        }
        case VocabType::kBpe: {
            if (add && add_bos_) out->push_back(*special_.bos);
            std::vector<std::string_view> words;
            for (const Fragment& fr : frags) {
                if (fr.id >= 0) {
                    out->push_back(fr.id);
                    continue;
                }
                words.clear();
                splitter_.split(text.substr(fr.begin, fr.len), &words);
                for (std::string_view w : words) bpe_.encode_word(w, out);
            }
            if (add && add_eos_) out->push_back(*special_.eos);
            break;
        }
        case VocabType::kWpm: {
            if (add && special_.bos) out->push_back(*special_.bos);
            for (const Fragment& fr : frags) {
                if (fr.id >= 0)
                    out->push_back(fr.id);
                else
                    wpm_.encode(text.substr(fr.begin, fr.len), out);
            }
            if (add && add_sep_ && sep_) out->push_back(*sep_);
            break;
        }
    }
}

}  // namespace

base::Result<std::unique_ptr<Tokenizer>> load_gguf_vocab(const std::string& path, base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(auto f, GgufFile::open(path, env));
    return load_gguf_vocab(*f);
}

base::Result<std::unique_ptr<Tokenizer>> load_gguf_vocab(const checkpoint::GgufFile& file) {
    auto r = GgufTokenizer::create(file);
    if (!r.ok()) return r.status().with_context(file.name());
    return r;
}

}  // namespace jenny::tokenizer
