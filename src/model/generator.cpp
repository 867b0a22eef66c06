#include "jenny/model/generator.h"

#include <fmt/format.h>

#include <algorithm>

#include "jenny/model/stop_matcher.h"

namespace jenny::model {

using base::Status;

base::Result<GenerateResult> generate(LoadedModel& m, std::span<const int32_t> prompt,
                                      const GenerateOptions& o,
                                      const std::function<bool(std::string_view)>& on_text,
                                      base::Env* env) {
    LlamaModel& model = *m.model;
    const LlamaConfig& c = model.config();
    const int n_prompt = static_cast<int>(prompt.size());
    if (n_prompt == 0) return Status::invalid_argument("the prompt is empty");
    if (!m.tokenizer) return Status::invalid_argument(m.path + ": no tokenizer loaded");
    if (n_prompt >= c.max_seq_len) {
        return Status::invalid_argument(
            fmt::format("prompt has {} tokens; the model's context is {} (shorten the prompt)",
                        n_prompt, c.max_seq_len));
    }
    for (int i = 0; i < n_prompt; ++i) {
        if (prompt[i] < 0 || prompt[i] >= c.vocab_size) {
            return Status::invalid_argument(
                fmt::format("prompt token {} is {}, outside the vocabulary [0, {})", i, prompt[i],
                            c.vocab_size));
        }
    }
    JENNY_RETURN_IF_ERROR(validate(o.sampling, c.vocab_size));
    const int max_new = std::min(o.sampling.max_tokens, c.max_seq_len - n_prompt);

    const int block = 16;
    const int64_t n_blocks = (n_prompt + max_new + block - 1) / block + 1;
    JENNY_ASSIGN_OR_RETURN(auto kv, KvCache::create(model.kv_config(o.kv_dtype, n_blocks, block)));
    JENNY_RETURN_IF_ERROR(kv->add_sequence(0));

    GenerateResult r;
    r.n_prompt = n_prompt;
    r.weight_bytes = model.weights().bytes();
    r.kv_bytes = kv->bytes_total();
    r.scratch_bytes = model.scratch_bytes(std::min(o.prefill_chunk, n_prompt), 1);
    Sampler sampler(o.sampling, c.vocab_size);
    StopMatcher stops(o.sampling.stop);
    tokenizer::StreamDecoder decoder(*m.tokenizer, o.skip_special);
    // The generated text continues the prompt's: decode the prompt first (and drop it), so a
    // SentencePiece "▁a" after "Once upon" keeps its space, as it does in decode(prompt + out).
    for (int32_t t : prompt) decoder.push(t);
    decoder.flush();
    std::vector<int32_t> history(prompt.begin(), prompt.end());
    std::vector<float> logits(c.vocab_size);
    Batch batch;

    const uint64_t t0 = env->now_micros();
    for (int start = 0; start < n_prompt; start += o.prefill_chunk) {
        const int n = std::min(o.prefill_chunk, n_prompt - start);
        JENNY_RETURN_IF_ERROR(kv->append(0, n));
        batch.clear();
        batch.add_sequence(prompt.subspan(start, n), start, 0);
        if (start + n < n_prompt) batch.want_logits.back() = 0;
        JENNY_RETURN_IF_ERROR(model.forward(batch, *kv, logits.data()));
    }
    const uint64_t t1 = env->now_micros();
    r.prompt_seconds = (t1 - t0) * 1e-6;

    auto emit = [&](std::string_view piece) {
        StopMatcher::Output out = stops.feed(piece);
        r.text += out.text;
        bool go = out.text.empty() || !on_text || on_text(out.text);
        if (!go) r.finish_reason = "cancelled";
        if (out.stopped) r.finish_reason = "stop";
        return go && !out.stopped;
    };
    r.finish_reason = "length";
    for (int step = 0; step < max_new; ++step) {
        SampleResult s = sampler.sample(logits.data(), history, n_prompt, step);
        r.tokens.push_back(s.token);
        r.samples.push_back(std::move(s));
        const int32_t tok = r.tokens.back();
        history.push_back(tok);
        const bool eos =
            o.stop_at_eos && std::find(m.eos_ids.begin(), m.eos_ids.end(), tok) != m.eos_ids.end();
        if (eos || sampler.is_stop_token(tok)) {
            r.finish_reason = "stop";
            break;
        }
        if (!emit(decoder.push(tok))) break;
        if (step + 1 == max_new) break;
        const int pos = n_prompt + step;
        if (pos + 1 >= c.max_seq_len) {
            r.finish_reason = "context";
            break;
        }
        JENNY_RETURN_IF_ERROR(kv->append(0, 1));
        batch.clear();
        batch.add(tok, pos, 0, true);
        JENNY_RETURN_IF_ERROR(model.forward(batch, *kv, logits.data()));
    }
    if (r.finish_reason != "cancelled" && !stops.stopped()) {
        emit(decoder.flush());
        std::string rest = stops.flush();
        r.text += rest;
        if (on_text && !rest.empty()) on_text(rest);
    }
    r.decode_seconds = (env->now_micros() - t1) * 1e-6;
    return r;
}

}  // namespace jenny::model
