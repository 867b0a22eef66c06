// run_training's guards and failure paths on a tiny model with synthetic data: non-finite
// gradients or loss skip the update (logged, counted) and abort after guards.max_bad_steps in a
// row; a loss spike above guards.spike_zscore skips the update; a full disk while checkpointing
// fails the run naming the file, leaves the earlier checkpoints valid and --resume continues
// from the newest one to the same final weights as an uninterrupted run; a crash while
// metrics.jsonl is rewritten on resume loses no line. Faults come from TrainOptions'
// after_backward hook and from Env wrappers.
#include "jenny/train/trainer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/checkpoint/checkpoint_store.h"
#include "jenny/checkpoint/safetensors.h"

namespace jenny::train {
namespace {

using base::Env;
using base::Status;

class TrainerTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jenny_trainer_test_XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // 8 steps of a 0.1 M-parameter model on synthetic tokens, a checkpoint every 2 steps.
    TrainConfig config(const std::string& run = "run") const {
        TrainConfig c;
        c.model.vocab_size = 128;
        c.model.hidden_size = 32;
        c.model.intermediate_size = 64;
        c.model.num_hidden_layers = 2;
        c.model.num_attention_heads = 2;
        c.model.max_position_embeddings = 32;
        c.data.synthetic = true;
        c.batch.micro_batch = 2;
        c.batch.seq_len = 16;
        c.batch.grad_accum = 2;
        c.optim.lr_max = 1e-3;
        c.schedule.warmup_steps = 1;
        c.schedule.total_steps = 8;
        c.eval.every = 0;
        c.eval.batches = 1;
        c.checkpoint.every_steps = 2;
        c.checkpoint.keep_last = 3;
        c.threads = 1;
        c.out_dir = dir_ + "/" + run;
        return c;
    }

    TrainOptions options(Env* env = Env::Default()) {
        TrainOptions o;
        o.env = env;
        o.print = [this](std::string_view s) { printed_ += s; };
        return o;
    }

    std::vector<nlohmann::json> metrics(const std::string& out_dir) const {
        std::vector<nlohmann::json> lines;
        auto text = Env::Default()->read_file(out_dir + "/metrics.jsonl");
        EXPECT_TRUE(text.ok()) << text.status().to_string();
        if (!text.ok()) return lines;
        size_t pos = 0;
        while (pos < text->size()) {
            const size_t end = text->find('\n', pos);
            lines.push_back(nlohmann::json::parse(text->substr(pos, end - pos)));
            pos = end + 1;
        }
        return lines;
    }

    static int64_t adamw_step(const std::string& checkpoint_dir) {
        auto st = checkpoint::SafetensorsFile::open(checkpoint_dir + "/optimizer.safetensors");
        EXPECT_TRUE(st.ok()) << st.status().to_string();
        return st.ok() ? std::stoll((*st)->metadata().at("adamw_step")) : -1;
    }

    static std::string read(const std::string& path) {
        auto text = Env::Default()->read_file(path);
        EXPECT_TRUE(text.ok()) << text.status().to_string();
        return text.ok() ? *text : std::string();
    }

