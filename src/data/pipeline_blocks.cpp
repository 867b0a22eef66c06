// The registry of block kinds `jenny data run` knows (docs/formats/pipeline.md lists them
// with their parameters and reasons).
#include "data/pipeline_block.h"
#include "data/pipeline_tokenize.h"
#include "data/text_normalize.h"
#include "jenny/data/decontamination.h"
#include "jenny/data/exact_dedup.h"
#include "jenny/data/fasttext_classifier.h"
#include "jenny/data/language_id.h"
#include "jenny/data/minhash_dedup.h"
#include "jenny/data/pii.h"
#include "jenny/data/quality_filters.h"
#include "jenny/data/url_filter.h"

namespace jenny::data {

namespace {

// A kind bound here for its parameters only: the runner does its work (tokenize; the dedup
// blocks, which split the pipeline into stages).
template <class Options>
BlockKind runner_kind(std::string name, std::string help) {
    return loaded_block<Options, Options>(
        std::move(name), std::move(help),
        [](const Options&, base::Env*) -> base::Result<std::unique_ptr<Options>> {
            return base::Status::internal("this block is run by the pipeline runner");
        },
        [](const Options&, Document&, BlockCounters&) { return Verdict::kept(); });
}

Verdict decontaminate(const DecontaminationFilter& f, Document& doc, BlockCounters& c) {
    std::optional<DecontaminationMatch> match;
    Verdict v = f.filter(doc, &match);
    if (match) ++c["matched_" + match->eval_set];
    return v;
}

Verdict pii_block(Document& doc, const PiiOptions& o, BlockCounters& c) {
    const PiiCounts n = scrub_pii(doc, o);
    if (n.email) c["email"] += static_cast<int64_t>(n.email);
    if (n.ip) c["ip"] += static_cast<int64_t>(n.ip);
    if (n.phone) c["phone"] += static_cast<int64_t>(n.phone);
    if (n.id) c["id"] += static_cast<int64_t>(n.id);
    return Verdict::kept();
}

Verdict language_block(Document& doc, const LanguageFilterOptions& o, BlockCounters& c) {
    Verdict v = language_filter(doc, o);
    if (!doc.language.empty()) ++c["lang_" + doc.language];
    return v;
}

std::vector<BlockKind> make_kinds() {
    std::vector<BlockKind> kinds;
    kinds.push_back(function_block<NormalizeOptions>(
        "normalize", "Unicode NFC/NFKC and whitespace repair", normalize_document));
    kinds.push_back(
        function_block<LengthOptions>("length", "character and word count bounds", length_filter));
    kinds.push_back(function_block<GopherQualityOptions>(
        "gopher_quality", "Gopher quality rules (datatrove GopherQualityFilter)", gopher_quality));
    kinds.push_back(function_block<GopherRepetitionOptions>(
        "gopher_repetition", "Gopher repetition rules (datatrove GopherRepetitionFilter)",
        gopher_repetition));
    kinds.push_back(function_block<C4QualityOptions>(
        "c4_quality", "C4 line edits and document rules (datatrove C4QualityFilter)", c4_quality));
    kinds.push_back(function_block<FineWebQualityOptions>(
        "fineweb_quality", "FineWeb rules (datatrove FineWebQualityFilter)", fineweb_quality));
    kinds.push_back(counting_block<LanguageFilterOptions>(
        "language", "language id (CLD2) with score thresholds", language_block));
    kinds.push_back(loaded_block<UrlFilterOptions, UrlFilter>(
        "url_filter", "blocked domains and URL words",
        [](const UrlFilterOptions& o, base::Env* env) -> base::Result<std::unique_ptr<UrlFilter>> {
            JENNY_ASSIGN_OR_RETURN(UrlFilter f, UrlFilter::create(o, env));
            return std::make_unique<UrlFilter>(std::move(f));
        },
        [](const UrlFilter& f, Document& doc, BlockCounters&) { return f.filter(doc); }));
    kinds.push_back(counting_block<PiiOptions>(
        "pii", "e-mail, IP, phone and ID numbers -> replacement tokens", pii_block));
    kinds.push_back(loaded_block<DecontaminationOptions, DecontaminationFilter>(
        "decontaminate", "drop (or flag) documents sharing an n-gram with eval sets",
        [](const DecontaminationOptions& o, base::Env* env) {
            return DecontaminationFilter::create(o, env);
        },
        decontaminate));
    kinds.push_back(loaded_block<QualityFilterOptions, QualityClassifier>(
        "fasttext_quality", "a fastText quality classifier (jenny data train-classifier)",
        [](const QualityFilterOptions& o, base::Env*) { return QualityClassifier::load(o); },
        [](const QualityClassifier& q, Document& doc, BlockCounters&) { return q.filter(doc); }));
    kinds.push_back(runner_kind<ExactDedupOptions>(
        "exact_dedup", "drop repeats of a normalised text across all tasks (keeps the first)"));
    kinds.push_back(runner_kind<MinhashOptions>(
        "minhash", "MinHash-LSH near-duplicate removal across all tasks (keeps the first)"));
    kinds.push_back(runner_kind<PipelineTokenizeOptions>(
        "tokenize", "kept documents -> a token dataset per task (must be the last block)"));
    return kinds;
}

}  // namespace

const std::vector<BlockKind>& block_kinds() {
    static const std::vector<BlockKind> kinds = make_kinds();
    return kinds;
}

}  // namespace jenny::data
