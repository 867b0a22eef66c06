// The block interface of `jenny data run` and the registry of block kinds (private to
// src/data). A block edits a document in place or drops it with a reason; the pipeline runner
// counts documents and bytes around every block.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jenny/base/config_bind.h"
#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/document.h"

namespace jenny::data {

using BlockCounters = std::map<std::string, int64_t>;

class PipelineBlock {
public:
    virtual ~PipelineBlock() = default;
    // Edits or drops one document; block-specific counts go to `counters`. Thread-safe: the
    // tasks of one process share a block.
    virtual Verdict process(Document& doc, BlockCounters& counters) const = 0;
};

// How a block kind's YAML parameters become a block.
struct BlockKind {
    std::string name;
    std::string help;
    // Binds `args` (a map or null) to the kind's options. On success `resolved` holds every
    // parameter with defaults filled in, and `make` builds the block (it may load files).
    struct Bound {
        base::ConfigNode resolved;
        std::function<base::Result<std::unique_ptr<PipelineBlock>>(base::Env*)> make;
    };
    std::function<base::Result<Bound>(const base::ConfigNode& args)> bind;
};

// Every block kind, in documentation order. `tokenize` is listed here for its parameters;
// the runner handles it (it must be the last block).
const std::vector<BlockKind>& block_kinds();

// A block kind over a pure function `Verdict f(Document&, const Options&)`.
template <class Options, class Fn>
BlockKind function_block(std::string name, std::string help, Fn fn) {
    BlockKind k;
    k.name = std::move(name);
    k.help = std::move(help);
    k.bind = [fn](const base::ConfigNode& args) -> base::Result<BlockKind::Bound> {
        JENNY_ASSIGN_OR_RETURN(Options o, base::bind_config<Options>(args));
        BlockKind::Bound b;
        b.resolved = base::ConfigWriter::to_node(o);
        b.make = [o, fn](base::Env*) -> base::Result<std::unique_ptr<PipelineBlock>> {
            class Block : public PipelineBlock {
            public:
                Block(Options o, Fn fn) : o_(std::move(o)), fn_(fn) {}
                Verdict process(Document& doc, BlockCounters&) const override {
                    return fn_(doc, o_);
                }

            private:
                Options o_;
                Fn fn_;
            };
            return std::unique_ptr<PipelineBlock>(new Block(o, fn));
        };
        return b;
    };
    return k;
}

}  // namespace jenny::data