    std::string dir_;
    std::string printed_;
};

TEST_F(TrainerTest, NonFiniteGradientsSkipTheUpdateAndAreCounted) {
    const TrainConfig c = config();
    TrainOptions o = options();
    o.after_backward = [](int64_t step, double* loss, float* grads, int64_t) {
        if (step == 3 || step == 4) grads[0] = std::numeric_limits<float>::quiet_NaN();
        if (step == 6) *loss = std::numeric_limits<double>::infinity();
    };
    auto out = run_training(c, o);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ(out->end, TrainOutcome::End::kFinished);
    EXPECT_EQ(out->steps_done, 8);
    EXPECT_EQ(out->skipped_steps, 3);
    EXPECT_NE(printed_.find("step 3: non-finite"), std::string::npos) << printed_;
    EXPECT_NE(printed_.find("step 4: non-finite"), std::string::npos) << printed_;
    EXPECT_NE(printed_.find("(2 in a row)"), std::string::npos) << printed_;
    EXPECT_NE(printed_.find("step 6: non-finite"), std::string::npos) << printed_;
    const auto lines = metrics(c.out_dir);
    ASSERT_EQ(lines.size(), 8u);
    for (const auto& l : lines) {
        const int64_t s = l.at("step").get<int64_t>();
        const bool bad = s == 3 || s == 4 || s == 6;
        EXPECT_EQ(l.contains("skipped"), bad) << l.dump();
        if (bad) {
            EXPECT_EQ(l.at("skipped"), "non-finite") << l.dump();
        }
    }
    // AdamW took 5 steps, not 8: the skipped ones did not touch the weights or the moments.
    EXPECT_EQ(adamw_step(out->last_checkpoint), 5);
    const auto state = nlohmann::json::parse(read(out->last_checkpoint + "/trainer_state.json"));
    EXPECT_EQ(state.at("skipped_steps"), 3);
}

TEST_F(TrainerTest, AbortsAfterMaxBadStepsInARow) {
    TrainConfig c = config();
    c.guards.max_bad_steps = 3;
    TrainOptions o = options();
    // Two bad steps, a good one (the count restarts), then bad from step 5 on.
    o.after_backward = [](int64_t step, double*, float* grads, int64_t n) {
        if (step == 2 || step == 3 || step >= 5)
            grads[n - 1] = std::numeric_limits<float>::infinity();
    };
    auto out = run_training(c, o);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ(out->end, TrainOutcome::End::kNonFinite);
    EXPECT_EQ(out->steps_done, 7);
    EXPECT_EQ(out->skipped_steps, 5);
    EXPECT_TRUE(out->model_dir.empty());
    EXPECT_NE(printed_.find("stopping: 3 non-finite steps in a row (guards.max_bad_steps)"),
              std::string::npos)
        << printed_;
    EXPECT_EQ(metrics(c.out_dir).size(), 7u);
}

TEST_F(TrainerTest, LossSpikeSkipsTheUpdate) {
    TrainConfig c = config();
    c.schedule.total_steps = 12;
    c.guards.spike_zscore = 4;
    c.guards.spike_window = 8;
    TrainOptions o = options();
    o.after_backward = [](int64_t step, double* loss, float*, int64_t) {
        if (step == 10) *loss += 1.0;  // the synthetic loss moves by ~0.01 per step
    };
    auto out = run_training(c, o);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ(out->end, TrainOutcome::End::kFinished);
    EXPECT_EQ(out->skipped_steps, 1) << printed_;
    EXPECT_NE(printed_.find("step 10: loss spike"), std::string::npos) << printed_;
    for (const auto& l : metrics(c.out_dir))
        EXPECT_EQ(l.contains("skipped"), l.at("step") == 10) << l.dump();
    EXPECT_EQ(adamw_step(out->last_checkpoint), 11);

    // The same spike with the guard off is an ordinary step.
    c.guards.spike_zscore = 0;
    c.out_dir = dir_ + "/off";
    out = run_training(c, o);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ(out->skipped_steps, 0);
}

TEST_F(TrainerTest, LastingLossShiftIsSkippedOnlyUntilTheWindowFollows) {
    TrainConfig c = config();
    c.schedule.total_steps = 14;
    c.checkpoint.every_steps = 0;
    c.guards.spike_zscore = 4;
    c.guards.spike_window = 8;
    TrainOptions o = options();
    o.after_backward = [](int64_t step, double* loss, float*, int64_t) {
        if (step >= 9) *loss += 1.0;  // e.g. a harder data mixture from step 9 on
    };
    auto out = run_training(c, o);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_GE(out->skipped_steps, 1) << printed_;
    EXPECT_LE(out->skipped_steps, 2) << printed_;
    const auto lines = metrics(c.out_dir);
    ASSERT_EQ(lines.size(), 14u);
    for (size_t i = 11; i < lines.size(); ++i) EXPECT_FALSE(lines[i].contains("skipped"));
}

// Appends to files under `dir` fail with ENOSPC once armed (after writing half the data).
class DiskFullEnv : public base::EnvWrapper {
public:
    DiskFullEnv(Env* target, std::string dir) : EnvWrapper(target), dir_(std::move(dir)) {}
    bool armed = false;

    base::Result<std::unique_ptr<base::WritableFile>> new_writable_file(
        const std::string& p) override {
        JENNY_ASSIGN_OR_RETURN(auto f, target()->new_writable_file(p));
        if (p.rfind(dir_, 0) != 0) return f;
        return std::unique_ptr<base::WritableFile>(new File(this, p, std::move(f)));
    }

private:
    class File : public base::WritableFile {
    public:
        File(DiskFullEnv* env, std::string path, std::unique_ptr<base::WritableFile> f)
            : env_(env), path_(std::move(path)), f_(std::move(f)) {}
        Status append(std::string_view d) override {
            if (env_->armed) {
                (void)f_->append(d.substr(0, d.size() / 2));
                return Status::resource_exhausted("write " + path_ + ": No space left on device");
            }
            return f_->append(d);
        }
        Status sync() override { return f_->sync(); }
        Status close() override { return f_->close(); }

