#include "jenny/base/build_info.h"

#include <fmt/format.h>

#include "base/git_hash.h"  // generated at build time by cmake/git_hash.cmake

namespace jenny::base {

std::string BuildInfo::flags() const {
    auto onoff = [](bool b) { return b ? "on" : "off"; };
    return fmt::format("cuda={} mpi={} sanitize={} native={} build={} compiler={}", onoff(cuda),
                       onoff(mpi), onoff(sanitize), onoff(native), build_type, compiler);
}

const BuildInfo& build_info() {
    static const BuildInfo info = [] {
        BuildInfo b;
        b.version = JENNY_VERSION;
        b.git_hash = JENNY_GIT_HASH;
        b.build_type = JENNY_BUILD_TYPE;
        b.compiler = JENNY_COMPILER;
        b.cuda = JENNY_BUILD_CUDA;
        b.mpi = JENNY_BUILD_MPI;
        b.sanitize = JENNY_BUILD_SANITIZE;
        b.native = JENNY_BUILD_NATIVE;
        return b;
    }();
    return info;
}

}  // namespace jenny::base
