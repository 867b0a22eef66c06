#include "jenny/data/warc_reader.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <optional>

#include "data/warc_payload.h"
#include "jenny/base/utf8.h"

namespace jenny::data {

using base::Result;
using base::Status;

namespace {

constexpr size_t kChunk = size_t{1} << 18;         // decompressed bytes produced per step
constexpr size_t kMaxHeaderBytes = 64 << 10;       // a WARC header block longer than this is junk
constexpr size_t kCompactAbove = size_t{1} << 20;  // drop consumed bytes beyond this

bool is_gzip_magic(std::string_view in, uint64_t at) {
    return at + 3 <= in.size() && static_cast<unsigned char>(in[at]) == 0x1f &&
           static_cast<unsigned char>(in[at + 1]) == 0x8b && in[at + 2] == 8;
}

// The next gzip member start at or after `from`, or npos.
uint64_t find_gzip_magic(std::string_view in, uint64_t from) {
    static constexpr char kMagic[] = {'\x1f', '\x8b', '\x08'};
    if (from >= in.size()) return std::string_view::npos;
    return in.find(std::string_view(kMagic, 3), from);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<uint64_t> parse_length(std::string_view s) {
    s = trim(s);
    if (s.empty() || s.size() > 18) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

bool looks_like_html(std::string_view body) {
    while (!body.empty() && (body.front() == ' ' || body.front() == '\t' || body.front() == '\r' ||
                             body.front() == '\n')) {
        body.remove_prefix(1);
    }
    if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
    return istarts_with(body, "<!doctype html") || istarts_with(body, "<html");
}

}  // namespace

// The fields of a WARC header block that the reader uses.
struct WarcHeader {
    std::string type;
    std::string record_id;
    std::string target_uri;
    std::string content_type;
    std::optional<uint64_t> content_length;
    bool content_length_bad = false;
};

class WarcReader::Impl {
public:
    Impl(std::string_view in, std::string source, const WarcReaderOptions& options,
         uint64_t start_offset)
        : in_(in), source_(std::move(source)), options_(options) {
        gzip_ = in.size() >= 2 && static_cast<unsigned char>(in[0]) == 0x1f &&
                static_cast<unsigned char>(in[1]) == 0x8b;
        in_pos_ = start_offset;
        buf_base_ = pos_ = gzip_ ? 0 : start_offset;
    }

    ~Impl() {
        if (zs_ready_) inflateEnd(&zs_);
    }

    bool gzip() const { return gzip_; }
    bool next(Document* doc);
    const WarcReaderStats& stats() const { return stats_; }

private:
    // --- the decompressed stream ---
    bool produce();
    bool produce_gzip();
    bool ensure(uint64_t end) {
        while (buffer_end() < end) {
            if (!produce()) return false;
        }
        return true;
    }
    uint64_t buffer_end() const { return buf_base_ + buf_.size(); }
    std::string_view buffered(uint64_t begin, uint64_t end) const {
        return std::string_view(buf_).substr(begin - buf_base_, end - begin);
    }
    void compact();
    uint64_t compressed_offset(uint64_t pos) const;
    bool at_member_start(uint64_t pos) const;
    bool break_inside(uint64_t begin, uint64_t end) const;
    void gzip_failure(const std::string& what);

    // --- records ---
    void error(const char* kind, uint64_t offset, const std::string& what) {
        ++stats_.errors[kind];
        if (stats_.error_messages.size() < WarcReaderStats::kMaxErrorMessages) {
            stats_.error_messages.push_back(
                fmt::format("{}@{}: {}: {}", source_, offset, kind, what));
        }
    }
    void resync(uint64_t from);
    WarcHeader parse_header(std::string_view block) const;
    bool convert(const WarcHeader& h, std::string_view content, uint64_t offset, Document* doc);
    void skip(const char* reason) { ++stats_.skipped[reason]; }

    std::string_view in_;
    std::string source_;
    WarcReaderOptions options_;
    WarcReaderStats stats_;
    bool gzip_ = false;

    uint64_t in_pos_ = 0;  // next input byte to consume
    z_stream zs_{};
    bool zs_ready_ = false;
    bool in_member_ = false;
    uint64_t member_offset_ = 0;  // compressed offset of the member being inflated
    bool input_done_ = false;

    std::string buf_;        // decompressed bytes [buf_base_, buffer_end())
    uint64_t buf_base_ = 0;  // decompressed position of buf_[0]
    uint64_t pos_ = 0;       // where the next record is looked for
    // (decompressed position, compressed offset) of member starts, from the one holding pos_.
    std::vector<std::pair<uint64_t, uint64_t>> members_;
    std::vector<uint64_t> breaks_;  // decompressed positions where a broken member ends
};

bool WarcReader::Impl::produce() {
    if (gzip_) return produce_gzip();
    if (in_pos_ >= in_.size()) return false;
    const size_t n = std::min<uint64_t>(kChunk, in_.size() - in_pos_);
    buf_.append(in_.substr(in_pos_, n));
    in_pos_ += n;
    return true;
}

// Inflates until some output appears or the input ends. A member that fails is counted,
// its end becomes a break (no record may span it), and inflating restarts at the next gzip
// magic after the member's start: with one record per member, only that record is lost.
bool WarcReader::Impl::produce_gzip() {
    for (;;) {
        if (!in_member_) {
            if (input_done_) return false;
            if (in_pos_ >= in_.size()) {
                input_done_ = true;
                return false;
            }
            if (!is_gzip_magic(in_, in_pos_)) {
                error("gzip_error", in_pos_, "bytes that are not a gzip member");
                in_pos_ = find_gzip_magic(in_, in_pos_ + 1);
                if (in_pos_ == std::string_view::npos) {
                    in_pos_ = in_.size();
                    input_done_ = true;
                    return false;
                }
            }
            if (!zs_ready_) {
                if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
                    error("gzip_error", in_pos_, "zlib could not start (out of memory?)");
                    input_done_ = true;
                    return false;
                }
                zs_ready_ = true;
            } else {
                inflateReset(&zs_);
            }
            member_offset_ = in_pos_;
            in_member_ = true;
            members_.emplace_back(buffer_end(), in_pos_);
        }
        const size_t old = buf_.size();
        buf_.resize(old + kChunk);
        const uint64_t avail = std::min<uint64_t>(in_.size() - in_pos_, uint64_t{1} << 30);
        zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in_.data() + in_pos_));
        zs_.avail_in = static_cast<uInt>(avail);
        zs_.next_out = reinterpret_cast<Bytef*>(buf_.data() + old);
        zs_.avail_out = static_cast<uInt>(kChunk);
        const int rc = inflate(&zs_, Z_NO_FLUSH);
        in_pos_ += avail - zs_.avail_in;
        const size_t produced = kChunk - zs_.avail_out;
        buf_.resize(old + produced);
        if (rc == Z_STREAM_END) {
            in_member_ = false;
        } else if (rc == Z_BUF_ERROR && in_pos_ >= in_.size()) {
            error("truncated_gzip", member_offset_, "the file ends inside this gzip member");
            breaks_.push_back(buffer_end());
            in_member_ = false;
            input_done_ = true;
        } else if (rc != Z_OK) {
            gzip_failure(zs_.msg != nullptr ? zs_.msg : "corrupt data");
        }
        if (produced > 0) return true;
        if (input_done_) return false;
    }
}

