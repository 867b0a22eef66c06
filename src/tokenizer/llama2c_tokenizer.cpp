// llama2.c tokenizer.bin: int32 max_token_length, then per token float32 score, int32 length
// and the bytes. Spaces are stored as ' ' (export.py replaced "▁"), ids 0/1/2 are
// <unk>/BOS/EOS and bytes are <0xXX> pieces. Encoding is llama2.c's encode(): a dummy " "
// first, characters (byte fallback for unknown ones), then score-ordered merges over every
// token string — jenny's SpmModel on the space-escaped text with all tokens mergeable.
#include <cstring>

#include "tokenizer/loaders.h"
#include "tokenizer/spm_model.h"

namespace jenny::tokenizer {
namespace {

using base::Status;

class Llama2cTokenizer final : public Tokenizer {
public:
    static base::Result<std::unique_ptr<Tokenizer>> create(std::string_view bytes);

protected:
    void encode_valid(std::string_view text, const EncodeOptions& options,
                      std::vector<TokenId>* out) const override;

private:
    SpmModel model_;
};

base::Result<std::unique_ptr<Tokenizer>> Llama2cTokenizer::create(std::string_view bytes) {
    auto tok = std::unique_ptr<Llama2cTokenizer>(new Llama2cTokenizer());
    tok->type_name_ = "llama2c";
    size_t pos = 0;
    auto read4 = [&](void* dst, const char* what) -> Status {
        if (bytes.size() - pos < 4) {
            return Status::invalid_argument(fmt::format(
                "truncated at byte {} reading {} (token {})", pos, what, tok->pieces_.size()));
        }
        std::memcpy(dst, bytes.data() + pos, 4);
        pos += 4;
        return Status();
    };
    int32_t max_len = 0;
    JENNY_RETURN_IF_ERROR(read4(&max_len, "max_token_length"));
    if (max_len <= 0 || max_len > 1 << 20) {
        return Status::invalid_argument(fmt::format(
            "max_token_length {} is not plausible: not a llama2.c tokenizer.bin", max_len));
    }
    std::vector<float> scores;
    while (pos < bytes.size()) {
        float score = 0;
        int32_t len = 0;
        JENNY_RETURN_IF_ERROR(read4(&score, "a score"));
        JENNY_RETURN_IF_ERROR(read4(&len, "a token length"));
        if (len < 0 || len > max_len || static_cast<size_t>(len) > bytes.size() - pos) {
            return Status::invalid_argument(fmt::format(
                "token {} at byte {}: length {} exceeds the file or max_token_length {} "
                "(truncated or corrupt tokenizer.bin?)",
                tok->pieces_.size(), pos - 4, len, max_len));
        }
        tok->pieces_.emplace_back(bytes.substr(pos, static_cast<size_t>(len)));
        scores.push_back(score);
        pos += static_cast<size_t>(len);
    }
    const size_t n = tok->pieces_.size();
    if (n < 3) {
        return Status::invalid_argument(
            fmt::format("only {} tokens: a llama2.c vocabulary starts <unk>, BOS, EOS", n));
    }
    tok->kinds_.assign(n, TokenKind::kNormal);
    tok->decoded_.resize(n);
    PieceMap all;
    all.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const std::string& p = tok->pieces_[i];
        all.emplace(p, static_cast<TokenId>(i));
        unsigned int byte = 0;
        if (p.size() == 6 && std::sscanf(p.c_str(), "<0x%02X>", &byte) == 1) {
            tok->kinds_[i] = TokenKind::kByte;
            tok->decoded_[i] = std::string(1, static_cast<char>(byte));
        } else {
            tok->decoded_[i] = p;
        }
    }
    tok->kinds_[0] = TokenKind::kUnknown;
    tok->kinds_[1] = TokenKind::kControl;
    tok->kinds_[2] = TokenKind::kControl;
    tok->special_.unk = 0;
    tok->special_.bos = 1;
    tok->special_.eos = 2;
    tok->special_.add_bos = true;
    tok->strip_leading_space_ = true;
    SpmOptions opt;
    opt.byte_fallback = true;
    opt.unk = 0;
    tok->model_ = SpmModel::build(all, all, std::move(scores), {}, opt);
    tok->build_piece_index();
    return std::unique_ptr<Tokenizer>(std::move(tok));
}

void Llama2cTokenizer::encode_valid(std::string_view text, const EncodeOptions& options,
                                    std::vector<TokenId>* out) const {
    if (options.add_special) out->push_back(*special_.bos);
    if (text.empty()) return;
    std::string s;
    s.reserve(text.size() + 1);
    s += ' ';  // llama2.c's dummy prefix
    s += text;
    model_.encode(s, out);
}

}  // namespace

base::Result<std::unique_ptr<Tokenizer>> load_llama2c_vocab(const std::string& path,
                                                            base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::string bytes, env->read_file(path));
    auto r = Llama2cTokenizer::create(bytes);
    if (!r.ok()) return r.status().with_context(path);
    return r;
}

}  // namespace jenny::tokenizer
