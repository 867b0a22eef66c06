#include "jenny/data/fasttext_classifier.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <fasttext/fasttext.h>
#pragma GCC diagnostic pop

#include "data/input_files.h"

namespace jenny::data {

using base::Result;
using base::Status;

namespace {

constexpr const char* kLabelPrefix = "__label__";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool valid_label(const std::string& label) {
    return !label.empty() && std::none_of(label.begin(), label.end(), is_space);
}

// The documents of one training file, flattened, at most `cap` (0 = all).
Result<std::vector<std::string>> read_documents(const std::string& path, const char* what,
                                                const std::string& text_field, uint64_t cap,
                                                base::Env* env) {
    if (path.empty()) {
        return Status::invalid_argument(fmt::format("no {} file given", what));
    }
    auto files = list_input_files({path}, env);
    if (!files.ok()) return files.status().with_context(fmt::format("{} documents", what));
    if (files->size() != 1) {
        return Status::invalid_argument(
            fmt::format("{} documents: {} is not a single file", what, path));
    }
    const InputFile& file = files->front();
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<InputBytes> bytes, InputBytes::open(file, env));
    std::vector<std::string> docs;
    std::string_view rest = bytes->data();
    uint64_t line_no = 0;
    while (!rest.empty() && (cap == 0 || docs.size() < cap)) {
        const size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        ++line_no;
        std::string text;
        if (file.kind == InputKind::kJsonl) {
            if (flatten_for_fasttext(line).empty()) continue;
            auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
            if (j.is_discarded() || !j.is_object()) {
                return Status::invalid_argument(
                    fmt::format("{}:{}: not a JSON object; JSONL files hold one object per line",
                                path, line_no));
            }
            auto it = j.find(text_field);
            if (it == j.end() || !it->is_string()) {
                return Status::invalid_argument(fmt::format(
                    "{}:{}: no string field \"{}\" (set text_field)", path, line_no, text_field));
            }
            text = flatten_for_fasttext(it->get<std::string>());
        } else {
            text = flatten_for_fasttext(line);
        }
        if (!text.empty()) docs.push_back(std::move(text));
    }
    if (docs.empty()) {
        return Status::invalid_argument(
            fmt::format("{} documents: {} holds no non-empty document", what, path));
    }
    return docs;
}

Status check_options(const QualityClassifierTrainOptions& o) {
    auto bad = [](std::string msg) { return Status::invalid_argument(std::move(msg)); };
    if (o.output.empty()) return bad("no output model path given");
    if (!valid_label(o.positive_label) || !valid_label(o.negative_label) ||
        o.positive_label == o.negative_label) {
        return bad("positive_label and negative_label must be two different words");
    }
    if (o.dim < 1 || o.dim > 4096) return bad(fmt::format("dim {} is not in 1..4096", o.dim));
    if (o.word_ngrams < 1 || o.word_ngrams > 10) {
        return bad(fmt::format("word_ngrams {} is not in 1..10", o.word_ngrams));
    }
    if (o.epochs < 1 || o.epochs > 1000) {
        return bad(fmt::format("epochs {} is not in 1..1000", o.epochs));
    }
    if (!(o.lr > 0 && o.lr <= 10)) return bad(fmt::format("lr {} is not in (0, 10]", o.lr));
    if (o.min_count < 1) return bad("min_count must be at least 1");
    if (o.bucket < 0 || o.bucket > 100000000) {
        return bad(fmt::format("bucket {} is not in 0..100000000", o.bucket));
    }
    if (o.threads < 0 || o.threads > 1024) {
        return bad(fmt::format("threads {} is not in 0..1024 (0 = all cores)", o.threads));
    }
    if (!(o.validation_fraction >= 0 && o.validation_fraction < 1)) {
        return bad(fmt::format("validation_fraction {} is not in [0, 1)", o.validation_fraction));
    }
    return Status();
}

Status write_lines(const std::string& path, const std::vector<std::string>& lines, size_t begin,
                   size_t end, base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<base::WritableFile> f, env->new_writable_file(path));
    std::string chunk;
    for (size_t i = begin; i < end; ++i) {
        chunk += lines[i];
        chunk += '\n';
        if (chunk.size() > (1 << 20)) {
            JENNY_RETURN_IF_ERROR(f->append(chunk));
            chunk.clear();
        }
    }
    JENNY_RETURN_IF_ERROR(f->append(chunk));
    return f->close();
}

}  // namespace

std::string flatten_for_fasttext(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool space = false;
    for (char c : text) {
        if (is_space(c)) {
            space = !out.empty();
        } else {
            if (space) out.push_back(' ');
            space = false;
            out.push_back(c);
        }
    }
    return out;
}

