// The registry of block kinds `jenny data run` knows (docs/formats/pipeline.md lists them
// with their parameters and reasons).
#include "data/pipeline_block.h"
#include "data/pipeline_tokenize.h"
#include "data/text_normalize.h"
#include "jenny/data/decontamination.h"
#include "jenny/data/fasttext_classifier.h"
#include "jenny/data/language_id.h"
#include "jenny/data/pii.h"
#include "jenny/data/quality_filters.h"
#include "jenny/data/url_filter.h"

namespace jenny::data {

namespace {

BlockKind tokenize_kind() {
    BlockKind k;
    k.name = "tokenize";
    k.help = "kept documents -> a token dataset per task (must be the last block)";
    k.bind = [](const base::ConfigNode& args) -> base::Result<BlockKind::Bound> {
        JENNY_ASSIGN_OR_RETURN(auto o, base::bind_config<PipelineTokenizeOptions>(args));
        BlockKind::Bound b;
        b.resolved = base::ConfigWriter::to_node(o);
        b.make = [](base::Env*) -> base::Result<std::unique_ptr<PipelineBlock>> {
            return base::Status::internal("tokenize is run by the pipeline runner");
        };
        return b;
    };
    return k;
}

// A block kind over `Verdict f(Document&, const Options&, BlockCounters&)`.
template <class Options, class Fn>
BlockKind counting_block(std::string name, std::string help, Fn fn) {
    BlockKind k;
    k.name = std::move(name);
    k.help = std::move(help);
    k.bind = [fn](const base::ConfigNode& args) -> base::Result<BlockKind::Bound> {
        JENNY_ASSIGN_OR_RETURN(Options o, base::bind_config<Options>(args));
        BlockKind::Bound b;
        b.resolved = base::ConfigWriter::to_node(o);
        b.make = [o, fn](base::Env*) -> base::Result<std::unique_ptr<PipelineBlock>> {
            class Block : public PipelineBlock {
            public:
                Block(Options o, Fn fn) : o_(std::move(o)), fn_(fn) {}
                Verdict process(Document& doc, BlockCounters& c) const override {
                    return fn_(doc, o_, c);
                }

            private:
                Options o_;
                Fn fn_;
            };
            return std::unique_ptr<PipelineBlock>(new Block(o, fn));
        };
        return b;
    };
    return k;
}

// A block kind whose options need loading (files, models) before documents flow: `Loaded`
// is made once from the options and shared by the tasks; `fn(loaded, doc, counters)` judges.
template <class Options, class Loaded, class Load, class Fn>
BlockKind loaded_block(std::string name, std::string help, Load load, Fn fn) {
    BlockKind k;
    k.name = std::move(name);
    k.help = std::move(help);
    k.bind = [load, fn](const base::ConfigNode& args) -> base::Result<BlockKind::Bound> {
        JENNY_ASSIGN_OR_RETURN(Options o, base::bind_config<Options>(args));
        BlockKind::Bound b;
        b.resolved = base::ConfigWriter::to_node(o);
        b.make = [o, load, fn](base::Env* env) -> base::Result<std::unique_ptr<PipelineBlock>> {
            class Block : public PipelineBlock {
            public:
                Block(std::unique_ptr<Loaded> l, Fn fn) : l_(std::move(l)), fn_(fn) {}
                Verdict process(Document& doc, BlockCounters& c) const override {
                    return fn_(*l_, doc, c);
                }

            private:
                std::unique_ptr<Loaded> l_;
                Fn fn_;
            };
            JENNY_ASSIGN_OR_RETURN(std::unique_ptr<Loaded> loaded, load(o, env));
            return std::unique_ptr<PipelineBlock>(new Block(std::move(loaded), fn));
        };
        return b;
    };
    return k;
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
    kinds.push_back(tokenize_kind());
    return kinds;
}

}  // namespace

const std::vector<BlockKind>& block_kinds() {
    static const std::vector<BlockKind> kinds = make_kinds();
    return kinds;
}

}  // namespace jenny::data
