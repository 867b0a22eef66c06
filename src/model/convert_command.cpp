#include "jenny/model/convert_command.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "jenny/model/model_loader.h"
#include "jenny/model/model_writer.h"

namespace jenny::model {

using base::Status;
using tensor::DType;

namespace {

// The path with symlinks and "." / ".." resolved as far as it exists (for comparisons only).
std::string canonical(const std::string& path) {
    std::error_code ec;
    auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
    return ec ? path : p.string();
}

bool holds(const std::string& to, DType d) {
    if (d == DType::kF32 || d == DType::kF16 || d == DType::kBF16) return true;
    return to == "gguf" && (d == DType::kQ8_0 || d == DType::kQ4_0);
}

// "auto": the dtype most of the source's weight bytes are in, when the target holds it.
DType resolve_dtype(const ConvertConfig& c, const LoadedModel& m) {
    if (c.dtype != "auto") return *tensor::dtype_from_name(c.dtype);
    std::string best;
    size_t most = 0;
    for (const auto& [name, bytes] : m.bytes_by_dtype) {
        if (bytes > most) best = name, most = bytes;
    }
    auto d = tensor::dtype_from_name(best);
    return d && holds(c.to, *d) ? *d : DType::kF16;
}

std::string mib(uint64_t bytes) { return fmt::format("{:.2f} MiB", bytes / 1048576.0); }

// Removes the files of a directory left by an interrupted conversion (not sub-directories:
// the writers make none).
Status clear_dir(const std::string& dir, base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(auto names, env->list_dir(dir));
    for (const auto& n : names) JENNY_RETURN_IF_ERROR(env->remove_file(dir + "/" + n));
    return Status();
}

}  // namespace

Status run_convert(const ConvertConfig& config, std::FILE* out, std::FILE* err, base::Env* env) {
    const uint64_t start = env->now_micros();
    const std::string in_path = canonical(config.input), out_path = canonical(config.output);
    if (in_path == out_path) {
        return Status::invalid_argument(fmt::format(
            "the output {} is the input: choose another output path (nothing was written)",
            config.output));
    }
    if (env->list_dir(config.input).ok() && out_path.rfind(in_path + "/", 0) == 0) {
        return Status::invalid_argument(
            fmt::format("the output {} is inside the input directory {}: choose a path outside it",
                        config.output, config.input));
    }
    const auto requested =
        config.dtype == "auto" ? std::optional(DType::kF32) : tensor::dtype_from_name(config.dtype);
    if ((config.to != "hf" && config.to != "gguf") || !requested || !holds(config.to, *requested)) {
        return Status::invalid_argument(fmt::format(
            "--dtype {} --to {} is not a conversion jenny makes (--to hf or gguf; hf holds f32, "
            "f16, bf16; gguf also q8_0, q4_0)",
            config.dtype, config.to));
    }
    if (config.to == "hf" && env->file_exists(config.output)) {
        auto names = env->list_dir(config.output);
        if (!names.ok() || !names->empty()) {
            return Status::invalid_argument(fmt::format(
                "{} already exists{}: remove it or choose another output directory", config.output,
                names.ok() ? " and is not empty" : " and is not a directory"));
        }
    }

    LoadOptions lo;
    lo.n_threads = config.threads;
    lo.tokenizer_path = config.tokenizer;
    auto loaded = load_model(config.input, lo, env);
    if (!loaded.ok() && loaded.status().code() == base::StatusCode::kNotFound &&
        env->file_exists(config.input)) {
        // Weights without a tokenizer (a bare checkpoint) still convert.
        LoadOptions bare = lo;
        bare.load_tokenizer = false;
        auto weights_only = load_model(config.input, bare, env);
        if (weights_only.ok()) {
            std::fprintf(err, "jenny convert: warning: %s; converting the weights alone\n",
                         loaded.status().message().c_str());
            loaded = std::move(weights_only);
        }
    }
    if (!loaded.ok()) return loaded.status();
    const LoadedModel& m = *loaded;
    const DType dtype = resolve_dtype(config, m);
    std::fprintf(err, "jenny convert: read %s (%s): %s\n", config.input.c_str(), m.format.c_str(),
                 m.model->config().summary().c_str());

    SaveReport rep;
    std::string written = config.output;
    if (config.to == "gguf") {
        JENNY_RETURN_IF_ERROR(save_gguf(m, config.output, dtype, env, &rep));
    } else {
        std::string out_dir = config.output;
        while (out_dir.size() > 1 && out_dir.back() == '/') out_dir.pop_back();
        const std::string tmp = out_dir + ".tmp";
        if (env->file_exists(tmp)) JENNY_RETURN_IF_ERROR(clear_dir(tmp, env));
        Status s = save_hf(m, tmp, dtype, env, &rep);
        if (s.ok()) s = env->rename_file(tmp, out_dir);
        if (!s.ok()) {
            clear_dir(tmp, env).ok();  // best effort; the output was never touched
            return s;
        }
        for (auto& f : rep.files) f = out_dir + f.substr(tmp.size());
    }
    const double seconds = static_cast<double>(env->now_micros() - start) / 1e6;
    for (const auto& note : rep.notes) std::fprintf(err, "jenny convert: note: %s\n", note.c_str());
    for (const auto& f : rep.files) {
        auto size = env->file_size(f);
        std::fprintf(out, "  %s  %s\n", f.c_str(), size.ok() ? mib(*size).c_str() : "?");
    }
    std::fprintf(out, "wrote %s (%s, %s): %lld tensors, %s of weights in %.2f s\n", written.c_str(),
                 config.to.c_str(), std::string(tensor::dtype_name(dtype)).c_str(),
                 static_cast<long long>(rep.n_tensors), mib(rep.bytes).c_str(), seconds);
    return Status();
}

}  // namespace jenny::model