Result<QualityClassifierTrainReport> train_quality_classifier(
    const QualityClassifierTrainOptions& options, base::Env* env) {
    JENNY_RETURN_IF_ERROR(check_options(options));
    if (env->file_exists(options.output)) {
        return Status::already_exists(
            fmt::format("{} exists; remove it or choose another output", options.output));
    }
    const uint64_t cap = options.max_documents_per_class;
    JENNY_ASSIGN_OR_RETURN(
        std::vector<std::string> pos,
        read_documents(options.positive, "positive", options.text_field, cap, env));
    JENNY_ASSIGN_OR_RETURN(
        std::vector<std::string> neg,
        read_documents(options.negative, "negative", options.text_field, cap, env));

    QualityClassifierTrainReport report;
    report.positives = pos.size();
    report.negatives = neg.size();
    std::vector<std::string> lines;
    lines.reserve(pos.size() + neg.size());
    for (auto& d : pos) lines.push_back(kLabelPrefix + options.positive_label + " " + d);
    for (auto& d : neg) lines.push_back(kLabelPrefix + options.negative_label + " " + d);
    pos.clear();
    neg.clear();
    std::mt19937_64 rng(static_cast<uint64_t>(options.seed));
    std::shuffle(lines.begin(), lines.end(), rng);
    const auto n_valid = static_cast<size_t>(
        std::floor(static_cast<double>(lines.size()) * options.validation_fraction));
    const size_t n_train = lines.size() - n_valid;
    if (n_train == 0) return Status::invalid_argument("no training examples left after the split");
    report.train_examples = n_train;
    report.validation_examples = n_valid;

    const std::string train_path = options.output + ".train.tmp";
    const std::string model_tmp = options.output + ".tmp";
    Status st = write_lines(train_path, lines, 0, n_train, env);
    if (!st.ok()) {
        (void)env->remove_file(train_path);
        return st.with_context("writing fastText's training file");
    }

    fasttext::Args args;
    args.input = train_path;
    args.output = options.output;
    args.model = fasttext::model_name::sup;
    args.loss = fasttext::loss_name::softmax;
    args.dim = options.dim;
    args.wordNgrams = options.word_ngrams;
    args.epoch = options.epochs;
    args.lr = options.lr;
    args.minCount = options.min_count;
    args.minCountLabel = 1;
    args.minn = 0;
    args.maxn = 0;
    args.bucket = options.word_ngrams > 1 ? options.bucket : 0;
    args.thread = options.threads > 0
                      ? options.threads
                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    args.verbose = 0;
    args.seed = options.seed;
    args.label = kLabelPrefix;
    fasttext::FastText ft;
    try {
        ft.train(args);
        if (n_valid > 0) {
            std::string valid;
            for (size_t i = n_train; i < lines.size(); ++i) valid += lines[i] + "\n";
            std::istringstream in(valid);
            const auto result = ft.test(in, 1, 0.0);
            report.validation_accuracy = std::get<1>(result);
        }
        ft.saveModel(model_tmp);
    } catch (const std::exception& e) {
        (void)env->remove_file(train_path);
        (void)env->remove_file(model_tmp);
        return Status::internal(fmt::format("fastText failed: {}", e.what()));
    }
    (void)env->remove_file(train_path);
    st = env->rename_file(model_tmp, options.output);
    if (!st.ok()) {
        (void)env->remove_file(model_tmp);
        return st;
    }
    return report;
}

QualityClassifier::~QualityClassifier() = default;

Result<std::unique_ptr<QualityClassifier>> QualityClassifier::load(
    const QualityFilterOptions& options) {
    if (!valid_label(options.label)) {
        return Status::invalid_argument("the classifier's label must be one word");
    }
    if (!base::Env::Default()->file_exists(options.model)) {
        return Status::not_found(fmt::format("fastText model {} does not exist", options.model));
    }
    auto c = std::unique_ptr<QualityClassifier>(new QualityClassifier());
    c->model_ = std::make_unique<fasttext::FastText>();
    c->label_ = kLabelPrefix + options.label;
    c->threshold_ = options.threshold;
    try {
        c->model_->loadModel(options.model);
        if (c->model_->getArgs().model != fasttext::model_name::sup) {
            return Status::invalid_argument(
                fmt::format("{} is a word-vector model, not a classifier", options.model));
        }
        auto dict = c->model_->getDictionary();
        c->n_labels_ = dict->nlabels();
        bool found = false;
        std::string labels;
        for (int32_t i = 0; i < c->n_labels_; ++i) {
            const std::string l = dict->getLabel(i);
            found = found || l == c->label_;
            labels += (i ? ", " : "") + l;
        }
        if (!found) {
            return Status::invalid_argument(
                fmt::format("{} has no label {} (it has: {})", options.model, c->label_, labels));
        }
    } catch (const std::exception& e) {
        return Status::invalid_argument(
            fmt::format("{} is not a fastText model ({})", options.model, e.what()));
    }
    return c;
}

double QualityClassifier::score(std::string_view text) const {
    const std::string line = flatten_for_fasttext(text);
    if (line.empty()) return 0;  // fastText would still score its end-of-line token
    std::istringstream in(line + "\n");
    std::vector<std::pair<fasttext::real, std::string>> predictions;
    model_->predictLine(in, predictions, n_labels_, 0.0);
    for (const auto& [p, label] : predictions) {
        if (label == label_) return std::clamp(static_cast<double>(p), 0.0, 1.0);
    }
    return 0;
}

Verdict QualityClassifier::filter(const Document& doc) const {
    return score(doc.text) >= threshold_ ? Verdict::kept() : Verdict::drop("fasttext_quality");
}

}  // namespace jenny::data
