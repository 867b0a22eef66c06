// The llama2.c checkpoint parser. The file is a header and then stacked float32 arrays (one per
// weight kind, all layers back to back); the header fixes every size, so the whole layout is
// computed first (with overflow checks) and the file must be exactly that long.
#include "jenny/checkpoint/llama2c.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace jenny::checkpoint {

static_assert(std::endian::native == std::endian::little,
              "the llama2.c reader maps little-endian files directly");

using base::Result;
using base::Status;
using tensor::DType;
using tensor::Shape;
using tensor::Tensor;

namespace {

// One stacked array of the file: `count` slices of `slice` floats each.
struct Section {
    std::string_view name;
    uint64_t count = 1;
    uint64_t slice = 0;
    uint64_t begin = 0;  // byte offset in the file
    uint64_t bytes = 0;
};

enum SectionId {
    kTokEmb,
    kRmsAtt,
    kWq,
    kWk,
    kWv,
    kWo,
    kRmsFfn,
    kW1,
    kW2,
    kW3,
    kRmsFinal,
    kFreqReal,
    kFreqImag,
    kWcls,
    kNumSections,
};

constexpr std::string_view kFieldNames[7] = {"dim",        "hidden_dim", "n_layers", "n_heads",
                                             "n_kv_heads", "vocab_size", "seq_len"};

}  // namespace

class Llama2cParser {
public:
    Llama2cParser(std::span<const uint8_t> bytes, Llama2cFile* file,
                  std::shared_ptr<const void> owner)
        : bytes_(bytes), file_(file), owner_(std::move(owner)) {}

    Status run() {
        JENNY_RETURN_IF_ERROR(read_header());
        JENNY_RETURN_IF_ERROR(check_config());
        JENNY_RETURN_IF_ERROR(lay_out());
        JENNY_RETURN_IF_ERROR(check_size());
        make_tensors();
        return Status();
    }

private:
    template <typename... Args>
    Status corrupt(fmt::format_string<Args...> f, Args&&... args) const {
        return Status::corruption(
            fmt::format("{}: {}", file_->name_, fmt::format(f, std::forward<Args>(args)...)));
    }

    int32_t i32_at(size_t offset) const {
        int32_t v;
        std::memcpy(&v, bytes_.data() + offset, 4);
        return v;
    }

    Status read_header() {
        Llama2cConfig& c = file_->config_;
        const size_t size = bytes_.size();
        uint32_t magic = 0;
        if (size >= 4) std::memcpy(&magic, bytes_.data(), 4);
        if (magic == kLlama2cMagic) {
            if (size < 8) {
                return corrupt(
                    "file is {} bytes: truncated in the version (int32 at byte 4) "
                    "after the 'ak42' magic",
                    size);
            }
            int32_t version = i32_at(4);
            if (version == 2) {
                return Status::unsupported(fmt::format(
                    "{}: llama2.c version 2 (int8-quantised, runq.c) is not supported: export "
                    "the model with --version 1 or 0 (float32), or convert it to GGUF",
                    file_->name_));
            }
            if (version != 1) {
                return Status::unsupported(fmt::format(
                    "{}: llama2.c version {} (int32 at byte 4) is not supported (jenny reads "
                    "versions 0 and 1)",
                    file_->name_, version));
            }
            if (size < kLlama2cV1HeaderBytes) {
                return corrupt("file is {} bytes, shorter than the {}-byte version 1 header", size,
                               kLlama2cV1HeaderBytes);
            }
            c.version = 1;
            field_offset_ = 8;
            file_->header_bytes_ = kLlama2cV1HeaderBytes;
            uint8_t shared = bytes_[36];
            if (shared > 1) {
                return corrupt("header field shared_classifier (byte 36) is {}, expected 0 or 1",
                               shared);
            }
            c.shared_classifier = shared == 1;
        } else {
            if (size < kLlama2cV0HeaderBytes) {
                return corrupt(
                    "file is {} bytes, too short for the {}-byte llama2.c header (7 "
                    "int32s)",
                    size, kLlama2cV0HeaderBytes);
            }
            c.version = 0;
            field_offset_ = 0;
            file_->header_bytes_ = kLlama2cV0HeaderBytes;
        }
        int32_t* fields[7] = {&c.dim,        &c.hidden_dim, &c.n_layers, &c.n_heads,
                              &c.n_kv_heads, &c.vocab_size, &c.seq_len};
        for (int i = 0; i < 7; ++i) *fields[i] = i32_at(field_offset_ + 4 * i);
        if (c.version == 0) {
            // Legacy files mark an unshared classifier by a negative vocab_size.
            c.shared_classifier = c.vocab_size > 0;
            if (c.vocab_size < 0 && c.vocab_size != INT32_MIN) c.vocab_size = -c.vocab_size;
        }
        return Status();
    }