void WarcReader::Impl::gzip_failure(const std::string& what) {
    error("gzip_error", member_offset_, fmt::format("corrupt gzip member ({})", what));
    breaks_.push_back(buffer_end());
    in_member_ = false;
    const uint64_t next = find_gzip_magic(in_, member_offset_ + 1);
    if (next == std::string_view::npos) {
        in_pos_ = in_.size();
        input_done_ = true;
    } else {
        in_pos_ = next;
    }
}

void WarcReader::Impl::compact() {
    if (pos_ > buf_base_ + kCompactAbove && pos_ - buf_base_ > buf_.size() / 2) {
        const uint64_t drop = std::min<uint64_t>(pos_, buffer_end()) - buf_base_;
        buf_.erase(0, drop);
        buf_base_ += drop;
    }
    size_t keep = 0;  // members before the one holding pos_ are no longer needed
    while (keep + 1 < members_.size() && members_[keep + 1].first <= pos_) ++keep;
    if (keep > 0) members_.erase(members_.begin(), members_.begin() + static_cast<long>(keep));
    breaks_.erase(
        std::remove_if(breaks_.begin(), breaks_.end(), [this](uint64_t b) { return b <= pos_; }),
        breaks_.end());
}

uint64_t WarcReader::Impl::compressed_offset(uint64_t pos) const {
    if (!gzip_) return pos;
    auto it = std::upper_bound(members_.begin(), members_.end(), pos,
                               [](uint64_t p, const auto& m) { return p < m.first; });
    if (it == members_.begin()) return members_.empty() ? in_pos_ : members_.front().second;
    return std::prev(it)->second;
}

