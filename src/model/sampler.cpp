#include "jenny/model/sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "jenny/base/check.h"
#include "jenny/kernels/softmax.h"

namespace jenny::model {

using base::Status;

namespace {

constexpr float kGreedyTemperature = 1e-5f;
constexpr int kMaxLogprobs = 20;
constexpr float kMaxBias = 100.0f;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

uint64_t splitmix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

Status out_of_range(const char* field, double value, const char* range) {
    return Status::invalid_argument(
        fmt::format("sampling: {} is {}; it must be in {}", field, value, range));
}

// Descending logit, then ascending id: a total order, so truncation is reproducible.
bool before(float la, int32_t ta, float lb, int32_t tb) { return la > lb || (la == lb && ta < tb); }

}  // namespace

Status validate(const SamplingParams& p, int vocab_size) {
    if (vocab_size <= 0) {
        return Status::invalid_argument(fmt::format("sampling: vocab size {}", vocab_size));
    }
    if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature)) {
        return out_of_range("temperature", p.temperature, "[0, inf)");
    }
    if (p.top_k < -1) return out_of_range("top_k", p.top_k, "[-1, inf) (0 or -1: off)");
    if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) return out_of_range("top_p", p.top_p, "(0, 1]");
    if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) return out_of_range("min_p", p.min_p, "[0, 1]");
    if (!(p.repetition_penalty > 0.0f) || !std::isfinite(p.repetition_penalty)) {
        return out_of_range("repetition_penalty", p.repetition_penalty, "(0, inf)");
    }
    if (!(p.presence_penalty >= -2.0f && p.presence_penalty <= 2.0f)) {
        return out_of_range("presence_penalty", p.presence_penalty, "[-2, 2]");
    }
    if (!(p.frequency_penalty >= -2.0f && p.frequency_penalty <= 2.0f)) {
        return out_of_range("frequency_penalty", p.frequency_penalty, "[-2, 2]");
    }
    for (const auto& [token, bias] : p.logit_bias) {
        if (token < 0 || token >= vocab_size) {
            return Status::invalid_argument(
                fmt::format("sampling: logit_bias token {} is outside the vocabulary [0, {})",
                            token, vocab_size));
        }
        if (!(bias >= -kMaxBias && bias <= kMaxBias)) {
            return out_of_range("a logit_bias value", bias, "[-100, 100]");
        }
    }
    if (p.n_logprobs < 0 || p.n_logprobs > kMaxLogprobs) {
        return out_of_range("n_logprobs", p.n_logprobs, "[0, 20]");
    }
    for (const std::string& s : p.stop) {
        if (s.empty()) return Status::invalid_argument("sampling: a stop string is empty");
    }
    for (int32_t id : p.stop_ids) {
        if (id < 0 || id >= vocab_size) {
            return Status::invalid_argument(fmt::format(
                "sampling: stop id {} is outside the vocabulary [0, {})", id, vocab_size));
        }
    }
    if (p.max_tokens < 1) return out_of_range("max_tokens", p.max_tokens, "[1, inf)");
    return Status();
}

bool is_greedy(const SamplingParams& params) { return params.temperature < kGreedyTemperature; }

double Sampler::uniform(uint64_t seed, uint64_t step) {
    const uint64_t h = splitmix64(splitmix64(seed) ^ step);
    return static_cast<double>(h >> 11) * 0x1.0p-53;
}

Sampler::Sampler(SamplingParams params, int vocab_size)
    : params_(std::move(params)), vocab_(vocab_size) {
    const Status st = validate(params_, vocab_size);
    JENNY_CHECK(st.ok(), "Sampler: {}", st.to_string());
    const size_t V = static_cast<size_t>(vocab_size);
    work_.resize(V);
    cand_.resize(V);
    weight_.resize(V);
    logprobs_.resize(V);
    counts_.assign(V, 0);
    seen_.assign(V, 0);
    touched_.reserve(V);
}

bool Sampler::is_stop_token(int32_t token) const {
    return std::find(params_.stop_ids.begin(), params_.stop_ids.end(), token) !=
           params_.stop_ids.end();
}

void Sampler::apply_penalties(float* w, std::span<const int32_t> history, int n_prompt) {
    for (int32_t t : history) {
        JENNY_CHECK(t >= 0 && t < vocab_, "Sampler: history token {} outside [0, {})", t, vocab_);
    }
    const float rep = params_.repetition_penalty;
    if (rep != 1.0f) {
        touched_.clear();
        for (int32_t t : history) {
            if (seen_[static_cast<size_t>(t)] == 0) {
                seen_[static_cast<size_t>(t)] = 1;
                touched_.push_back(t);
            }
        }
        for (int32_t t : touched_) {
            float& l = w[t];
            l = l > 0.0f ? l / rep : l * rep;
            seen_[static_cast<size_t>(t)] = 0;
        }
    }
    const float presence = params_.presence_penalty, frequency = params_.frequency_penalty;
    if (presence != 0.0f || frequency != 0.0f) {
        touched_.clear();
        const size_t first = std::min(history.size(), static_cast<size_t>(std::max(n_prompt, 0)));
        for (size_t i = first; i < history.size(); ++i) {
            const int32_t t = history[i];
            if (counts_[static_cast<size_t>(t)]++ == 0) touched_.push_back(t);
        }
        for (int32_t t : touched_) {
            int32_t& c = counts_[static_cast<size_t>(t)];
            w[t] -= presence + frequency * static_cast<float>(c);
            c = 0;
        }
    }
}

