// BatchSource: the training and validation micro-batches of a run, as a pure function of the
// global sample index g. Training sample g is window GlobalSampler::pick(g) of the token
// datasets (docs/formats/tokens.md), so a resumed run, or a run split over N processes that
// take disjoint g, reads exactly the samples an uninterrupted single process would.
// Validation samples are the val windows in order (cycling when fewer are asked for).
// Synthetic data (benchmarks): uniform tokens drawn from (seed, g).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/train/train_config.h"

namespace jenny::train {

class BatchSource {
public:
    // Opens every dataset of config.data. vocab_size: the model's (every dataset's vocabulary
    // must fit in it). tokenizer_hash: the model tokenizer's fingerprint; a dataset made with
    // another tokenizer is kFailedPrecondition naming both hashes (empty: not checked).
    static base::Result<std::unique_ptr<BatchSource>> open(const TrainConfig& config,
                                                           int vocab_size,
                                                           const std::string& tokenizer_hash,
                                                           base::Env* env = base::Env::Default());
    ~BatchSource();

    // inputs, targets: (B, T) for training samples [g0, g0 + B). targets < 0: no loss.
    // seg_begin (B, T), optional: for each token, the offset in its window where its document
    // starts (0 when the document began before the window), for TrainModel's attention reset.
    void read_train(int64_t g0, int B, int32_t* inputs, int32_t* targets,
                    int32_t* seg_begin = nullptr) const;
    // Validation samples [i0, i0 + B) (cycling). Requires has_val().
    void read_val(int64_t i0, int B, int32_t* inputs, int32_t* targets,
                  int32_t* seg_begin = nullptr) const;
    bool has_val() const;
    int64_t n_train_windows() const;
    int64_t n_val_windows() const;
    int64_t train_tokens() const;  // tokens behind the train windows
    // "2 sources (web 0.75, code 0.25): 12,345 train windows of 256, 120 val windows"
    std::string describe() const;

private:
    struct Impl;
    explicit BatchSource(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace jenny::train
