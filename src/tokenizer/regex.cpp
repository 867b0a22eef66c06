#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.h"

#include <pcre2.h>

namespace jenny::tokenizer {

struct Regex::Impl {
    std::string pattern;
    pcre2_code* code = nullptr;
    bool jit = false;
    ~Impl() {
        if (code != nullptr) pcre2_code_free(code);
    }
};

namespace {

// Match data reused per thread: allocating it per call costs more than a short match.
struct MatchData {
    pcre2_match_data* md = pcre2_match_data_create(8, nullptr);
    ~MatchData() { pcre2_match_data_free(md); }
};

pcre2_match_data* thread_match_data() {
    thread_local MatchData data;
    return data.md;
}

}  // namespace

Regex::Regex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

const std::string& Regex::pattern() const { return impl_->pattern; }

base::Result<Regex> Regex::compile(const std::string& pattern) {
    auto impl = std::make_unique<Impl>();
    impl->pattern = pattern;
    int err = 0;
    PCRE2_SIZE offset = 0;
    impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                               PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
    if (impl->code == nullptr) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return base::Status::invalid_argument(fmt::format("regex {:?} at offset {}: {}", pattern,
                                                          offset, reinterpret_cast<char*>(msg)));
    }
    impl->jit = pcre2_jit_compile(impl->code, PCRE2_JIT_COMPLETE) == 0;
    return Regex(std::move(impl));
}

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) const {
    pcre2_match_data* md = thread_match_data();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t start = 0;
    while (start <= text.size()) {
        int rc = impl_->jit ? pcre2_jit_match(impl_->code, subject, text.size(), start,
                                              PCRE2_NO_UTF_CHECK, md, nullptr)
                            : pcre2_match(impl_->code, subject, text.size(), start,
                                          PCRE2_NO_UTF_CHECK, md, nullptr);
        if (rc < 0) break;
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        size_t b = ov[0], e = ov[1];
        if (e == b) {
            // Empty match: skip one whole UTF-8 character.
            if (b >= text.size()) break;
            size_t next = b + 1;
            while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) {
                ++next;
            }
            start = next;
            continue;
        }
        out->emplace_back(b, e);
        start = e;
    }
}

void Regex::split(std::string_view text, SplitBehavior behavior, bool invert,
                  std::vector<std::string_view>* out) const {
    std::vector<std::pair<size_t, size_t>> matches;
    find_all(text, &matches);
    // Pieces as (begin, end, is_match), covering the text.
    struct Piece {
        size_t b, e;
        bool match;
    };
    std::vector<Piece> pieces;
    size_t pos = 0;
    for (auto [b, e] : matches) {
        if (b > pos) pieces.push_back({pos, b, invert});
        pieces.push_back({b, e, !invert});
        pos = e;
    }
    if (pos < text.size()) pieces.push_back({pos, text.size(), invert});

    auto emit = [&](size_t b, size_t e) {
        if (e > b) out->push_back(text.substr(b, e - b));
    };
    switch (behavior) {
        case SplitBehavior::kIsolated:
            for (const Piece& p : pieces) emit(p.b, p.e);
            break;
        case SplitBehavior::kRemoved:
            for (const Piece& p : pieces) {
                if (!p.match) emit(p.b, p.e);
            }
            break;
        case SplitBehavior::kMergedWithPrevious: {
            size_t start = 0;
            for (size_t i = 0; i < pieces.size(); ++i) {
                if (pieces[i].match) {
                    emit(start, pieces[i].e);
                    start = pieces[i].e;
                }
            }
            emit(start, text.size());
            break;
        }
        case SplitBehavior::kMergedWithNext: {
            size_t start = 0;
            for (size_t i = 0; i < pieces.size(); ++i) {
                if (pieces[i].match && pieces[i].b > start) {
                    emit(start, pieces[i].b);
                    start = pieces[i].b;
                }
            }
            emit(start, text.size());
            break;
        }
        case SplitBehavior::kContiguous: {
            size_t i = 0;
            while (i < pieces.size()) {
                size_t j = i + 1;
                if (pieces[i].match) {
                    while (j < pieces.size() && pieces[j].match) ++j;
                }
                emit(pieces[i].b, pieces[j - 1].e);
                i = j;
            }
            break;
        }
    }
}

}  // namespace jenny::tokenizer
