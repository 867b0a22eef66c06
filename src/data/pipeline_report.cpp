#include "data/pipeline_report.h"

#include <fmt/format.h>

#include <algorithm>

namespace jenny::data {

using nlohmann::json;

namespace {

constexpr size_t kMaxExamples = 20;

std::string human_bytes(double b) {
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (b >= 1000 && u < 4) {
        b /= 1000;
        ++u;
    }
    return u == 0 ? fmt::format("{:.0f} {}", b, units[u]) : fmt::format("{:.1f} {}", b, units[u]);
}

}  // namespace

json pipeline_report_to_json(const PipelineReport& r) {
    json j;
    j["files"] = r.files;
    j["docs_read"] = r.docs_read;
    j["bytes_read"] = r.bytes_read;
    j["docs_written"] = r.docs_written;
    j["bytes_written"] = r.bytes_written;
    j["tokens"] = r.tokens;
    j["read_errors"] = r.read_errors;
    j["read_error_examples"] = r.read_error_examples;
    j["tasks_done"] = r.tasks_done;
    j["tasks_total"] = r.tasks_total;
    j["seconds"] = r.seconds;
    json blocks = json::array();
    for (const BlockReport& b : r.blocks) {
        blocks.push_back({{"name", b.name},
                          {"docs_in", b.docs_in},
                          {"docs_out", b.docs_out},
                          {"bytes_in", b.bytes_in},
                          {"bytes_out", b.bytes_out},
                          {"dropped", b.dropped},
                          {"counters", b.counters},
                          {"seconds", b.seconds}});
    }
    j["blocks"] = std::move(blocks);
    return j;
}

PipelineReport pipeline_report_from_json(const json& j) {
    PipelineReport r;
    r.files = j.value("files", int64_t{0});
    r.docs_read = j.value("docs_read", int64_t{0});
    r.bytes_read = j.value("bytes_read", int64_t{0});
    r.docs_written = j.value("docs_written", int64_t{0});
    r.bytes_written = j.value("bytes_written", int64_t{0});
    r.tokens = j.value("tokens", int64_t{0});
    if (j.contains("read_errors"))
        r.read_errors = j["read_errors"].get<std::map<std::string, int64_t>>();
    if (j.contains("read_error_examples"))
        r.read_error_examples = j["read_error_examples"].get<std::vector<std::string>>();
    r.tasks_done = j.value("tasks_done", 0);
    r.tasks_total = j.value("tasks_total", 0);
    r.seconds = j.value("seconds", 0.0);
    if (j.contains("blocks")) {
        for (const json& b : j["blocks"]) {
            BlockReport br;
            br.name = b.value("name", "");
            br.docs_in = b.value("docs_in", int64_t{0});
            br.docs_out = b.value("docs_out", int64_t{0});
            br.bytes_in = b.value("bytes_in", int64_t{0});
            br.bytes_out = b.value("bytes_out", int64_t{0});
            br.seconds = b.value("seconds", 0.0);
            if (b.contains("dropped"))
                br.dropped = b["dropped"].get<std::map<std::string, int64_t>>();
            if (b.contains("counters"))
                br.counters = b["counters"].get<std::map<std::string, int64_t>>();
            r.blocks.push_back(std::move(br));
        }
    }
    return r;
}

void merge_pipeline_report(PipelineReport& into, const PipelineReport& from) {
    into.files += from.files;
    into.docs_read += from.docs_read;
    into.bytes_read += from.bytes_read;
    into.docs_written += from.docs_written;
    into.bytes_written += from.bytes_written;
    into.tokens += from.tokens;
    for (const auto& [k, v] : from.read_errors) into.read_errors[k] += v;
    for (const std::string& e : from.read_error_examples)
        if (into.read_error_examples.size() < kMaxExamples) into.read_error_examples.push_back(e);
    into.tasks_done += from.tasks_done;
    if (into.blocks.empty()) {
        for (const BlockReport& b : from.blocks) into.blocks.push_back(named_block(b.name));
    }
    for (size_t i = 0; i < from.blocks.size() && i < into.blocks.size(); ++i) {
        BlockReport& a = into.blocks[i];
        const BlockReport& b = from.blocks[i];
        a.docs_in += b.docs_in;
        a.docs_out += b.docs_out;
        a.bytes_in += b.bytes_in;
        a.bytes_out += b.bytes_out;
        a.seconds += b.seconds;
        for (const auto& [k, v] : b.dropped) a.dropped[k] += v;
        for (const auto& [k, v] : b.counters) a.counters[k] += v;
    }
}

std::string format_pipeline_report(const PipelineReport& r) {
    std::string s;
    s += fmt::format(
        "jenny data run: {} of {} tasks done, {} files, {} documents ({}) read in "
        "{:.1f} s\n",
        r.tasks_done, r.tasks_total, r.files, r.docs_read, human_bytes(r.bytes_read), r.seconds);
    s += fmt::format("  {:<22} {:>10} {:>10} {:>7} {:>10} {:>10} {:>8}  {}\n", "block", "docs in",
                     "docs out", "kept", "MB in", "MB out", "s", "top drop reasons");
    for (const BlockReport& b : r.blocks) {
        std::vector<std::pair<int64_t, std::string>> top;
        for (const auto& [k, v] : b.dropped) top.emplace_back(-v, k);
        std::sort(top.begin(), top.end());
        std::string reasons;
        for (size_t i = 0; i < top.size() && i < 3; ++i)
            reasons += fmt::format("{}{} {}", i ? ", " : "", top[i].second, -top[i].first);
        for (const auto& [k, v] : b.counters)
            reasons += fmt::format("{}{}={}", reasons.empty() ? "" : "; ", k, v);
        const double kept =
            b.docs_in ? 100.0 * static_cast<double>(b.docs_out) / static_cast<double>(b.docs_in)
                      : 100.0;
        s += fmt::format("  {:<22} {:>10} {:>10} {:>6.1f}% {:>10.2f} {:>10.2f} {:>8.2f}  {}\n",
                         b.name, b.docs_in, b.docs_out, kept, static_cast<double>(b.bytes_in) / 1e6,
                         static_cast<double>(b.bytes_out) / 1e6, b.seconds, reasons);
    }
    s += fmt::format("  written: {} documents ({}){}\n", r.docs_written,
                     human_bytes(r.bytes_written),
                     r.tokens ? fmt::format(", {} tokens", r.tokens) : "");
    if (!r.read_errors.empty()) {
        std::string e;
        for (const auto& [k, v] : r.read_errors)
            e += fmt::format("{}{} {}", e.empty() ? "" : ", ", k, v);
        s += fmt::format("  skipped input records: {}\n", e);
        for (size_t i = 0; i < r.read_error_examples.size() && i < 5; ++i)
            s += "    " + r.read_error_examples[i] + "\n";
    }
    return s;
}

}  // namespace jenny::data
