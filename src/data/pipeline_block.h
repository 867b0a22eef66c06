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

// The general block kind: binds `Options` from the YAML, then `load(options, env)` makes a
// `Loaded` once (files, models; or just the options) that the tasks share, and each document
// goes through `fn(loaded, doc, counters)`.
template <class Options, class Loaded, class Load, class Fn>
BlockKind loaded_block(std::string name, std::string help, Load load, Fn fn) {
    BlockKind k;
    k.name = std::move(name);
    k.help = std::move(help);
    k.bind = [load, fn](const base::ConfigNode& args) -> base::Result<BlockKind::Bound> {
        JENNY_ASSIGN_OR_RETURN(Options o, base::bind_config<Options>(args));
        BlockKind::Bound b;
        b.resolved = base::ConfigWriter::to_node(o);
        b.make = [o, load, fn](base::Env* env) -> base::Result<std::unique_ptr<PipelineBlock>> {
            class Block : public PipelineBlock {
            public:
                Block(std::unique_ptr<Loaded> l, Fn fn) : l_(std::move(l)), fn_(fn) {}
                Verdict process(Document& doc, BlockCounters& c) const override {
                    return fn_(*l_, doc, c);
                }

            private:
                std::unique_ptr<Loaded> l_;
                Fn fn_;
            };
            JENNY_ASSIGN_OR_RETURN(std::unique_ptr<Loaded> loaded, load(o, env));
            return std::unique_ptr<PipelineBlock>(new Block(std::move(loaded), fn));
        };
        return b;
    };
    return k;
}

// A block kind over `Verdict f(Document&, const Options&, BlockCounters&)`.
template <class Options, class Fn>
BlockKind counting_block(std::string name, std::string help, Fn fn) {
    return loaded_block<Options, Options>(
        std::move(name), std::move(help),
        [](const Options& o, base::Env*) -> base::Result<std::unique_ptr<Options>> {
            return std::make_unique<Options>(o);
        },
        [fn](const Options& o, Document& doc, BlockCounters& c) { return fn(doc, o, c); });
}

// A block kind over a pure function `Verdict f(Document&, const Options&)`.
template <class Options, class Fn>
BlockKind function_block(std::string name, std::string help, Fn fn) {
    return counting_block<Options>(
        std::move(name), std::move(help),
        [fn](Document& doc, const Options& o, BlockCounters&) { return fn(doc, o); });
}

}  // namespace jenny::data
