// A fastText quality classifier: training (`jenny data train-classifier`) and the
// `quality_classifier` filter of `jenny data run` — the recipe of DCLM's and FineWeb-Edu's
// fastText filters: positives (text you want more of) against negatives (typical crawl).
//
// Training data: one file of positives, one of negatives. A file named *.jsonl / *.json
// (optionally .gz / .zst) holds one JSON object per line whose `text_field` (default "text")
// is the document; any other file holds one document per line. Every document is flattened
// to one line (runs of white space, newlines included, become one space; fastText reads one
// example per line) and empty ones are skipped. Positives are labelled
// "__label__<positive_label>" (default "__label__hq"), negatives "__label__<negative_label>"
// ("__label__lq"); the examples are shuffled (seeded), `validation_fraction` of them are
// held out, and a supervised softmax model is trained on the rest and saved atomically as a
// fastText .bin at `output` (loadable by the fasttext Python package too).
//
// fastText itself reports errors by exceptions or by exiting the process; every input is
// checked before it is called (missing files, empty classes, bad JSON, bad parameters), and
// its exceptions are caught and returned as Status. Training uses `threads` threads and is
// deterministic only with threads = 1.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/document.h"

namespace fasttext {
class FastText;
}

namespace jenny::data {

struct QualityClassifierTrainOptions {
    std::string positive;  // file of positive documents
    std::string negative;  // file of negative documents
    std::string output;    // the model (.bin) to write; refused if it exists
    std::string text_field = "text";
    std::string positive_label = "hq";
    std::string negative_label = "lq";
    int dim = 64;
    int word_ngrams = 2;
    int epochs = 5;
    double lr = 0.1;
    int min_count = 1;
    int bucket = 1000000;  // hashed n-gram rows; the .bin is about (words + bucket) * dim * 4 B
    int threads = 4;
    int seed = 1;
    double validation_fraction = 0.1;
    uint64_t max_documents_per_class = 0;  // 0 = all

    template <class V>
    void visit(V& v) {
        v.required("positive", positive, "file of positive (high-quality) documents");
        v.required("negative", negative, "file of negative documents");
        v.required("output", output, "the fastText model file to write (.bin)");
        v.field("text_field", text_field, "the JSONL field holding the text");
        v.field("positive_label", positive_label, "label of positives (without __label__)");
        v.field("negative_label", negative_label, "label of negatives (without __label__)");
        v.field("dim", dim, "embedding size");
        v.field("word_ngrams", word_ngrams, "longest word n-gram");
        v.field("epochs", epochs, "passes over the training data");
        v.field("lr", lr, "learning rate");
        v.field("min_count", min_count, "minimum word count to enter the vocabulary");
        v.field("bucket", bucket, "hash buckets for n-grams");
        v.field("threads", threads, "training threads (1 = deterministic)");
        v.field("seed", seed, "seed for shuffling, the split and fastText");
        v.field("validation_fraction", validation_fraction,
                "share of examples held out to report accuracy");
        v.field("max_documents_per_class", max_documents_per_class,
                "use at most this many documents of each class (0 = all)");
    }
};

struct QualityClassifierTrainReport {
    uint64_t positives = 0;  // documents read (after the per-class cap)
    uint64_t negatives = 0;
    uint64_t train_examples = 0;
    uint64_t validation_examples = 0;
    double validation_accuracy = 0;  // precision@1; 0 without validation examples
};

// Trains and writes options.output. kInvalidArgument for bad parameters, a class without
// documents, or malformed JSONL (naming file:line); kNotFound for a missing input;
// kAlreadyExists when output exists; kInternal when fastText fails anyway. Leaves no
// temporary files behind.
base::Result<QualityClassifierTrainReport> train_quality_classifier(
    const QualityClassifierTrainOptions& options, base::Env* env);

// One line for fastText: white space runs → one space, trimmed.
std::string flatten_for_fasttext(std::string_view text);

struct QualityFilterOptions {
    std::string model;         // a .bin from train_quality_classifier (or any fastText one)
    std::string label = "hq";  // the label whose probability is the score
    double threshold = 0.5;    // keep when P(label) >= threshold

    template <class V>
    void visit(V& v) {
        v.required("model", model, "fastText classifier (.bin)");
        v.field("label", label, "label whose probability is the score (without __label__)");
        v.field("threshold", threshold, "keep documents whose probability is at least this");
    }
};

// The `quality_classifier` filter. Thread-safe after load(): scoring only reads the model.
class QualityClassifier {
public:
    // kNotFound for a missing model; kInvalidArgument when the file is not a supervised
    // fastText model or lacks the label.
    static base::Result<std::unique_ptr<QualityClassifier>> load(
        const QualityFilterOptions& options);
    ~QualityClassifier();

    // P(label | text) in 0..1; 0 for text with no words.
    double score(std::string_view text) const;

    // Keeps when score(doc.text) >= threshold, else drops with reason "fasttext_quality".
    Verdict filter(const Document& doc) const;

private:
    QualityClassifier() = default;

    std::unique_ptr<fasttext::FastText> model_;
    std::string label_;  // "__label__" + options.label
    double threshold_ = 0.5;
    int32_t n_labels_ = 0;
};

}  // namespace jenny::data
