// libFuzzer target: DocReader (JSONL plain / .gz / .zst, text with a separator or whole-file)
// over arbitrary bytes must neither crash nor read outside the input (ASan checks). Every
// Document it yields must be valid UTF-8 with an offset inside the decoded input, records()
// never falls behind the documents, and a second reader that skip()s the records before any
// document yields that document again (what a pipeline resume does).
//
// The first input byte picks the mode, the rest is the file:
//   0 jsonl   1 raw bytes as .jsonl.gz   2 raw bytes as .jsonl.zst   3 jsonl gzipped here and
//   cut short   4 jsonl zstd-compressed here and cut short   5 text, separator "---"
//   6 text, whole file   7 jsonl with text_field "content" and no id field.
// Seeds: fuzz/doc_reader_fuzz/.
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "data/doc_reader.h"
#include "jenny/base/utf8.h"

namespace {

std::string gzip(std::string_view in) {
    z_stream z{};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) __builtin_trap();
    std::string out(deflateBound(&z, in.size()) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) __builtin_trap();
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string zstd(std::string_view in) {
    std::string out(ZSTD_compressBound(in.size()), '\0');
    const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
    if (ZSTD_isError(n)) __builtin_trap();
    out.resize(n);
    return out;
}

// A cut at a fraction (from the input's last byte) of the compressed stream.
std::string cut(std::string s, uint8_t fraction) {
    s.resize(s.size() * fraction / 255);
    return s;
}

void write_file(const std::string& path, std::string_view bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) __builtin_trap();
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())
        __builtin_trap();
    std::fclose(f);
}

struct Read {
    std::vector<jenny::data::Document> docs;
    std::vector<int64_t> records_before;  // records() before each document was read
};

std::unique_ptr<jenny::data::DocReader> open(const std::string& path, const std::string& format,
                                             const jenny::data::PipelineInput& input) {
    auto reader =
        jenny::data::DocReader::open(path, format, input, jenny::base::Env::Default(), false);
    if (!reader.ok()) __builtin_trap();  // the file exists: any content opens
    return std::move(*reader);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t mode = data[0] % 8;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    const uint8_t last = data[size - 1];

    jenny::data::PipelineInput input;
    std::string ext = ".jsonl", format = "jsonl", bytes(body);
    switch (mode) {
        case 1:
            ext = ".jsonl.gz";
            break;
        case 2:
            ext = ".jsonl.zst";
            break;
        case 3:
            ext = ".jsonl.gz", bytes = cut(gzip(body), last);
            break;
        case 4:
            ext = ".jsonl.zst", bytes = cut(zstd(body), last);
            break;
        case 5:
            ext = ".txt", format = "text", input.separator = "---";
            break;
        case 6:
            ext = ".txt", format = "text";
            break;
        case 7:
            input.text_field = "content", input.id_field = "";
            break;
        default:
            break;
    }
    static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    const std::string path = dir + "/jenny_doc_reader_fuzz_" + std::to_string(getpid()) + ext;
    write_file(path, bytes);

    Read got;
    {
        auto reader = open(path, format, input);
        jenny::data::Document doc;
        for (int n = 0; n < 10000; ++n) {
            const int64_t before = reader->records();
            if (!reader->next(&doc)) break;
            if (reader->records() <= before) __builtin_trap();
            if (jenny::base::find_invalid_utf8(doc.text) != std::string_view::npos)
                __builtin_trap();
            if (doc.offset > reader->size() || doc.id.empty() || doc.source != path)
                __builtin_trap();
            got.docs.push_back(doc);
            got.records_before.push_back(before);
        }
        if (reader->position() > reader->size()) __builtin_trap();
        if (static_cast<int64_t>(got.docs.size()) > reader->records()) __builtin_trap();
        for (const auto& issue : reader->take_issues())
            if (issue.reason.empty() || issue.where.find(path) != 0) __builtin_trap();
    }
    // Resume at the middle and at the last document.
    for (size_t i : {got.docs.size() / 2, got.docs.size() - 1}) {
        if (i >= got.docs.size()) continue;
        auto reader = open(path, format, input);
        reader->skip(got.records_before[i]);
        jenny::data::Document doc;
        if (!reader->next(&doc)) __builtin_trap();
        if (doc.text != got.docs[i].text || doc.id != got.docs[i].id ||
            doc.offset != got.docs[i].offset)
            __builtin_trap();
    }
    unlink(path.c_str());
    return 0;
}