    // "header field n_heads (int32 at byte 12)"
    std::string field(int i) const {
        return fmt::format("header field {} (int32 at byte {})", kFieldNames[i],
                           field_offset_ + 4 * i);
    }

    Status check_config() {
        const Llama2cConfig& c = file_->config_;
        const int32_t values[7] = {c.dim,        c.hidden_dim, c.n_layers, c.n_heads,
                                   c.n_kv_heads, c.vocab_size, c.seq_len};
        for (int i = 0; i < 7; ++i) {
            if (values[i] <= 0) {
                if (i == 0 && c.version == 0) {
                    return Status::invalid_argument(
                        fmt::format("{}: not a llama2.c checkpoint: {} is {}, it must be positive",
                                    file_->name_, field(i), values[i]));
                }
                return corrupt("{} is {}, it must be positive", field(i),
                               i == 5 && c.version == 0 ? i32_at(20) : values[i]);
            }
        }
        if (c.dim % c.n_heads != 0) {
            return corrupt("{} is {}, which does not divide dim {}", field(3), c.n_heads, c.dim);
        }
        if (c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0) {
            return corrupt("{} is {}, which does not divide n_heads {}", field(4), c.n_kv_heads,
                           c.n_heads);
        }
        if (c.head_size() % 2 != 0) {
            return corrupt("the head size dim / n_heads = {} / {} = {} is odd; RoPE rotates pairs",
                           c.dim, c.n_heads, c.head_size());
        }
        return Status();
    }

    Status lay_out() {
        const Llama2cConfig& c = file_->config_;
        const uint64_t D = static_cast<uint64_t>(c.dim), F = static_cast<uint64_t>(c.hidden_dim),
                       L = static_cast<uint64_t>(c.n_layers),
                       V = static_cast<uint64_t>(c.vocab_size),
                       K = static_cast<uint64_t>(c.kv_dim()), S = static_cast<uint64_t>(c.seq_len),
                       H = static_cast<uint64_t>(c.head_size());
        // Products of at most three int32s: the first two never overflow uint64.
        auto& s = sections_;
        s[kTokEmb] = {"tok_embeddings", 1, V * D};
        s[kRmsAtt] = {"rms_att_weight", L, D};
        s[kWq] = {"wq", L, D * D};
        s[kWk] = {"wk", L, K * D};
        s[kWv] = {"wv", L, K * D};
        s[kWo] = {"wo", L, D * D};
        s[kRmsFfn] = {"rms_ffn_weight", L, D};
        s[kW1] = {"w1", L, F * D};
        s[kW2] = {"w2", L, D * F};
        s[kW3] = {"w3", L, F * D};
        s[kRmsFinal] = {"rms_final_weight", 1, D};
        s[kFreqReal] = {"freq_cis_real", 1, c.version == 0 ? S * H / 2 : 0};
        s[kFreqImag] = {"freq_cis_imag", 1, c.version == 0 ? S * H / 2 : 0};
        s[kWcls] = {"wcls", 1, c.shared_classifier ? 0 : V * D};
        static constexpr SectionId kV0Order[] = {kTokEmb,   kRmsAtt,   kWq,       kWk,  kWv,
                                                 kWo,       kRmsFfn,   kW1,       kW2,  kW3,
                                                 kRmsFinal, kFreqReal, kFreqImag, kWcls};
        static constexpr SectionId kV1Order[] = {kRmsAtt, kRmsFfn, kRmsFinal, kTokEmb,  kWq,
                                                 kWk,     kWv,     kWo,       kW1,      kW2,
                                                 kW3,     kWcls,   kFreqReal, kFreqImag};
        const SectionId* order = c.version == 0 ? kV0Order : kV1Order;
        uint64_t at = file_->header_bytes_;
        for (int i = 0; i < kNumSections; ++i) {
            Section& sec = s[order[i]];
            uint64_t floats = 0;
            if (__builtin_mul_overflow(sec.count, sec.slice, &floats) ||
                __builtin_mul_overflow(floats, uint64_t{4}, &sec.bytes) ||
                __builtin_add_overflow(at, sec.bytes, &at)) {
                return corrupt("the header ({}) describes more than 2^64 bytes of weights (at {})",
                               config_str(), sec.name);
            }
            sec.begin = at - sec.bytes;
            order_[i] = order[i];
        }
        expected_size_ = at;
        return Status();
    }