bool WarcReader::Impl::at_member_start(uint64_t pos) const {
    for (const auto& m : members_) {
        if (m.first == pos) return true;
        if (m.first > pos) break;
    }
    return std::find(breaks_.begin(), breaks_.end(), pos) != breaks_.end();
}

bool WarcReader::Impl::break_inside(uint64_t begin, uint64_t end) const {
    for (uint64_t b : breaks_) {
        if (b > begin && b < end) return true;
    }
    return false;
}

// Moves pos_ to the next "WARC/<digit>" that starts a line or a gzip member after `from`,
// or to the end of the data.
void WarcReader::Impl::resync(uint64_t from) {
    uint64_t scan = from + 1;
    for (;;) {
        while (scan + 6 <= buffer_end()) {
            const std::string_view hay = buffered(scan, buffer_end());
            const size_t at = hay.find("WARC/");
            if (at == std::string_view::npos || at + 6 > hay.size()) {
                scan = buffer_end() > 5 ? std::max(scan, buffer_end() - 5) : scan;
                break;
            }
            const uint64_t cand = scan + at;
            const bool line_start =
                (cand > buf_base_ && buf_[cand - 1 - buf_base_] == '\n') || at_member_start(cand);
            const char digit = buf_[cand + 5 - buf_base_];
            if (line_start && digit >= '0' && digit <= '9') {
                pos_ = cand;
                return;
            }
            scan = cand + 1;
        }
        pos_ = scan;  // lets compact() drop what the scan has passed
        compact();
        if (!produce()) {
            pos_ = buffer_end();
            return;
        }
    }
}

WarcHeader WarcReader::Impl::parse_header(std::string_view block) const {
    WarcHeader h;
    size_t begin = block.find('\n');  // skip the "WARC/1.x" line
    while (begin != std::string_view::npos && begin < block.size()) {
        size_t end = block.find('\n', begin + 1);
        std::string_view line = block.substr(
            begin + 1, end == std::string_view::npos ? std::string_view::npos : end - begin - 1);
        begin = end;
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = trim(line.substr(0, colon));
        const std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "WARC-Type")) {
            h.type = value;
        } else if (iequals(name, "WARC-Record-ID")) {
            h.record_id = value;
        } else if (iequals(name, "WARC-Target-URI")) {
            std::string_view uri = value;
            if (uri.size() >= 2 && uri.front() == '<' && uri.back() == '>') {
                uri = uri.substr(1, uri.size() - 2);
            }
            h.target_uri = uri;
        } else if (iequals(name, "Content-Type")) {
            h.content_type = value;
        } else if (iequals(name, "Content-Length")) {
            h.content_length = parse_length(value);
            h.content_length_bad = !h.content_length.has_value();
        }
    }
    return h;
}

