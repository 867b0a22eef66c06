// SentencePiece .model files: libsentencepiece loads and validates the model and gives the
// pieces, scores and types; the normalizer flags and user-defined pieces (which the library's
// API does not expose) come from the serialized ModelProto. Encoding is jenny's own SpmModel
// with libsentencepiece's rules, so ids match SentencePieceProcessor::EncodeAsIds.
#include <sentencepiece_processor.h>

#include "tokenizer/added_tokens.h"
#include "tokenizer/loaders.h"
#include "tokenizer/spm_model.h"

namespace jenny::tokenizer {
namespace {

using base::Status;

// The few ModelProto fields that change results, read from the protobuf wire format.
struct ProtoInfo {
    std::vector<int> piece_types;  // per piece: 1 normal .. 6 byte (protobuf default 1)
    int model_type = 1;            // 1 unigram, 2 bpe, 3 word, 4 char
    bool byte_fallback = false;
    bool treat_whitespace_as_suffix = false;
    std::string normalizer_name;
    bool has_charsmap = false;
    bool add_dummy_prefix = true;
    bool remove_extra_whitespaces = true;
    bool escape_whitespaces = true;
};

class ProtoReader {
public:
    explicit ProtoReader(std::string_view data) : data_(data) {}
    bool done() const { return pos_ >= data_.size(); }
    bool varint(uint64_t* v) {
        *v = 0;
        for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
            auto b = static_cast<unsigned char>(data_[pos_++]);
            *v |= static_cast<uint64_t>(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }
    // Reads one field: its number, wire type and (for length-delimited) payload.
    bool field(uint32_t* number, uint32_t* wire, uint64_t* value, std::string_view* bytes) {
        uint64_t key = 0;
        if (!varint(&key)) return false;
        *number = static_cast<uint32_t>(key >> 3);
        *wire = static_cast<uint32_t>(key & 7);
        switch (*wire) {
            case 0:
                return varint(value);
            case 1:
                if (data_.size() - pos_ < 8) return false;
                pos_ += 8;
                return true;
            case 2: {
                uint64_t len = 0;
                if (!varint(&len) || len > data_.size() - pos_) return false;
                *bytes = data_.substr(pos_, len);
                pos_ += len;
                return true;
            }
            case 5:
                if (data_.size() - pos_ < 4) return false;
                pos_ += 4;
                return true;
            default:
                return false;
        }
    }

private:
    std::string_view data_;
    size_t pos_ = 0;
};

bool parse_proto(std::string_view data, ProtoInfo* info) {
    ProtoReader top(data);
    uint32_t num = 0, wire = 0;
    uint64_t v = 0;
    std::string_view bytes;
    while (!top.done()) {
        if (!top.field(&num, &wire, &v, &bytes)) return false;
        if (num == 1 && wire == 2) {  // SentencePiece
            ProtoReader p(bytes);
            int type = 1;
            while (!p.done()) {
                std::string_view b2;
                if (!p.field(&num, &wire, &v, &b2)) return false;
                if (num == 3 && wire == 0) type = static_cast<int>(v);
            }
            info->piece_types.push_back(type);
        } else if (num == 2 && wire == 2) {  // TrainerSpec
            ProtoReader p(bytes);
            while (!p.done()) {
                std::string_view b2;
                if (!p.field(&num, &wire, &v, &b2)) return false;
                if (wire != 0) continue;
                if (num == 3) info->model_type = static_cast<int>(v);
                if (num == 35) info->byte_fallback = v != 0;
                if (num == 24) info->treat_whitespace_as_suffix = v != 0;
            }
        } else if (num == 3 && wire == 2) {  // NormalizerSpec
            ProtoReader p(bytes);
            while (!p.done()) {
                std::string_view b2;
                if (!p.field(&num, &wire, &v, &b2)) return false;
                if (num == 1 && wire == 2) info->normalizer_name = std::string(b2);
                if (num == 2 && wire == 2) info->has_charsmap = !b2.empty();
                if (num == 3 && wire == 0) info->add_dummy_prefix = v != 0;
                if (num == 4 && wire == 0) info->remove_extra_whitespaces = v != 0;
                if (num == 5 && wire == 0) info->escape_whitespaces = v != 0;
            }
        }
    }
    return true;
}

class SentencePieceTokenizer final : public Tokenizer {
public:
    static base::Result<std::unique_ptr<Tokenizer>> create(const std::string& bytes);

protected:
    void encode_valid(std::string_view text, const EncodeOptions& options,
                      std::vector<TokenId>* out) const override;

private:
    void encode_text(std::string_view text, bool at_start, std::vector<TokenId>* out) const;

