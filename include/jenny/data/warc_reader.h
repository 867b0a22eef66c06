// Reading web pages out of WARC files (ISO 28500; Common Crawl's .warc.gz) for `jenny data
// run`. Yields one Document per HTML page; everything else is skipped and counted, and
// broken data is counted and reported, never fatal.
//
// Input: a .warc.gz with one gzip member per record (what Common Crawl writes; any member
// split works, but resuming is exact only with one record per member), or a plain .warc.
// gzip is recognised by the file's first two bytes, not by its name.
//
// A record becomes a Document when, in order (the skip reason in brackets):
//   - WARC-Type is "response"                                           [not_response]
//   - its Content-Type is application/http (not dns:, not resource)      [not_http]
//   - the payload parses as an HTTP response                            [bad_http]
//   - the HTTP status is 200                                            [http_status]
//   - the HTTP Content-Type is text/html or application/xhtml+xml, or, without one, the body
//     starts with "<!doctype html" or "<html"                           [not_html]
//   - Content-Encoding is absent/identity, or gzip/deflate that decodes  [content_encoding]
//     (Common Crawl stores payloads decoded and renames the header to X-Crawler-Content-
//     Encoding; a body that is not actually compressed is taken as it is). Likewise a
//     "Transfer-Encoding: chunked" body is de-chunked when it parses as chunks, else taken
//     as it is (Common Crawl's payloads are de-chunked).
//   - the charset (Content-Type's charset=, else a charset= in the first 4 KiB of the page,
//     else sniffed) is UTF-8/US-ASCII — invalid bytes repaired to U+FFFD and counted in
//     `repaired_utf8` — or ISO-8859-1/windows-1252 (decoded as windows-1252, as browsers
//     do); an undeclared page must be valid UTF-8                        [charset]
//   - the record is at most `max_record_bytes`                          [too_large]
//   - the extracted text is not empty                                   [empty_text]
// Errors in the data (reported with file and offset, then reading resynchronises at the
// next "WARC/1." line or gzip member):
//   bad_header          a record that does not start with "WARC/", or a header block
//                       over 64 KiB
//   bad_content_length  a missing or malformed Content-Length, or one that does not end
//                       at the end of the record (no CRLF CRLF, next record or end there)
//   truncated_record    the file (or a broken gzip member) ends inside a record
//   truncated_gzip      the file ends inside a gzip member
//   gzip_error          corrupt deflate data, a bad checksum, or bytes that are not a member
//
// Document fields: id = WARC-Record-ID as written ("<urn:uuid:...>"; "<file>:<offset>" when
// absent), url = WARC-Target-URI (angle brackets stripped), source = the path given to
// open(), offset = the byte offset in the *compressed* file of the gzip member the record
// starts in (for a plain .warc: of the record itself), so open(path, ..., offset) resumes
// at that record; text = extract_main_text(page) (or the decoded page with extract_text =
// false), always valid UTF-8.
//
// Thread-compatible: one reader per thread; readers of the same file are independent.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/document.h"
#include "jenny/data/html_extract.h"

namespace jenny::data {

struct WarcReaderOptions {
    bool extract_text = true;                 // false: text is the decoded HTML page
    uint64_t max_record_bytes = 64ull << 20;  // larger records are skipped (too_large)
    HtmlExtractOptions html;

    template <class V>
    void visit(V& v) {
        v.field("extract_text", extract_text,
                "true: the page's main text; false: the decoded HTML itself");
        v.field("max_record_bytes", max_record_bytes, "skip records larger than this");
        v.field("html", html, "HTML main-text extraction");
    }
};

struct WarcReaderStats {
    static constexpr size_t kMaxErrorMessages = 100;

    uint64_t records = 0;                     // complete WARC records read, of any type
    uint64_t documents = 0;                   // Documents returned by next()
    uint64_t repaired_utf8 = 0;               // documents whose UTF-8 had invalid bytes replaced
    std::map<std::string, uint64_t> skipped;  // by the reasons above
    std::map<std::string, uint64_t> errors;   // by the kinds above
    // The first kMaxErrorMessages errors as "<file>@<offset>: <what>", offset as for
    // Document::offset (the member's, or the plain file's byte).
    std::vector<std::string> error_messages;
};

class WarcReader {
public:
    // Maps `path` through `env` and starts at byte `start_offset` of the file: 0, or a
    // Document::offset from an earlier run. kNotFound/kIoError when the file cannot be
    // mapped; kInvalidArgument when start_offset is past the end or, in a .warc.gz, not the
    // start of a gzip member.
    static base::Result<std::unique_ptr<WarcReader>> open(const std::string& path, base::Env* env,
                                                          const WarcReaderOptions& options = {},
                                                          uint64_t start_offset = 0);

    // The same over a file's bytes in memory, which must outlive the reader; `source` names
    // them in documents and messages.
    static base::Result<std::unique_ptr<WarcReader>> from_bytes(
        std::string_view bytes, std::string source, const WarcReaderOptions& options = {},
        uint64_t start_offset = 0);

    ~WarcReader();
    WarcReader(const WarcReader&) = delete;
    WarcReader& operator=(const WarcReader&) = delete;

    // Fills *doc with the next HTML page and returns true, or returns false at the end of
    // the file. Broken data is counted in stats() and skipped, never returned as an error;
    // a non-ok Result is reserved for failures outside the data (none at present).
    base::Result<bool> next(Document* doc);

    const WarcReaderStats& stats() const;

private:
    class Impl;
    explicit WarcReader(std::unique_ptr<Impl> impl);

    std::unique_ptr<base::MappedFile> map_;  // the file, when open() mapped it
    std::unique_ptr<Impl> impl_;
};

}  // namespace jenny::data
