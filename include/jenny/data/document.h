// A document flowing through `jenny data run` (docs/formats/pipeline.md), and a block's verdict
// on it. Every reader produces Documents; every filter returns a Verdict; normalisers and
// scrubbers edit `text` in place.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace jenny::data {

struct Document {
    std::string id;             // stable across runs: the record's own id field, else "<file>:<n>"
    std::string text;           // valid UTF-8 (readers drop or repair invalid input, and count it)
    std::string source;         // the input file it came from
    uint64_t offset = 0;        // byte offset of the record in the decompressed input; for WARC the
                                // offset in the compressed file of its gzip member
    std::string url;            // WARC-Target-URI or the JSONL `url` field; "" when unknown
    std::string language;       // set by the language filter (ISO 639-1 code), "" unknown
    double language_score = 0;  // the language filter's score for `language`
};

// A filter's outcome for one document: keep it, or drop it and say why. Reasons are short
// snake_case names, datatrove's own where a rule comes from datatrove ("gopher_short_doc",
// "c4_lorem_ipsum", "line_punct_ratio"), so reports and exclusion files read the same.
struct Verdict {
    bool keep = true;
    std::string reason;  // "" when kept

    static Verdict kept() { return {}; }
    static Verdict drop(std::string why) { return {false, std::move(why)}; }
};

}  // namespace jenny::data