    std::string config_str() const {
        const Llama2cConfig& c = file_->config_;
        return fmt::format(
            "dim={} hidden_dim={} n_layers={} n_heads={} n_kv_heads={} vocab_size={} seq_len={}, "
            "{} classifier",
            c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len,
            c.shared_classifier ? "shared" : "unshared");
    }

    Status check_size() {
        const uint64_t size = bytes_.size();
        if (size == expected_size_) return Status();
        const Llama2cConfig& c = file_->config_;
        std::string hint;
        const uint64_t cls_bytes =
            4 * static_cast<uint64_t>(c.vocab_size) * static_cast<uint64_t>(c.dim);
        if (c.shared_classifier && size == expected_size_ + cls_bytes) {
            hint = c.version == 0 ? " (the size fits an unshared classifier: vocab_size should be "
                                    "negative)"
                                  : " (the size fits an unshared classifier: the shared flag at "
                                    "byte 36 should be 0)";
        } else if (!c.shared_classifier && size + cls_bytes == expected_size_) {
            hint = " (the size fits a shared classifier)";
        }
        if (size > expected_size_) {
            return corrupt("file is {} bytes but the header ({}) implies {}: {} bytes too many{}",
                           size, config_str(), expected_size_, size - expected_size_, hint);
        }
        std::string where;
        for (int i = 0; i < kNumSections; ++i) {
            const Section& sec = sections_[order_[i]];
            if (size >= sec.begin && size < sec.begin + sec.bytes) {
                where = fmt::format(", inside {} (bytes {}-{})", sec.name, sec.begin,
                                    sec.begin + sec.bytes - 1);
                if (sec.count > 1) {
                    where += fmt::format(", layer {}", (size - sec.begin) / (sec.slice * 4));
                }
                break;
            }
        }
        return corrupt(
            "file is {} bytes but the header ({}) implies {}: it ends at byte {}{}; the "
            "file is truncated{}",
            size, config_str(), expected_size_, size, where, hint);
    }

    Tensor view(SectionId id, uint64_t layer, Shape shape) const {
        const Section& sec = sections_[id];
        const uint8_t* p = bytes_.data() + sec.begin + layer * sec.slice * 4;
        return Tensor::view(DType::kF32, shape, p, owner_);
    }