    SpmModel model_;
    AddedTokens added_;
    ProtoInfo info_;
};

base::Result<std::unique_ptr<Tokenizer>> SentencePieceTokenizer::create(const std::string& bytes) {
    sentencepiece::SentencePieceProcessor sp;
    auto st = sp.LoadFromSerializedProto(bytes);
    if (!st.ok()) {
        return Status::invalid_argument(fmt::format(
            "not a SentencePiece model (truncated or corrupt .model?): {}", st.ToString()));
    }
    auto tok = std::unique_ptr<SentencePieceTokenizer>(new SentencePieceTokenizer());
    ProtoInfo& info = tok->info_;
    if (!parse_proto(bytes, &info)) {
        return Status::invalid_argument("corrupt ModelProto (protobuf wire format)");
    }
    const int n = sp.GetPieceSize();
    if (static_cast<int>(info.piece_types.size()) != n) {
        return Status::invalid_argument(fmt::format("ModelProto has {} pieces, libsentencepiece {}",
                                                    info.piece_types.size(), n));
    }
    if (info.model_type != 2) {
        return Status::unsupported(fmt::format(
            "SentencePiece model_type {} (jenny encodes BPE models, type 2)", info.model_type));
    }
    if (info.has_charsmap ||
        (!info.normalizer_name.empty() && info.normalizer_name != "identity")) {
        return Status::unsupported(fmt::format(
            "SentencePiece normalizer '{}' (jenny applies the identity normalizer only)",
            info.normalizer_name));
    }
    if (info.treat_whitespace_as_suffix) {
        return Status::unsupported("SentencePiece treat_whitespace_as_suffix");
    }
    if (!info.escape_whitespaces) {
        return Status::unsupported("SentencePiece escape_whitespaces=false");
    }
    tok->type_name_ = "sentencepiece-bpe";
    tok->pieces_.resize(static_cast<size_t>(n));
    tok->decoded_.resize(static_cast<size_t>(n));
    tok->kinds_.resize(static_cast<size_t>(n));
    std::vector<float> scores(static_cast<size_t>(n));
    std::vector<bool> unused(static_cast<size_t>(n), false);
    PieceMap mergeable, all;
    std::vector<AddedToken> added;
    for (int i = 0; i < n; ++i) {
        const auto u = static_cast<size_t>(i);
        std::string piece = sp.IdToPiece(i);
        scores[u] = sp.GetScore(i);
        const int type = info.piece_types[u];
        TokenKind kind = TokenKind::kNormal;
        std::string decoded;
        if (type == 2 || sp.IsUnknown(i)) {
            kind = TokenKind::kUnknown;
            decoded = piece;
        } else if (type == 3 || sp.IsControl(i)) {
            kind = TokenKind::kControl;
            decoded = piece;
            added.push_back({piece, i, /*special=*/true});
        } else if (type == 4) {
            kind = TokenKind::kUserDefined;
            decoded = piece;
            added.push_back({piece, i, /*special=*/false});
        } else if (type == 5 || sp.IsUnused(i)) {
            kind = TokenKind::kUnused;
            unused[u] = true;
        } else if (type == 6 || sp.IsByte(i)) {
            kind = TokenKind::kByte;
            // A byte piece is "<0xXX>"; anything else in a corrupt file decodes as its text.
            char* end = nullptr;
            const std::string hex = piece.size() == 6 ? piece.substr(3, 2) : "";
            const long v = std::strtol(hex.c_str(), &end, 16);
            decoded =
                hex.size() == 2 && *end == '\0' ? std::string(1, static_cast<char>(v)) : piece;
        }
        if (kind == TokenKind::kNormal || kind == TokenKind::kUnused) {
            for (size_t p = 0; p < piece.size();) {
                if (piece.compare(p, 3, "\u2581") == 0) {
                    decoded += ' ';
                    p += 3;
                } else {
                    decoded += piece[p++];
                }
            }
        }
        // libsentencepiece merges into normal, user-defined and unused pieces only.
        if (kind == TokenKind::kNormal || kind == TokenKind::kUserDefined ||
            kind == TokenKind::kUnused) {
            mergeable.emplace(piece, i);
        }
        all.emplace(piece, i);
        tok->pieces_[u] = std::move(piece);
        tok->decoded_[u] = std::move(decoded);
        tok->kinds_[u] = kind;
    }
    SpmOptions opt;
    opt.byte_fallback = info.byte_fallback;
    opt.fuse_unk = true;
    opt.resegment_unused = true;
    if (sp.unk_id() >= 0) opt.unk = sp.unk_id();
    tok->model_ =
        SpmModel::build(std::move(mergeable), all, std::move(scores), std::move(unused), opt);
    tok->added_ = AddedTokens(std::move(added));
    tok->strip_leading_space_ = info.add_dummy_prefix;
    auto id_or_null = [n](int id) -> std::optional<TokenId> {
        if (id < 0 || id >= n) return std::nullopt;
        return id;
    };
    tok->special_.bos = id_or_null(sp.bos_id());
    tok->special_.eos = id_or_null(sp.eos_id());
    tok->special_.unk = id_or_null(sp.unk_id());
    tok->special_.pad = id_or_null(sp.pad_id());
    tok->special_.add_bos = tok->special_.bos.has_value();
    tok->build_piece_index();
    return std::unique_ptr<Tokenizer>(std::move(tok));
}

// Normalizes (extra whitespace, dummy prefix, "▁" escaping) and encodes one plain segment.
void SentencePieceTokenizer::encode_text(std::string_view text, bool at_start,
                                         std::vector<TokenId>* out) const {
    std::string s;
    s.reserve(text.size() + 16);
    if (info_.remove_extra_whitespaces) {
        bool prev_space = at_start;  // leading spaces of the text are dropped
        for (char c : text) {
            if (c == ' ') {
                if (prev_space) continue;
                prev_space = true;
            } else {
                prev_space = false;
            }
            s += c;
        }
        text = s;
    }
    std::string esc;
    esc.reserve(text.size() + 16);
    if (at_start && info_.add_dummy_prefix && !text.empty()) esc += "\u2581";
    for (char c : text) {
        if (c == ' ')
            esc += "\u2581";
        else
            esc += c;
    }
    model_.encode(esc, out);
}

void SentencePieceTokenizer::encode_valid(std::string_view text, const EncodeOptions& options,
                                          std::vector<TokenId>* out) const {
    if (options.add_special && special_.add_bos && !text.empty()) out->push_back(*special_.bos);
    std::string_view body = text;
    std::string trimmed;
    if (info_.remove_extra_whitespaces) {
        size_t b = body.find_first_not_of(' ');
        size_t e = body.find_last_not_of(' ');
        body = b == std::string_view::npos ? std::string_view() : body.substr(b, e - b + 1);
    }
    std::vector<Segment> segs;
    added_.split(body, /*normalized=*/false, options.parse_special, &segs);
    for (const Segment& seg : segs) {
        if (seg.id >= 0) {
            out->push_back(seg.id);
        } else {
            encode_text(seg.text, seg.text.data() == body.data(), out);
        }
    }
}

}  // namespace

base::Result<std::unique_ptr<Tokenizer>> load_sentencepiece_model(const std::string& path,
                                                                  base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::string bytes, env->read_file(path));
    auto r = SentencePieceTokenizer::create(bytes);
    if (!r.ok()) return r.status().with_context(path);
    return r;
}

}  // namespace jenny::tokenizer
