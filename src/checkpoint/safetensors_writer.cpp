// Writing safetensors the way the reference implementation does (tensor order, compact JSON,
// space padding to 8 bytes), so files jenny writes are byte-identical to the Python package's.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "checkpoint/atomic_file.h"
#include "jenny/checkpoint/safetensors.h"

namespace jenny::checkpoint {

using base::Result;
using base::Status;

namespace {

struct Planned {
    const NamedTensor* entry;
    SafetensorsDType dtype;
    uint64_t begin = 0;
    uint64_t end = 0;
};

// A JSON string literal, escaped as serde_json does (control characters as \uXXXX except
// \b \f \n \r \t, non-ASCII kept as UTF-8). Fails for invalid UTF-8.
Result<std::string> json_string(const std::string& s, std::string_view what) {
    try {
        return nlohmann::json(s).dump();
    } catch (const nlohmann::json::exception&) {
        return Status::invalid_argument(fmt::format("{} is not valid UTF-8", what));
    }
}

struct Plan {
    std::string header;  // 8-byte length + JSON + padding
    std::vector<Planned> order;
};

Result<Plan> make_plan(std::span<const NamedTensor> tensors,
                       const std::map<std::string, std::string>& metadata) {
    Plan plan;
    std::set<std::string_view> names;
    for (const NamedTensor& e : tensors) {
        const auto& [name, t] = e;
        if (name == "__metadata__") {
            return Status::invalid_argument(
                "safetensors: '__metadata__' is reserved and cannot name a tensor");
        }
        if (!names.insert(name).second) {
            return Status::invalid_argument(
                fmt::format("safetensors: tensor '{}' given twice", name));
        }
        if (!t.defined()) {
            return Status::invalid_argument(
                fmt::format("safetensors: tensor '{}' is undefined (no data)", name));
        }
        auto dtype = safetensors_from_dtype(t.dtype());
        if (!dtype) {
            return Status::invalid_argument(
                fmt::format("safetensors: tensor '{}' is {}, which safetensors cannot hold "
                            "(f32, f16, bf16, i32): convert it first, e.g. Tensor::to_f32()",
                            name, tensor::dtype_name(t.dtype())));
        }
        plan.order.push_back({&e, *dtype});
    }
    // The reference implementation's order: by dtype, largest first, then by name; this keeps
    // every tensor aligned to its element size once the data section starts at a multiple of 8.
    std::stable_sort(plan.order.begin(), plan.order.end(), [](const Planned& a, const Planned& b) {
        if (a.dtype != b.dtype) return a.dtype > b.dtype;
        return a.entry->first < b.entry->first;
    });
    uint64_t at = 0;
    for (Planned& p : plan.order) {
        p.begin = at;
        at += p.entry->second.nbytes();
        p.end = at;
    }

    std::string json = "{";
    if (!metadata.empty()) {
        json += "\"__metadata__\":{";
        bool first = true;
        for (const auto& [k, v] : metadata) {
            JENNY_ASSIGN_OR_RETURN(std::string ks,
                                   json_string(k, fmt::format("metadata key '{}'", k)));
            JENNY_ASSIGN_OR_RETURN(std::string vs,
                                   json_string(v, fmt::format("metadata value of '{}'", k)));
            if (!first) json += ',';
            first = false;
            json += ks;
            json += ':';
            json += vs;
        }
        json += '}';
    }
    for (const Planned& p : plan.order) {
        const auto& [name, t] = *p.entry;
        JENNY_ASSIGN_OR_RETURN(std::string ns,
                               json_string(name, fmt::format("tensor name '{}'", name)));
        if (json.size() > 1) json += ',';
        std::string shape;
        for (int i = 0; i < t.shape().ndim(); ++i) {
            if (i > 0) shape += ',';
            shape += std::to_string(t.shape()[i]);
        }
        json += fmt::format("{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}", ns,
                            safetensors_dtype_name(p.dtype), shape, p.begin, p.end);
    }
    json += '}';
    json.append((8 - json.size() % 8) % 8, ' ');
    const uint64_t n = json.size();
    plan.header.resize(8);
    for (int i = 0; i < 8; ++i) plan.header[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    plan.header += json;
    return plan;
}

std::string_view tensor_bytes(const tensor::Tensor& t) {
    return {static_cast<const char*>(t.data()), t.nbytes()};
}

}  // namespace

Result<std::string> serialize_safetensors(std::span<const NamedTensor> tensors,
                                          const std::map<std::string, std::string>& metadata) {
    JENNY_ASSIGN_OR_RETURN(Plan plan, make_plan(tensors, metadata));
    std::string out = std::move(plan.header);
    for (const Planned& p : plan.order) out += tensor_bytes(p.entry->second);
    return out;
}

Status write_safetensors(const std::string& path, std::span<const NamedTensor> tensors,
                         const std::map<std::string, std::string>& metadata, base::Env* env) {
    Result<Plan> plan = make_plan(tensors, metadata);
    if (!plan.ok()) return plan.status().with_context(path);
    JENNY_ASSIGN_OR_RETURN(auto file, AtomicFile::create(path, env));
    JENNY_RETURN_IF_ERROR(file->append(plan->header));
    for (const Planned& p : plan->order) {
        JENNY_RETURN_IF_ERROR(file->append(tensor_bytes(p.entry->second)));
    }
    return file->commit();
}

Status write_safetensors_to(base::WritableFile& file, std::span<const NamedTensor> tensors,
                            const std::map<std::string, std::string>& metadata) {
    JENNY_ASSIGN_OR_RETURN(Plan plan, make_plan(tensors, metadata));
    JENNY_RETURN_IF_ERROR(file.append(plan.header));
    for (const Planned& p : plan.order) JENNY_RETURN_IF_ERROR(file.append(tensor_bytes(p.entry->second)));
    return Status::ok_status();
}

}  // namespace jenny::checkpoint