    void make_tensors() {
        const Llama2cConfig& c = file_->config_;
        const int64_t D = c.dim, F = c.hidden_dim, V = c.vocab_size, K = c.kv_dim();
        file_->tok_embeddings_ = view(kTokEmb, 0, {V, D});
        file_->layers_.resize(static_cast<size_t>(c.n_layers));
        for (uint64_t l = 0; l < file_->layers_.size(); ++l) {
            Llama2cLayer& y = file_->layers_[l];
            y.rms_att = view(kRmsAtt, l, {D});
            y.wq = view(kWq, l, {D, D});
            y.wk = view(kWk, l, {K, D});
            y.wv = view(kWv, l, {K, D});
            y.wo = view(kWo, l, {D, D});
            y.rms_ffn = view(kRmsFfn, l, {D});
            y.w1 = view(kW1, l, {F, D});
            y.w2 = view(kW2, l, {D, F});
            y.w3 = view(kW3, l, {F, D});
        }
        file_->rms_final_ = view(kRmsFinal, 0, {D});
        if (c.version == 0) {
            file_->freq_cis_real_ = view(kFreqReal, 0, {c.seq_len, c.head_size() / 2});
            file_->freq_cis_imag_ = view(kFreqImag, 0, {c.seq_len, c.head_size() / 2});
        }
        file_->wcls_ = c.shared_classifier ? file_->tok_embeddings_ : view(kWcls, 0, {V, D});
    }

    std::span<const uint8_t> bytes_;
    Llama2cFile* file_;
    std::shared_ptr<const void> owner_;
    size_t field_offset_ = 0;
    Section sections_[kNumSections];
    SectionId order_[kNumSections] = {};
    uint64_t expected_size_ = 0;
};

Result<std::unique_ptr<Llama2cFile>> Llama2cFile::parse(std::span<const uint8_t> bytes,
                                                        std::string name) {
    std::unique_ptr<Llama2cFile> file(new Llama2cFile());
    file->name_ = std::move(name);
    file->bytes_ = bytes;
    Llama2cParser parser(bytes, file.get(), nullptr);
    JENNY_RETURN_IF_ERROR(parser.run());
    return file;
}

Result<std::unique_ptr<Llama2cFile>> Llama2cFile::open(const std::string& path, base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<base::MappedFile> mapped, env->map_file(path));
    std::shared_ptr<const base::MappedFile> mapping = std::move(mapped);
    std::span<const uint8_t> bytes(mapping->data(), mapping->size());
    std::unique_ptr<Llama2cFile> file(new Llama2cFile());
    file->name_ = path;
    file->bytes_ = bytes;
    file->mapping_ = mapping;
    Llama2cParser parser(bytes, file.get(), mapping);
    JENNY_RETURN_IF_ERROR(parser.run());
    return file;
}

std::vector<std::pair<std::string, Tensor>> Llama2cFile::named_tensors() const {
    std::vector<std::pair<std::string, Tensor>> out;
    out.emplace_back("tok_embeddings.weight", tok_embeddings_);
    for (size_t l = 0; l < layers_.size(); ++l) {
        const Llama2cLayer& y = layers_[l];
        auto name = [&](std::string_view what) { return fmt::format("layers.{}.{}", l, what); };
        out.emplace_back(name("attention_norm.weight"), y.rms_att);
        out.emplace_back(name("attention.wq.weight"), y.wq);
        out.emplace_back(name("attention.wk.weight"), y.wk);
        out.emplace_back(name("attention.wv.weight"), y.wv);
        out.emplace_back(name("attention.wo.weight"), y.wo);
        out.emplace_back(name("ffn_norm.weight"), y.rms_ffn);
        out.emplace_back(name("feed_forward.w1.weight"), y.w1);
        out.emplace_back(name("feed_forward.w2.weight"), y.w2);
        out.emplace_back(name("feed_forward.w3.weight"), y.w3);
    }
    out.emplace_back("norm.weight", rms_final_);
    if (!config_.shared_classifier) out.emplace_back("output.weight", wcls_);
    return out;
}

}  // namespace jenny::checkpoint
