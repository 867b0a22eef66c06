// What this binary is: version, git commit, how it was built. Reported by `jenny --version`
// and written beside every run's outputs so results can be traced to the code that made them.
#pragma once

#include <string>

namespace jenny::base {

struct BuildInfo {
    std::string version;     // "0.1.0"
    std::string git_hash;    // short hash of HEAD at build time, "-dirty" if modified
    std::string build_type;  // Release, Debug, ...
    std::string compiler;    // "GNU 12.2.0"
    bool cuda = false, mpi = false, sanitize = false, native = false;

    // "cuda=off mpi=off sanitize=off native=on build=Release compiler=GNU 12.2.0"
    std::string flags() const;
};

const BuildInfo& build_info();

}  // namespace jenny::base