    private:
        DiskFullEnv* env_;
        std::string path_;
        std::unique_ptr<base::WritableFile> f_;
    };
    std::string dir_;
};

TEST_F(TrainerTest, DiskFullWhileCheckpointingKeepsEarlierCheckpointsAndResumes) {
    const TrainConfig ref_config = config("ref");
    auto ref = run_training(ref_config, options());
    ASSERT_TRUE(ref.ok()) << ref.status().to_string();

    const TrainConfig c = config();
    DiskFullEnv env(Env::Default(), c.out_dir + "/checkpoints");
    TrainOptions o = options(&env);
    o.max_steps = 4;
    auto first = run_training(c, o);
    ASSERT_TRUE(first.ok()) << first.status().to_string();
    EXPECT_EQ(first->end, TrainOutcome::End::kStepLimit);

    // Steps 5 and 6, then the disk fills while checkpoint 6 is written.
    env.armed = true;
    o.resume = true;
    o.max_steps = 0;
    auto full = run_training(c, o);
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.status().code(), base::StatusCode::kResourceExhausted)
        << full.status().to_string();
    EXPECT_NE(full.status().message().find("No space left on device"), std::string::npos)
        << full.status().to_string();
    EXPECT_NE(full.status().message().find(c.out_dir + "/checkpoints/"), std::string::npos)
        << full.status().to_string();
    EXPECT_NE(full.status().message().find("step 6"), std::string::npos)
        << full.status().to_string();

    auto store = checkpoint::CheckpointStore::open(c.out_dir + "/checkpoints", 3);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    std::vector<int64_t> steps;
    for (const auto& info : store->list()) {
        steps.push_back(info.step);
        EXPECT_TRUE(store->verify(info.path).ok()) << store->verify(info.path).to_string();
    }
    EXPECT_EQ(steps, (std::vector<int64_t>{2, 4}));
    auto names = Env::Default()->list_dir(c.out_dir + "/checkpoints");
    ASSERT_TRUE(names.ok()) << names.status().to_string();
    for (const std::string& name : *names)
        EXPECT_EQ(name.rfind(".tmp", 0), std::string::npos) << name << " left behind";

    // Space again: --resume continues from step 4 and ends where the uninterrupted run did.
    env.armed = false;
    printed_.clear();
    auto resumed = run_training(c, o);
    ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();
    EXPECT_NE(printed_.find("resume: step 4 from"), std::string::npos) << printed_;
    EXPECT_EQ(resumed->end, TrainOutcome::End::kFinished);
    EXPECT_EQ(read(resumed->last_checkpoint + "/model.safetensors"),
              read(ref->last_checkpoint + "/model.safetensors"));
    EXPECT_EQ(read(resumed->model_dir + "/model.safetensors"),
              read(ref->model_dir + "/model.safetensors"));
    auto a = metrics(c.out_dir), b = metrics(ref_config.out_dir);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
        for (const char* k : {"step", "loss", "lr", "grad_norm"}) EXPECT_EQ(a[i][k], b[i][k]) << k;
}

// Opening a metrics.jsonl* file creates (truncates) it and then fails, as if the process died
// right there.
class FailingOpenEnv : public base::EnvWrapper {
public:
    using EnvWrapper::EnvWrapper;
    base::Result<std::unique_ptr<base::WritableFile>> new_writable_file(
        const std::string& p) override {
        JENNY_ASSIGN_OR_RETURN(auto f, target()->new_writable_file(p));
        if (p.find("/metrics.jsonl") == std::string::npos) return f;
        (void)f->close();
        return Status::io_error("open " + p + ": crashed here");
    }
};

TEST_F(TrainerTest, ResumeRewritesMetricsWithoutLosingLines) {
    const TrainConfig c = config();
    TrainOptions o = options();
    o.max_steps = 5;  // checkpoint 4, metrics of steps 1..5 (and a checkpoint at the limit)
    ASSERT_TRUE(run_training(c, o).ok());
    const std::string before = read(c.out_dir + "/metrics.jsonl");
    ASSERT_EQ(metrics(c.out_dir).size(), 5u);

    FailingOpenEnv env(Env::Default());
    TrainOptions failing = options(&env);
    failing.resume = true;
    EXPECT_FALSE(run_training(c, failing).ok());
    EXPECT_EQ(read(c.out_dir + "/metrics.jsonl"), before);
}

}  // namespace
}  // namespace jenny::train
