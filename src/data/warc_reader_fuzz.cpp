// libFuzzer target: WarcReader over arbitrary bytes (plain or gzip WARC) must neither crash
// nor read outside the input (ASan checks), every Document it yields must be non-empty
// valid UTF-8 with an offset inside the file, and resuming at the first Document's offset
// must yield that Document again. Seeds: fuzz/warc_reader_fuzz/ (a Common Crawl style
// .warc.gz with one gzip member per record, and the same records as a plain .warc).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "jenny/base/utf8.h"
#include "jenny/data/warc_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // A copy of exactly `size` bytes, so any read past the end is caught.
    const std::vector<char> bytes(data, data + size);
    const std::string_view view(bytes.data(), bytes.size());
    jenny::data::WarcReaderOptions options;
    options.max_record_bytes = 1 << 20;
    auto reader = jenny::data::WarcReader::from_bytes(view, "fuzz.warc", options);
    if (!reader.ok()) __builtin_trap();  // offset 0 is always accepted
    jenny::data::Document doc, first;
    int n = 0;
    for (; n < 1000; ++n) {
        auto more = (*reader)->next(&doc);
        if (!more.ok()) __builtin_trap();
        if (!*more) break;
        if (doc.text.empty() || doc.offset >= size) __builtin_trap();
        if (jenny::base::find_invalid_utf8(doc.text) != std::string_view::npos) __builtin_trap();
        if (n == 0) first = doc;
    }
    const auto& stats = (*reader)->stats();
    if (stats.documents != static_cast<uint64_t>(n)) __builtin_trap();
    if (n > 0) {
        auto again = jenny::data::WarcReader::from_bytes(view, "fuzz.warc", options, first.offset);
        if (!again.ok()) __builtin_trap();
        bool found = false;
        for (int k = 0; k < 1000 && !found; ++k) {
            auto more = (*again)->next(&doc);
            if (!more.ok() || !*more) break;
            found = doc.id == first.id && doc.text == first.text && doc.offset == first.offset;
        }
        if (!found) __builtin_trap();
    }
    return 0;
}