SampleResult Sampler::sample(const float* logits, std::span<const int32_t> history, int n_prompt,
                             uint64_t step) {
    float* w = work_.data();
    std::copy(logits, logits + vocab_, w);
    apply_penalties(w, history, n_prompt);
    for (const auto& [token, bias] : params_.logit_bias) w[token] += bias;

    // Greedy needs only the argmax (lowest id on ties): no sort, no random draw.
    int32_t best = 0;
    float max_logit = w[0];
    for (int32_t i = 1; i < vocab_; ++i) {
        if (w[i] > max_logit) {
            max_logit = w[i];
            best = i;
        }
    }
    SampleResult r;
    float* lp = logprobs_.data();
    if (max_logit == kNegInf) {
        std::fill(logprobs_.begin(), logprobs_.end(), kNegInf);
    } else {
        kernels::log_softmax_forward(lp, w, 1, vocab_);
    }
    if (params_.n_logprobs > 0) top_logprobs(lp, params_.n_logprobs, &r.top);
    if (max_logit == kNegInf) {
        r.token = 0;
    } else {
        r.token = is_greedy(params_) ? best : sample_truncated(w, best, step);
    }
    r.logprob = lp[r.token];
    return r;
}

void Sampler::top_logprobs(const float* lp, int n, std::vector<TokenLogprob>* out) {
    // Insertion into a sorted list of at most n (<= 20): one comparison per token for most.
    n = std::min(n, vocab_);
    out->clear();
    out->reserve(static_cast<size_t>(n));
    for (int32_t i = 0; i < vocab_; ++i) {
        if (static_cast<int>(out->size()) == n &&
            !before(lp[i], i, out->back().logprob, out->back().token)) {
            continue;
        }
        if (static_cast<int>(out->size()) == n) out->pop_back();
        auto at = out->end();
        while (at != out->begin() && before(lp[i], i, (at - 1)->logprob, (at - 1)->token)) --at;
        out->insert(at, TokenLogprob{i, lp[i]});
    }
}

int32_t Sampler::sample_truncated(const float* w, int32_t best, uint64_t step) {
    const auto cmp = [](const Candidate& a, const Candidate& b) {
        return before(a.logit, a.token, b.logit, b.token);
    };
    // Probabilities at this temperature (0 for banned tokens).
    const float inv_t = 1.0f / params_.temperature;
    float* e = weight_.data();
    for (int32_t i = 0; i < vocab_; ++i) e[i] = w[i] * inv_t;
    kernels::softmax_forward(e, e, 1, vocab_);

    // top-k and top-p keep a prefix of the tokens in descending order; find its last element
    // (the boundary) by selection, never sorting the vocabulary.
    const bool top_k = params_.top_k > 0 && params_.top_k < vocab_;
    const bool top_p = params_.top_p < 1.0f;
    Candidate boundary{std::numeric_limits<float>::lowest(), vocab_};  // keeps everything
    if (top_k || top_p) {
        size_t n = 0;
        for (int32_t i = 0; i < vocab_; ++i) {
            if (e[i] > 0.0f) cand_[n++] = {w[i], i};
        }
        const auto at = [&](size_t i) { return cand_.begin() + static_cast<std::ptrdiff_t>(i); };
        if (top_k && static_cast<size_t>(params_.top_k) < n) {
            const size_t all = n;
            n = static_cast<size_t>(params_.top_k);
            std::nth_element(at(0), at(n - 1), at(all), cmp);
        }
        if (top_p) {
            // Weighted quickselect: the smallest prefix (in descending order) of the n
            // candidates whose mass reaches top_p of theirs. Invariant: [0, lo) precedes
            // [lo, hi) and holds mass acc < target; the prefix's last element is in [lo, hi).
            double total = 0.0;
            for (size_t i = 0; i < n; ++i) total += e[cand_[i].token];
            const double target = static_cast<double>(params_.top_p) * total;
            size_t lo = 0, hi = n;
            double acc = 0.0;
            while (hi - lo > 1) {
                const size_t mid = lo + (hi - lo) / 2;  // lo < mid < hi
                std::nth_element(at(lo), at(mid), at(hi), cmp);
                double mass = 0.0;
                for (size_t i = lo; i < mid; ++i) mass += e[cand_[i].token];
                if (acc + mass >= target) {
                    hi = mid;
                } else {
                    acc += mass;
                    lo = mid;
                }
            }
            n = lo + 1;
        }
        boundary = cand_[n - 1];
    }
    // min_p: p >= min_p * p_max. The most likely token always passes.
    const float p_floor = params_.min_p * e[best];
    const auto kept = [&](int32_t i) {
        return e[i] > 0.0f && e[i] >= p_floor && !before(boundary.logit, boundary.token, w[i], i);
    };

    // Walk the survivors in id order, so the token a draw picks depends only on the
    // distribution, not on the selection algorithm's internal order.
    double total = 0.0;
    for (int32_t i = 0; i < vocab_; ++i) {
        if (kept(i)) total += e[i];
    }
    const double target = uniform(params_.seed, step) * total;
    double acc = 0.0;
    int32_t last = -1;
    for (int32_t i = 0; i < vocab_; ++i) {
        if (!kept(i)) continue;
        acc += e[i];
        last = i;
        if (acc > target) return i;
    }
    return last;
}

}  // namespace jenny::model