bool WarcReader::Impl::next(Document* doc) {
    for (;;) {
        compact();
        // Records end in CRLF CRLF; tolerate any run of line breaks between them.
        for (;;) {
            if (!ensure(pos_ + 1)) return false;
            const char c = buf_[pos_ - buf_base_];
            if (c != '\r' && c != '\n') break;
            ++pos_;
        }
        const uint64_t start = pos_;
        const uint64_t offset = compressed_offset(start);
        if (!ensure(start + 5)) {
            error("truncated_record", offset, "the data ends inside a record");
            pos_ = buffer_end();
            return false;
        }
        if (buffered(start, start + 5) != "WARC/") {
            error("bad_header", offset, "the record does not start with \"WARC/\"");
            resync(start);
            continue;
        }
        // The header block ends at the first empty line (CRLF CRLF, or LF LF).
        uint64_t header_end = 0;
        uint64_t searched = start;
        for (;;) {
            const std::string_view hay = buffered(searched, buffer_end());
            size_t nl = hay.find('\n');
            while (nl != std::string_view::npos) {
                const uint64_t at = searched + nl;
                if (at + 1 < buffer_end() && buf_[at + 1 - buf_base_] == '\n') {
                    header_end = at + 2;
                    break;
                }
                if (at + 2 < buffer_end() && buf_[at + 1 - buf_base_] == '\r' &&
                    buf_[at + 2 - buf_base_] == '\n') {
                    header_end = at + 3;
                    break;
                }
                if (at + 2 >= buffer_end()) break;  // the answer needs more bytes
                nl = hay.find('\n', nl + 1);
            }
            if (header_end != 0) break;
            searched = std::max(searched, buffer_end() > 2 ? buffer_end() - 2 : start);
            if (buffer_end() - start > kMaxHeaderBytes) break;
            if (!produce()) break;
        }
        if (header_end == 0 && buffer_end() - start <= kMaxHeaderBytes) {
            error("truncated_record", offset, "the data ends inside the record's header");
            pos_ = buffer_end();
            return false;
        }
        if (header_end == 0 || header_end - start > kMaxHeaderBytes) {
            error("bad_header", offset, "no end of the header block within 64 KiB");
            resync(start);
            continue;
        }
        const WarcHeader header = parse_header(buffered(start, header_end));
        if (!header.content_length) {
            error(
                "bad_content_length", offset,
                header.content_length_bad ? "Content-Length is not a number" : "no Content-Length");
            resync(start);
            continue;
        }
        const uint64_t content_end = header_end + *header.content_length;
        if (*header.content_length > options_.max_record_bytes) {
            // Step over the content without keeping it.
            while (buffer_end() < content_end) {
                pos_ = buffer_end();
                compact();
                if (!produce()) break;
            }
            if (buffer_end() < content_end) {
                error("truncated_record", offset, "the data ends inside the record");
                pos_ = buffer_end();
                return false;
            }
            ++stats_.records;
            skip("too_large");
            pos_ = content_end;
            continue;
        }
        const bool complete = ensure(content_end);
        if (break_inside(start, std::min(content_end, buffer_end()))) {
            error("truncated_record", offset, "a broken gzip member cuts the record short");
            resync(start);
            continue;
        }
        if (!complete) {
            // Either the file is cut short or the length is wrong: another record after
            // this one's header tells which.
            const uint64_t data_end = buffer_end();
            resync(start);
            if (pos_ < data_end) {
                error("bad_content_length", offset,
                      fmt::format("Content-Length {} runs past the next record",
                                  *header.content_length));
                continue;
            }
            error("truncated_record", offset,
                  fmt::format("the data ends inside the record ({} of {} content bytes)",
                              data_end - header_end, *header.content_length));
            pos_ = buffer_end();
            return false;
        }
        // The content must end the record: CRLF CRLF (or LF LF), or up to four line breaks
        // and then the next record or the end of the data.
        (void)ensure(content_end + 9);
        const std::string_view after =
            buffered(content_end, std::min(content_end + 9, buffer_end()));
        size_t breaks = 0;
        while (breaks < after.size() && breaks < 4 &&
               (after[breaks] == '\r' || after[breaks] == '\n')) {
            ++breaks;
        }
        const std::string_view rest = after.substr(breaks);
        if (!(after.substr(0, 4) == "\r\n\r\n" || after.substr(0, 2) == "\n\n" || rest.empty() ||
              rest.substr(0, 5) == "WARC/")) {
            error("bad_content_length", offset,
                  fmt::format("Content-Length {} does not end at the end of the record",
                              *header.content_length));
            resync(start);
            continue;
        }
        ++stats_.records;
        pos_ = content_end;
        if (convert(header, buffered(header_end, content_end), offset, doc)) {
            ++stats_.documents;
            return true;
        }
    }
}

