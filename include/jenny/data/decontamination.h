// Decontamination: drop (or flag) documents that share a word n-gram with an eval set.
//
// The index holds the 64-bit hashes of every n-gram (13 words by default, simplified as in
// text_simplify.h: lower case, no punctuation, numbers → 0, CJK one character per word) of
// every eval record, in an open-addressing hash set (8 + 4 bytes per n-gram, ≤ 50% load).
// A record is the concatenation, in file order, of its text fields:
//   .jsonl  fields passage, question, query, problem, context, options / choices (lists),
//           answer, solution, explanation (GSM8K calculator annotations <<...>> removed);
//           other fields are ignored;
//   .csv    (header row; RFC 4180 quoting, multi-line fields, CRLF) every column except
//           id, answer, label, subject — so MMLU question + choice0..3 and C-Eval question +
//           A..D + explanation; the answer letter / index adds no text of its own;
//   .parquet: kUnsupported (convert to JSONL).
// A record with fewer than n words adds nothing. A document matches when any of its n-grams
// is in the index; which set matched is reported (the first loaded set holding it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/document.h"
#include "jenny/data/text_simplify.h"

namespace jenny::data {

struct DecontaminationOptions {
    // Eval sets: "name=path" or "path" (the name is then the path's last component), a
    // .jsonl / .csv file or a directory searched recursively for them.
    std::vector<std::string> eval_sets;
    int n_grams = 13;
    std::string mode = "drop";  // "drop": the document is dropped; "flag": kept, reported
    TextNormOptions norm;

    template <class V>
    void visit(V& v) {
        v.field("eval_sets", eval_sets, "eval sets as name=path or path (file or directory)");
        v.field("n_grams", n_grams, "words an n-gram shares with an eval set to match");
        v.one_of("mode", mode, {"drop", "flag"}, "drop matches, or keep them and report");
        v.field("norm", norm, "text normalisation before n-gramming");
    }
};

struct DecontaminationMatch {
    std::string eval_set;  // the first set (in load order) holding the n-gram
    uint64_t word = 0;     // position of the n-gram's first word in the document
};

// The n-gram set. Building is single-threaded; once built, find() is thread-safe.
class DecontaminationIndex {
public:
    // n_grams in 1..64 (JENNY_CHECK).
    DecontaminationIndex(int n_grams, const TextNormOptions& norm);

    // Adds the n-grams of one record of eval set `set_name`. A record with fewer than n
    // words adds nothing (it cannot be told apart from ordinary text at that length).
    void add_text(std::string_view set_name, std::string_view text);

    // Adds every record of a .jsonl / .csv file, or of every such file under a directory
    // (recursively, sorted; other files ignored). Returns the number of records. Errors:
    // kNotFound, kCorruption (bad JSON / CSV, naming file:line), kUnsupported (.parquet).
    base::Result<uint64_t> add_eval_path(std::string_view set_name, const std::string& path,
                                         base::Env* env = base::Env::Default());

    // The first n-gram of `text` in the index, or nullopt.
    std::optional<DecontaminationMatch> find(std::string_view text) const;

    uint64_t size() const { return size_; }  // distinct n-grams
    int n_grams() const { return n_; }
    const std::vector<std::string>& set_names() const { return sets_; }

private:
    void insert(uint64_t key, uint32_t set);
    void grow();

    int n_;
    TextNormOptions norm_;
    std::vector<std::string> sets_;
    std::vector<uint64_t> keys_;  // 0 = empty slot (a key of 0 is stored as 1)
    std::vector<uint32_t> set_of_;
    uint64_t size_ = 0;
};

// The filter: loads options.eval_sets once, then judges documents. Thread-safe after create.
class DecontaminationFilter {
public:
    // Errors: kInvalidArgument (no eval set, bad n_grams / mode, a duplicate set name), and
    // add_eval_path's errors with the set's name as context.
    static base::Result<std::unique_ptr<DecontaminationFilter>> create(
        const DecontaminationOptions& options, base::Env* env = base::Env::Default());

    // Drop ("decontaminated") when the document shares an n-gram with an eval set and mode
    // is "drop"; kept otherwise. *match (optional) receives the match, if any, in both modes.
    Verdict filter(const Document& doc, std::optional<DecontaminationMatch>* match = nullptr) const;

    const DecontaminationIndex& index() const { return index_; }

private:
    DecontaminationFilter(const DecontaminationOptions& options)
        : options_(options), index_(options.n_grams, options.norm) {}

    DecontaminationOptions options_;
    DecontaminationIndex index_;
};

}  // namespace jenny::data
