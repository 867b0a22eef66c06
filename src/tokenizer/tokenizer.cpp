#include "jenny/tokenizer/tokenizer.h"
#include "jenny/base/utf8.h"

#include "tokenizer/loaders.h"
#include "tokenizer/piece_table.h"
#include "tokenizer/unicode.h"

namespace jenny::tokenizer {

struct Tokenizer::PieceIndex {
    PieceTable table;
};

void Tokenizer::build_piece_index() {
    auto index = std::make_shared<PieceIndex>();
    for (size_t i = 0; i < pieces_.size(); ++i) {
        index->table.add(pieces_[i], static_cast<TokenId>(i));  // first id wins on duplicates
    }
    index->table.finish();
    index_ = std::move(index);
}

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

base::Result<std::unique_ptr<Tokenizer>> Tokenizer::load(const std::string& path, base::Env* env) {
    if (!env->file_exists(path)) {
        return base::Status::not_found(fmt::format(
            "tokenizer {}: no such file or directory (give a model directory, tokenizer.json, "
            ".model, .gguf or llama2.c tokenizer.bin)",
            path));
    }
    // A directory: tokenizer.json, else tokenizer.model, else the forms jenny convert writes
    // for GGUF and llama2.c sources (tokenizer.gguf, tokenizer.bin).
    if (env->list_dir(path).ok()) {
        std::string json_path = path + "/tokenizer.json";
        if (env->file_exists(json_path))
            return load_hf_json_file(json_path, env, /*with_config=*/true);
        for (const char* name : {"/tokenizer.model", "/tokenizer.gguf", "/tokenizer.bin"}) {
            if (env->file_exists(path + name)) return load(path + name, env);
        }
        return base::Status::not_found(
            fmt::format("tokenizer {}: the directory has no tokenizer.json, tokenizer.model, "
                        "tokenizer.gguf or tokenizer.bin",
                        path));
    }
    if (ends_with(path, ".json")) return load_hf_json_file(path, env, /*with_config=*/false);
    if (ends_with(path, ".model")) return load_sentencepiece_model(path, env);
    if (ends_with(path, ".gguf")) return load_gguf_vocab(path, env);
    if (ends_with(path, ".bin")) return load_llama2c_vocab(path, env);
    return base::Status::invalid_argument(fmt::format(
        "tokenizer {}: unknown file type; expected a directory, tokenizer.json, .model, .gguf or "
        "llama2.c .bin",
        path));
}

base::Result<std::vector<TokenId>> Tokenizer::encode(std::string_view text,
                                                     const EncodeOptions& options) const {
    size_t bad = base::find_invalid_utf8(text);
    if (bad != std::string_view::npos) {
        return base::Status::invalid_argument(
            fmt::format("invalid UTF-8 at byte {} (0x{:02x}): tokenizers take UTF-8 text", bad,
                        static_cast<unsigned char>(text[bad])));
    }
    std::vector<TokenId> ids;
    ids.reserve(text.size() / 3 + 4);
    encode_valid(text, options, &ids);
    return ids;
}

std::string Tokenizer::decode(std::span<const TokenId> ids, bool skip_special) const {
    std::string out;
    for (TokenId id : ids) {
        if (id < 0 || id >= vocab_size()) continue;
        if (skip_special && kinds_[static_cast<size_t>(id)] == TokenKind::kControl) continue;
        out += decoded_[static_cast<size_t>(id)];
    }
    if (strip_leading_space_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
    return out;
}

std::string Tokenizer::token_to_piece(TokenId id) const {
    if (id < 0 || id >= vocab_size()) return "";
    return decoded_[static_cast<size_t>(id)];
}

std::string_view Tokenizer::token_text(TokenId id) const {
    if (id < 0 || id >= vocab_size()) return "";
    return pieces_[static_cast<size_t>(id)];
}

std::optional<TokenId> Tokenizer::token_id(std::string_view text) const {
    if (!index_) return std::nullopt;
    return index_->table.find(text);
}

TokenKind Tokenizer::token_kind(TokenId id) const {
    if (id < 0 || id >= vocab_size()) return TokenKind::kUnused;
    return kinds_[static_cast<size_t>(id)];
}

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tok_(tokenizer), skip_special_(skip_special) {}

std::string StreamDecoder::push(TokenId id) {
    if (id < 0 || id >= tok_.vocab_size()) return "";
    if (skip_special_ && tok_.token_kind(id) == TokenKind::kControl) return "";
    pending_ += tok_.decoded_[static_cast<size_t>(id)];
    if (at_start_ && !pending_.empty()) {
        if (tok_.strip_leading_space_ && pending_[0] == ' ') pending_.erase(0, 1);
        at_start_ = pending_.empty();
    }
    // Hold back a trailing incomplete UTF-8 sequence.
    size_t cut = pending_.size();
    for (size_t back = 1; back <= 3 && back <= pending_.size(); ++back) {
        unsigned char c = static_cast<unsigned char>(pending_[pending_.size() - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
        if (c >= 0xC0 && utf8_len(c) > back) cut = pending_.size() - back;
        break;
    }
    std::string out = pending_.substr(0, cut);
    pending_.erase(0, cut);
    return out;
}

std::string StreamDecoder::flush() {
    std::string out = std::move(pending_);
    pending_.clear();
    return out;
}

}  // namespace jenny::tokenizer
