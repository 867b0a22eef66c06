// The report `jenny info` prints: what this binary is, the machine it runs on (cores, SIMD,
// memory), accelerators and MPI, and where the data and model cache are. Used to check a new
// machine and attached to bug reports and benchmark results.
#pragma once

#include <string>

#include "jenny/base/env.h"

namespace jenny::base {

struct InfoConfig {
    bool json = false;      // JSON instead of aligned text
    std::string data_dir;   // empty: shared_data_dir()
    std::string cache_dir;  // empty: cache_dir()
    template <class V>
    void visit(V& v) {
        v.field("json", json, "print JSON instead of text");
        v.field("data_dir", data_dir,
                "shared data folder (default: $JENNY_DATA or ../shared/data)");
        v.field("cache_dir", cache_dir, "model cache (default: $JENNY_CACHE or ~/.cache/jenny)");
    }
};

// The report as text or JSON (per config). Never fails: missing pieces are reported in it.
std::string system_report(const InfoConfig& config, Env* env = Env::Default());

// One line per fact about this build: version, git hash, build flags, SIMD level.
std::string version_text();

}  // namespace jenny::base
