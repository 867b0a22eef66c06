#include "jenny/data/decontamination.h"

#include <fmt/format.h>

#include <algorithm>

#include "data/eval_records.h"
#include "data/word_ngrams.h"
#include "jenny/base/check.h"

namespace jenny::data {
namespace {

using base::Result;
using base::Status;

// Keys are already XXH3 hashes; the slot is their top bits, so no extra mixing is needed.
inline size_t slot_of(uint64_t key, size_t mask) { return static_cast<size_t>(key >> 20) & mask; }

}  // namespace

DecontaminationIndex::DecontaminationIndex(int n_grams, const TextNormOptions& norm)
    : n_(n_grams), norm_(norm), keys_(1024, 0), set_of_(1024, 0) {
    JENNY_CHECK(n_grams >= 1 && n_grams <= 64, "DecontaminationIndex: n_grams {} not in 1..64",
                n_grams);
}

void DecontaminationIndex::grow() {
    std::vector<uint64_t> keys(keys_.size() * 2, 0);
    std::vector<uint32_t> sets(keys.size(), 0);
    const size_t mask = keys.size() - 1;
    for (size_t i = 0; i < keys_.size(); ++i) {
        if (keys_[i] == 0) continue;
        size_t s = slot_of(keys_[i], mask);
        while (keys[s] != 0) s = (s + 1) & mask;
        keys[s] = keys_[i];
        sets[s] = set_of_[i];
    }
    keys_.swap(keys);
    set_of_.swap(sets);
}

void DecontaminationIndex::insert(uint64_t key, uint32_t set) {
    if (key == 0) key = 1;
    if ((size_ + 1) * 2 > keys_.size()) grow();
    const size_t mask = keys_.size() - 1;
    size_t s = slot_of(key, mask);
    while (keys_[s] != 0) {
        if (keys_[s] == key) return;  // the first set to hold an n-gram names it
        s = (s + 1) & mask;
    }
    keys_[s] = key;
    set_of_[s] = set;
    ++size_;
}

void DecontaminationIndex::add_text(std::string_view set_name, std::string_view text) {
    uint32_t set = 0;
    while (set < sets_.size() && sets_[set] != set_name) ++set;
    if (set == sets_.size()) sets_.emplace_back(set_name);
    std::vector<uint64_t> ngrams, words;
    word_ngram_hashes(text, norm_, n_, /*whole_if_short=*/false, &ngrams, &words);
    for (uint64_t h : ngrams) insert(h, set);
}

Result<uint64_t> DecontaminationIndex::add_eval_path(std::string_view set_name,
                                                     const std::string& path, base::Env* env) {
    return for_each_eval_record(env, path,
                                [&](std::string_view text) { add_text(set_name, text); });
}

std::optional<DecontaminationMatch> DecontaminationIndex::find(std::string_view text) const {
    if (size_ == 0) return std::nullopt;
    thread_local std::vector<uint64_t> words;
    word_hashes(text, norm_, &words);
    const size_t mask = keys_.size() - 1;
    for (size_t i = 0; i + n_ <= words.size(); ++i) {
        uint64_t key = ngram_hash(words.data() + i, n_);
        if (key == 0) key = 1;
        for (size_t s = slot_of(key, mask); keys_[s] != 0; s = (s + 1) & mask) {
            if (keys_[s] == key) return DecontaminationMatch{sets_[set_of_[s]], i};
        }
    }
    return std::nullopt;
}

Result<std::unique_ptr<DecontaminationFilter>> DecontaminationFilter::create(
    const DecontaminationOptions& options, base::Env* env) {
    if (options.eval_sets.empty()) {
        return Status::invalid_argument(
            "decontamination: eval_sets is empty; list eval sets as name=path or path");
    }
    if (options.n_grams < 1 || options.n_grams > 64) {
        return Status::invalid_argument(
            fmt::format("decontamination: n_grams {} is not in 1..64", options.n_grams));
    }
    if (options.mode != "drop" && options.mode != "flag") {
        return Status::invalid_argument(
            fmt::format("decontamination: mode \"{}\" is not drop or flag", options.mode));
    }
    std::unique_ptr<DecontaminationFilter> f(new DecontaminationFilter(options));
    std::vector<std::string> names;
    for (const std::string& spec : options.eval_sets) {
        std::string name, path = spec;
        size_t eq = spec.find('=');
        if (eq != std::string::npos) {
            name = spec.substr(0, eq);
            path = spec.substr(eq + 1);
        }
        while (path.size() > 1 && path.back() == '/') path.pop_back();
        if (name.empty()) {
            size_t slash = path.rfind('/');
            name = slash == std::string::npos ? path : path.substr(slash + 1);
            size_t dot = name.find('.');
            if (dot != std::string::npos && dot > 0) name = name.substr(0, dot);
        }
        if (std::find(names.begin(), names.end(), name) != names.end()) {
            return Status::invalid_argument(fmt::format(
                "decontamination: eval set name \"{}\" is used twice; name them name=path", name));
        }
        names.push_back(name);
        auto n = f->index_.add_eval_path(name, path, env);
        if (!n.ok()) return n.status().with_context(fmt::format("eval set {}", name));
    }
    return f;
}

Verdict DecontaminationFilter::filter(const Document& doc,
                                      std::optional<DecontaminationMatch>* match) const {
    auto m = index_.find(doc.text);
    bool hit = m.has_value();
    if (match != nullptr) *match = std::move(m);
    if (hit && options_.mode == "drop") return Verdict::drop("decontaminated");
    return Verdict::kept();
}

}  // namespace jenny::data
