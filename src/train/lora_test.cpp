// LoRA training (TrainModel with options.lora) against PEFT (tests/fixtures/train/tiny_lora,
// tools/oracle/lora_oracle.py: r = 4, alpha = 8 on q_proj + v_proj of the tiny_llama base):
// logits and loss, every adapter gradient within 1e-4 relative (max |diff| / max |ref| per
// tensor), a 4-step AdamW trajectory (losses 1e-4, final adapters 2e-4 absolute). The same
// adapter at run time in model::LlamaModel (set_lora, no merge) and merged into the weights
// (merge_lora) give the same logits within 1e-5 of the largest, and PyTorch's within 1e-4.
// Finite differences of the adapter gradients (dropout on, recompute); a q8_0 / q4_0 base's
// gradients against an f32 base holding the same (dequantised) values; dropout
// is deterministic in (seed, step, micro-batch) and off in evaluation.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "jenny/checkpoint/safetensors.h"
#include "jenny/model/kv_cache.h"
#include "jenny/model/llama_model.h"
#include "jenny/model/lora_adapter.h"
#include "jenny/model/model_loader.h"
#include "jenny/train/adamw.h"
#include "jenny/train/lr_schedule.h"
#include "jenny/train/train_model.h"

namespace jenny::train {
namespace {

const std::string kTrain = std::string(JENNY_SOURCE_DIR) + "/tests/fixtures/train";
const std::string kBase = kTrain + "/tiny_llama";
const std::string kLora = kTrain + "/tiny_lora";

double rel_diff(const float* a, const float* b, int64_t n) {
    double md = 0, mr = 0;
    for (int64_t i = 0; i < n; ++i) {
        md = std::max(md, std::abs(static_cast<double>(a[i]) - b[i]));
        mr = std::max(mr, std::abs(static_cast<double>(b[i])));
    }
    return md / std::max(mr, 1e-30);
}

LoraOptions qv_options(int rank = 4, double alpha = 8) {
    LoraOptions o;
    o.rank = rank;
    o.alpha = alpha;
    o.targets = {model::kLoraQ, model::kLoraV};
    return o;
}

// Copies an adapter's tensors into tm's trainable parameters (by PEFT name).
void set_adapter(TrainModel& tm, const model::LoraAdapter& ad) {
    for (size_t l = 0; l < ad.a.size(); ++l)
        for (int t = 0; t < model::kLoraTargets; ++t)
            for (bool is_a : {true, false}) {
                const tensor::Tensor& src = (is_a ? ad.a : ad.b)[l][t];
                if (!src.defined()) continue;
                const ParamInfo* p = tm.find_param(model::lora_tensor_name(int(l), t, is_a));
                ASSERT_NE(p, nullptr);
                ASSERT_EQ(p->size, src.numel());
                std::copy(src.data_as<float>(), src.data_as<float>() + p->size,
                          tm.params() + p->offset);
            }
}

struct Fixture {
    model::LoadedModel base;
    model::LoraAdapter adapter;
    std::unique_ptr<TrainModel> tm;
    std::unique_ptr<checkpoint::SafetensorsFile> st;
    nlohmann::json js;
    int S = 0, A = 0, B = 0, T = 0;
    const int32_t* tokens = nullptr;
    const int32_t* targets = nullptr;