bool WarcReader::Impl::convert(const WarcHeader& h, std::string_view content, uint64_t offset,
                               Document* doc) {
    if (!iequals(h.type, "response")) {
        skip("not_response");
        return false;
    }
    if (!istarts_with(media_type(h.content_type), "application/http")) {
        skip("not_http");
        return false;
    }
    const std::optional<HttpResponse> http = parse_http_response(content);
    if (!http) {
        skip("bad_http");
        return false;
    }
    if (http->status != 200) {
        skip("http_status");
        return false;
    }
    const std::string type = media_type(http->content_type);
    if (type.empty() ? !looks_like_html(http->body)
                     : type != "text/html" && type != "application/xhtml+xml") {
        skip("not_html");
        return false;
    }
    std::string page;
    std::optional<std::string> dechunked;
    if (media_type(http->transfer_encoding).find("chunked") != std::string::npos) {
        dechunked = dechunk(http->body);
    }
    std::string_view body = dechunked ? std::string_view(*dechunked) : http->body;
    const std::string encoding = media_type(http->content_encoding);
    if (encoding.empty() || encoding == "identity") {
        page = body;
    } else if (std::optional<std::string> inflated =
                   encoding == "gzip" || encoding == "x-gzip" || encoding == "deflate"
                       ? inflate_body(body, options_.max_record_bytes)
                       : std::nullopt) {
        page = std::move(*inflated);
    } else if (body.find('<') < 64 && !(body.size() >= 2 && body[0] == '\x1f')) {
        page = body;  // stored decoded under the original header (Common Crawl)
    } else {
        skip("content_encoding");
        return false;
    }
    std::string charset = charset_param(http->content_type);
    if (charset.empty()) charset = sniff_meta_charset(page);
    if (charset.empty()) {
        if (base::find_invalid_utf8(page) != std::string_view::npos) {
            skip("charset");
            return false;
        }
    } else {
        switch (classify_charset(charset)) {
            case Charset::kUtf8:
                if (repair_utf8(&page)) ++stats_.repaired_utf8;
                break;
            case Charset::kWindows1252:
                page = windows1252_to_utf8(page);
                break;
            case Charset::kUnsupported:
                skip("charset");
                return false;
        }
    }
    if (page.compare(0, 3, "\xEF\xBB\xBF") == 0) page.erase(0, 3);
    std::string text =
        options_.extract_text ? extract_main_text(page, options_.html) : std::move(page);
    if (text.empty()) {
        skip("empty_text");
        return false;
    }
    doc->id = h.record_id.empty() ? fmt::format("{}:{}", source_, offset) : h.record_id;
    doc->text = std::move(text);
    doc->source = source_;
    doc->offset = offset;
    doc->url = h.target_uri;
    doc->language.clear();
    doc->language_score = 0;
    return true;
}

WarcReader::WarcReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WarcReader::~WarcReader() = default;

const WarcReaderStats& WarcReader::stats() const { return impl_->stats(); }

Result<bool> WarcReader::next(Document* doc) { return impl_->next(doc); }

Result<std::unique_ptr<WarcReader>> WarcReader::from_bytes(std::string_view bytes,
                                                           std::string source,
                                                           const WarcReaderOptions& options,
                                                           uint64_t start_offset) {
    if (start_offset > bytes.size()) {
        return Status::invalid_argument(
            fmt::format("{}: start offset {} is past the end of the file ({} bytes)", source,
                        start_offset, bytes.size()));
    }
    auto impl = std::make_unique<Impl>(bytes, source, options, start_offset);
    if (impl->gzip() && start_offset > 0 && start_offset < bytes.size() &&
        !is_gzip_magic(bytes, start_offset)) {
        return Status::invalid_argument(
            fmt::format("{}: offset {} is not the start of a gzip member; resume from a "
                        "document's offset",
                        source, start_offset));
    }
    return std::unique_ptr<WarcReader>(new WarcReader(std::move(impl)));
}

Result<std::unique_ptr<WarcReader>> WarcReader::open(const std::string& path, base::Env* env,
                                                     const WarcReaderOptions& options,
                                                     uint64_t start_offset) {
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<base::MappedFile> map, env->map_file(path));
    const std::string_view bytes(reinterpret_cast<const char*>(map->data()), map->size());
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<WarcReader> reader,
                           from_bytes(bytes, path, options, start_offset));
    reader->map_ = std::move(map);
    return reader;
}

}  // namespace jenny::data
