// The report of `jenny data run` as JSON (report.json, and the counters inside each task's
// cursor), and summing the reports of several tasks (private to src/data).
#pragma once

#include <nlohmann/json.hpp>

#include "jenny/data/pipeline.h"

namespace jenny::data {

// An empty BlockReport for the block `name`.
inline BlockReport named_block(const std::string& name) {
    BlockReport b;
    b.name = name;
    return b;
}

nlohmann::json pipeline_report_to_json(const PipelineReport& r);
// Inverse of pipeline_report_to_json; missing keys read as zero.
PipelineReport pipeline_report_from_json(const nlohmann::json& j);
// Adds `from`'s counts into `into` (blocks matched by position; `into` takes `from`'s block
// names when it has none). Keeps the first 20 read-error examples.
void merge_pipeline_report(PipelineReport& into, const PipelineReport& from);

}  // namespace jenny::data