    std::vector<int32_t> inputs(int s, int a) const {
        std::vector<int32_t> in(static_cast<size_t>(B) * T);
        for (int b = 0; b < B; ++b)
            for (int t = 0; t < T; ++t)
                in[b * T + t] = tokens[((static_cast<int64_t>(s) * A + a) * B + b) * (T + 1) + t];
        return in;
    }
    const int32_t* targets_of(int s, int a) const {
        return targets + (static_cast<int64_t>(s) * A + a) * B * T;
    }
};

Fixture load_fixture() {
    Fixture f;
    model::LoadOptions lo;
    lo.load_tokenizer = false;
    auto m = model::load_model(kBase, lo);
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    if (!m.ok()) return f;
    f.base = std::move(*m);
    auto ad = model::load_lora_adapter(kLora, f.base.model->config());
    EXPECT_TRUE(ad.ok()) << ad.status().to_string();
    if (!ad.ok()) return f;
    f.adapter = std::move(*ad);
    EXPECT_EQ(f.adapter.config.rank, 4);
    EXPECT_EQ(f.adapter.config.alpha, 8);
    EXPECT_EQ(f.adapter.config.targets, (std::vector<int>{model::kLoraQ, model::kLoraV}));
    auto tm = TrainModel::create(f.base.model->config(), {.n_threads = 2, .lora = qv_options()});
    EXPECT_TRUE(tm.ok()) << tm.status().to_string();
    f.tm = std::move(*tm);
    EXPECT_TRUE(f.tm->load_weights(f.base.model->weights()).ok());
    f.tm->init_lora(1);
    set_adapter(*f.tm, f.adapter);
    auto st = checkpoint::SafetensorsFile::open(kLora + "/lora_fixture.safetensors");
    EXPECT_TRUE(st.ok()) << st.status().to_string();
    f.st = std::move(*st);
    std::ifstream in(kLora + "/lora_fixture.json");
    std::stringstream ss;
    ss << in.rdbuf();
    f.js = nlohmann::json::parse(ss.str());
    f.S = f.js.at("S");
    f.A = f.js.at("A");
    f.B = f.js.at("B");
    f.T = f.js.at("T");
    f.tokens = f.st->tensor("tokens")->data_as<int32_t>();
    f.targets = f.st->tensor("targets")->data_as<int32_t>();
    return f;
}

TEST(LoraOracle, TrainableParametersAreTheAdaptersInPeftNames) {
    Fixture f = load_fixture();
    ASSERT_TRUE(f.tm);
    const auto& names = f.js.at("param_names");
    ASSERT_EQ(f.tm->params_info().size(), names.size());
    std::vector<std::string> ours;
    for (const ParamInfo& p : f.tm->params_info()) ours.push_back(p.name);
    std::sort(ours.begin(), ours.end());
    for (size_t i = 0; i < ours.size(); ++i) EXPECT_EQ(ours[i], names[i].get<std::string>());
    EXPECT_EQ(f.tm->n_params(), TrainModel::count_lora_params(f.tm->config(), qv_options()));
    // 2 layers x (q: 4 x (48 + 48), v: 4 x (48 + 16)).
    EXPECT_EQ(f.tm->n_params(), 2 * (4 * 96 + 4 * 64));
}

TEST(LoraOracle, LogitsLossAndAdapterGradientsMatchPeft) {
    Fixture f = load_fixture();
    ASSERT_TRUE(f.tm);
    const int64_t V = f.tm->config().vocab_size;
    auto in = f.inputs(0, 0);
    std::vector<float> logits(static_cast<size_t>(f.B) * f.T * V);
    f.tm->forward_logits(in.data(), f.B, f.T, logits.data());
    auto ref = f.st->tensor("logits0");
    ASSERT_TRUE(ref.ok());
    EXPECT_LT(rel_diff(logits.data(), ref->data_as<float>(), ref->numel()), 1e-5);
    // The adapter matters: the base alone is far from these logits.
    auto base_ref = f.st->tensor("base_logits0");
    EXPECT_GT(rel_diff(base_ref->data_as<float>(), ref->data_as<float>(), ref->numel()), 0.1);

    const int32_t* tg = f.targets_of(0, 0);
    int64_t n = 0;
    for (int i = 0; i < f.B * f.T; ++i) n += tg[i] >= 0;
    f.tm->zero_grads();
    auto ce = f.tm->forward_backward(in.data(), tg, f.B, f.T, 1.0f / n);
    EXPECT_NEAR(ce.loss_sum / n, f.js.at("loss0").get<double>(), 1e-5);
    for (const ParamInfo& p : f.tm->params_info()) {
        auto g = f.st->tensor("grad." + p.name);
        ASSERT_TRUE(g.ok()) << p.name;
        ASSERT_EQ(g->numel(), p.size);
        EXPECT_LT(rel_diff(f.tm->grads() + p.offset, g->data_as<float>(), p.size), 1e-4) << p.name;
    }
}

TEST(LoraOracle, FourAdamWStepsFollowPeftsTrajectory) {
    Fixture f = load_fixture();
    ASSERT_TRUE(f.tm);
    TrainModel& tm = *f.tm;
    const auto& o = f.js.at("optimiser");
    AdamWConfig ac;
    ac.beta1 = o.at("beta1");
    ac.beta2 = o.at("beta2");
    ac.eps = o.at("eps");
    ac.weight_decay = o.at("weight_decay");
    ac.grad_clip = f.js.at("clip").at("max_norm");
    AdamW adamw(ac, tm.n_params(), {{0, tm.n_params(), true}});
    const auto& sj = f.js.at("schedule");
    LrSchedule sched;
    sched.kind = "cosine";
    sched.lr_max = sj.at("lr_max");
    sched.lr_min = sj.at("lr_min");
    sched.warmup_steps = sj.at("warmup_steps");
    sched.total_steps = sj.at("total_steps");
    for (int s = 0; s < f.S; ++s) {
        int64_t n = 0;
        for (int a = 0; a < f.A; ++a)
            for (int i = 0; i < f.B * f.T; ++i) n += f.targets_of(s, a)[i] >= 0;
        tm.zero_grads();
        double loss = 0;
        for (int a = 0; a < f.A; ++a) {
            auto in = f.inputs(s, a);
            tm.set_step(s, a);
            loss += tm.forward_backward(in.data(), f.targets_of(s, a), f.B, f.T, 1.0f / n).loss_sum;
        }
        loss /= n;
        EXPECT_NEAR(loss, f.js.at("losses")[s].get<double>(), 1e-4) << "step " << s;
        const double norm = grad_global_norm(tm.grads(), tm.n_params(), &tm.team());
        EXPECT_NEAR(norm / f.js.at("grad_norms")[s].get<double>(), 1.0, 1e-4) << "step " << s;
        clip_grad_norm(tm.grads(), tm.n_params(), norm, ac.grad_clip, &tm.team());
        adamw.step(tm.params(), tm.grads(), sched.lr(s), &tm.team());
    }
    for (const ParamInfo& p : tm.params_info()) {
        auto w = f.st->tensor("final." + p.name);
        ASSERT_TRUE(w.ok()) << p.name;
        double md = 0;
        for (int64_t i = 0; i < p.size; ++i)
            md = std::max(md, std::abs(double(tm.params()[p.offset + i]) - w->data_as<float>()[i]));
        EXPECT_LT(md, 2e-4) << p.name;
    }
}

// Every position's logits of (B, T) rows through a LlamaModel.
std::vector<float> run_model(model::LlamaModel& m, const std::vector<int32_t>& in, int B, int T) {
    const int V = m.config().vocab_size;
    auto kv = model::KvCache::create(m.kv_config(tensor::DType::kF32, 64, 4)).value();
    model::Batch b;
    for (int s = 0; s < B; ++s) {
        EXPECT_TRUE(kv->add_sequence(s).ok());
        EXPECT_TRUE(kv->append(s, T).ok());
        b.add_sequence(std::span<const int32_t>(in.data() + s * T, T), 0, s, true);
    }
    std::vector<float> out(b.n_outputs() * V);
    auto st = m.forward(b, *kv, out.data());
    EXPECT_TRUE(st.ok()) << st.to_string();
    return out;
}

TEST(LoraInference, RuntimeSidePathEqualsMergedWeightsAndPyTorch) {
    Fixture f = load_fixture();
    ASSERT_TRUE(f.tm);
    const model::LlamaConfig& c = f.base.model->config();
    auto in = f.inputs(0, 0);
    // Run time: the base's own weights plus the adapter's side path.
    auto side = model::LlamaModel::create(c, f.base.model->weights(), 2);
    ASSERT_TRUE(side.ok());
    ASSERT_TRUE((*side)->set_lora(std::make_shared<model::LoraAdapter>(f.adapter)).ok());
    const std::vector<float> with_side = run_model(**side, in, f.B, f.T);
    // Merged: W + s B A.
    model::LlamaWeights merged = f.base.model->weights();
    ASSERT_TRUE(model::merge_lora(&merged, f.adapter, c).ok());
    auto mm = model::LlamaModel::create(c, merged, 2);
    ASSERT_TRUE(mm.ok());
    const std::vector<float> with_merge = run_model(**mm, in, f.B, f.T);
    auto ref = f.st->tensor("logits0");
    ASSERT_EQ(static_cast<int64_t>(with_side.size()), ref->numel());
    EXPECT_LT(rel_diff(with_merge.data(), with_side.data(), ref->numel()), 1e-5);
    EXPECT_LT(rel_diff(with_side.data(), ref->data_as<float>(), ref->numel()), 1e-4);
    EXPECT_LT(rel_diff(with_merge.data(), ref->data_as<float>(), ref->numel()), 1e-4);
    // Removing the adapter gives the base back.
    ASSERT_TRUE((*side)->set_lora(nullptr).ok());
    const std::vector<float> plain = run_model(**side, in, f.B, f.T);
    EXPECT_LT(rel_diff(plain.data(), f.st->tensor("base_logits0")->data_as<float>(), ref->numel()),
              1e-4);
}

model::LlamaConfig q_config() {  // dims that fit q8_0 / q4_0 blocks of 32
    model::LlamaConfig c;
    c.vocab_size = 41;
    c.dim = 64;
    c.hidden_dim = 96;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 16;
    c.max_seq_len = 32;
    return c;
}

// A random base (std 0.3) in a plain TrainModel, for loading into LoRA ones.
std::unique_ptr<TrainModel> random_base(const model::LlamaConfig& c, double std = 0.3) {
    auto tm = TrainModel::create(c, {.n_threads = 1});
    EXPECT_TRUE(tm.ok());
    (*tm)->init_random(11, std);
    return std::move(*tm);
}

std::unique_ptr<TrainModel> lora_model(const model::LlamaConfig& c, const model::LlamaWeights& w,
                                       LoraOptions o, bool recompute = false) {
    auto tm = TrainModel::create(c, {.n_threads = 2, .recompute = recompute, .lora = o});
    EXPECT_TRUE(tm.ok()) << tm.status().to_string();
    EXPECT_TRUE((*tm)->load_weights(w).ok());
    (*tm)->init_lora(5);
    // B is zero at init; give it values so every gradient is exercised.
    for (const ParamInfo& p : (*tm)->params_info())
        if (p.name.ends_with("lora_B.weight"))
            for (int64_t i = 0; i < p.size; ++i)
                (*tm)->params()[p.offset + i] = 0.3f * std::sin(0.7f * float(i) + float(p.offset));
    return std::move(*tm);
}

void batch(std::vector<int32_t>& in, std::vector<int32_t>& tg, int B, int T, int V) {
    in.resize(B * T);
    tg.resize(B * T);
    for (int i = 0; i < B * T; ++i) {
        in[i] = (i * 11 + 3) % V;
        tg[i] = i % 5 == 2 ? -1 : (i * 7 + 1) % V;
    }
}

// Central differences of the training loss (dropout masks fixed by the step key) on a few
// coordinates of every adapter tensor.
void check_adapter_gradients(LoraOptions o, bool recompute) {
    auto base = random_base(q_config());
    auto tmp = lora_model(q_config(), base->weights_view(), o, recompute);
    TrainModel& m = *tmp;
    const int B = 2, T = 7;
    std::vector<int32_t> in, tg;
    batch(in, tg, B, T, q_config().vocab_size);
    int64_t n = 0;
    for (int32_t t : tg) n += t >= 0;
    m.zero_grads();
    m.set_step(3, 1);
    m.forward_backward(in.data(), tg.data(), B, T, 1.0f / n);
    std::vector<float> g(m.grads(), m.grads() + m.n_params());
    // The training loss with the same masks: forward_backward with grad_scale 0 adds nothing.
    std::vector<float> keep(g);
    auto loss = [&] {
        m.set_step(3, 1);
        auto ce = m.forward_backward(in.data(), tg.data(), B, T, 0.0f);
        return ce.loss_sum / n;
    };
    for (const ParamInfo& p : m.params_info()) {
        for (int k = 0; k < 3; ++k) {
            const int64_t i = p.offset + (k * 7919 + 13) % p.size;
            const float w0 = m.params()[i];
            const float h = 1e-2f;
            m.params()[i] = w0 + h;
            const double lp = loss();
            m.params()[i] = w0 - h;
            const double lm = loss();
            m.params()[i] = w0;
            const double fd = (lp - lm) / (2.0 * h);
            EXPECT_NEAR(g[i], fd, 2e-3 + 2e-2 * std::abs(fd))
                << p.name << " [" << i - p.offset << "]";
        }
    }
}

TEST(LoraGradients, FiniteDifferencesAllTargets) {
    LoraOptions o = qv_options(3, 6);
    o.targets = {0, 1, 2, 3, 4, 5, 6};
    check_adapter_gradients(o, false);
}
TEST(LoraGradients, FiniteDifferencesWithDropoutAndRecompute) {
    LoraOptions o = qv_options(2, 4);
    o.targets = {model::kLoraK, model::kLoraO, model::kLoraDown};
    o.dropout = 0.3;
    check_adapter_gradients(o, true);
}

// A quantised base and an f32 base holding its dequantised values compute the same thing up to
// the forward's activation rounding (the int8 matmul kernels quantise activations to q8_0);
// dx goes through dequantised row tiles + sgemm (kernels_matmul_dx_test checks that kernel
// against its reference to 2e-5).
TEST(LoraQuantisedBase, GradientsMatchAnF32BaseOfTheSameValues) {
    // Measured: q8_0 5.4e-2, q4_0 6.4e-2 of the largest gradient (logits 2.5e-2 apart): the
    // forward's q8 activation rounding, compounded through 2 layers; a wrong dx path (W
    // transposed, a tile skipped) is off by O(1).
    constexpr double kStd = 0.1, kGradBound = 0.15;
    for (tensor::DType dt : {tensor::DType::kQ8_0, tensor::DType::kQ4_0}) {
        auto base = random_base(q_config(), kStd);
        LoraOptions o = qv_options(4, 8);
        o.targets = {0, 1, 2, 3, 4, 5, 6};
        o.base_dtype = dt;
        auto q = lora_model(q_config(), base->weights_view(), o);
        // The f32 twin: the quantised model's weights, dequantised.
        model::LlamaWeights deq = q->weights_view();
        for (auto& l : deq.layers)
            for (int t = 0; t < model::kLoraTargets; ++t) {
                tensor::Tensor& w = model::lora_target_weight(l, t);
                EXPECT_EQ(w.dtype(), dt);
                w = w.to_f32();
            }
        o.base_dtype = tensor::DType::kF32;
        auto f = lora_model(q_config(), deq, o);
        const int B = 2, T = 9;
        std::vector<int32_t> in, tg;
        batch(in, tg, B, T, q_config().vocab_size);
        for (TrainModel* m : {q.get(), f.get()}) {
            m->zero_grads();
            m->forward_backward(in.data(), tg.data(), B, T, 1.0f / (B * T));
        }
        double worst = 0;
        for (const ParamInfo& p : q->params_info())
            worst = std::max(worst, rel_diff(q->grads() + p.offset, f->grads() + p.offset, p.size));
        std::vector<float> lq(B * T * q_config().vocab_size), lf(lq.size());
        q->forward_logits(in.data(), B, T, lq.data());
        f->forward_logits(in.data(), B, T, lf.data());
        std::printf("%s base (std %.2f): adapter grads vs the f32 twin %.2e, logits %.2e\n",
                    std::string(tensor::dtype_name(dt)).c_str(), kStd, worst,
                    rel_diff(lq.data(), lf.data(), lq.size()));
        EXPECT_LT(worst, kGradBound) << tensor::dtype_name(dt);
        // Memory: the frozen base at its dtype (layer projections only; the rest stays f32).
        LoraOptions oq = o;
        oq.base_dtype = dt;
        const model::LlamaConfig c = q_config();
        const double proj = 2.0 * (2.0 * c.dim * c.q_dim() + 2.0 * c.dim * c.kv_dim() +
                                   3.0 * c.dim * c.hidden_dim);  // elements, 2 layers
        EXPECT_NEAR(TrainModel::frozen_base_bytes(c, o) - TrainModel::frozen_base_bytes(c, oq),
                    proj * (4.0 - (dt == tensor::DType::kQ8_0 ? 34.0 : 18.0) / 32.0), 1.0);
    }
}

TEST(LoraDropout, DeterministicInTheStepKeyAndOffInEvaluation) {
    auto base = random_base(q_config());
    LoraOptions o = qv_options(4, 8);
    o.dropout = 0.5;
    auto m = lora_model(q_config(), base->weights_view(), o);
    LoraOptions o0 = o;
    o0.dropout = 0;
    auto m0 = lora_model(q_config(), base->weights_view(), o0);
    const int B = 2, T = 8;
    std::vector<int32_t> in, tg;
    batch(in, tg, B, T, q_config().vocab_size);
    auto grads_at = [&](int64_t step, int micro) {
        m->zero_grads();
        m->set_step(step, micro);
        m->forward_backward(in.data(), tg.data(), B, T, 1.0f);
        return std::vector<float>(m->grads(), m->grads() + m->n_params());
    };
    const auto g1 = grads_at(4, 0), g2 = grads_at(4, 0), g3 = grads_at(4, 1), g4 = grads_at(5, 0);
    EXPECT_EQ(g1, g2);
    EXPECT_NE(g1, g3);
    EXPECT_NE(g1, g4);
    // Evaluation does not drop: the loss equals the dropout-free model's exactly.
    EXPECT_EQ(m->forward_loss(in.data(), tg.data(), B, T).loss_sum,
              m0->forward_loss(in.data(), tg.data(), B, T).loss_sum);
    m0->zero_grads();
    m0->forward_backward(in.data(), tg.data(), B, T, 1.0f);
    EXPECT_NE(g1, std::vector<float>(m0->grads(), m0->grads() + m0->n_params()));
}

TEST(LoraOptions, BadOptionsAreRejected) {
    const model::LlamaConfig c = q_config();
    LoraOptions o = qv_options();
    o.targets.clear();
    EXPECT_EQ(TrainModel::create(c, {.lora = o}).status().code(),
              base::StatusCode::kInvalidArgument);
    o = qv_options();
    o.dropout = 1.0;
    EXPECT_EQ(TrainModel::create(c, {.lora = o}).status().code(),
              base::StatusCode::kInvalidArgument);
    o = qv_options();
    o.base_dtype = tensor::DType::kQ4_K;
    EXPECT_EQ(TrainModel::create(c, {.lora = o}).status().code(),
              base::StatusCode::kInvalidArgument);
    model::LlamaConfig odd = c;
    odd.dim = 48;
    odd.head_dim = 12;
    o = qv_options();
    o.base_dtype = tensor::DType::kQ8_0;
    auto r = TrainModel::create(odd, {.lora = o});
    EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("base_dtype"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace jenny::train
