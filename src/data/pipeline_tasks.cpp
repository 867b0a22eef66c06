// Which tasks of a pipeline this process runs, from the launcher's environment.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>

#include "jenny/data/pipeline.h"

namespace jenny::data {

namespace {

std::optional<int64_t> env_int(base::Env* env, const char* name) {
    auto v = env->get_env(name);
    if (!v || v->empty()) return std::nullopt;
    int64_t out = 0;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size()) return std::nullopt;
    return out;
}

}  // namespace

base::Result<std::optional<std::vector<int>>> pipeline_tasks_from_env(int tasks, std::string* who,
                                                                      base::Env* env) {
    std::vector<int> out;
    if (auto id = env_int(env, "SLURM_ARRAY_TASK_ID")) {
        const int64_t t = *id - env_int(env, "SLURM_ARRAY_TASK_MIN").value_or(0);
        if (t < 0 || t >= tasks)
            return base::Status::invalid_argument(fmt::format(
                "SLURM_ARRAY_TASK_ID {} gives task {}, but the pipeline has tasks: {} (submit "
                "with --array=0-{})",
                *id, t, tasks, tasks - 1));
        out.push_back(static_cast<int>(t));
        if (who) *who = fmt::format("Slurm array task {}", t);
        return std::optional<std::vector<int>>(std::move(out));
    }
    const std::pair<const char*, const char*> launchers[] = {
        {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
        {"PMIX_RANK", "PMI_SIZE"},
        {"PMI_RANK", "PMI_SIZE"},
        {"SLURM_PROCID", "SLURM_STEP_NUM_TASKS"}};
    for (const auto& [rank_var, size_var] : launchers) {
        const auto rank = env_int(env, rank_var), size = env_int(env, size_var);
        if (!rank || !size || *size <= 1 || *rank < 0 || *rank >= *size) continue;
        for (int64_t t = *rank; t < tasks; t += *size) out.push_back(static_cast<int>(t));
        if (who)
            *who = fmt::format("rank {} of {} ({}): tasks {}", *rank, *size, rank_var,
                               out.empty() ? "none" : fmt::format("{}", fmt::join(out, ",")));
        return std::optional<std::vector<int>>(std::move(out));
    }
    if (who) *who = fmt::format("all {} tasks in this process", tasks);
    return std::optional<std::vector<int>>();
}

}  // namespace jenny::data
