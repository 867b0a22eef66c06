// Parsing a pipeline file (docs/formats/pipeline.md) into settings and bound blocks.
#include <fmt/format.h>

#include "data/pipeline_block.h"
#include "jenny/data/pipeline.h"

namespace jenny::data {

using base::ConfigNode;
using base::Status;

std::vector<std::string> pipeline_block_names() {
    std::vector<std::string> names;
    for (const BlockKind& k : block_kinds()) names.push_back(k.name);
    return names;
}

base::Result<PipelineSpec> parse_pipeline(const ConfigNode& root) {
    if (!root.is_map())
        return Status::invalid_argument(
            fmt::format("a pipeline file is a map with inputs, output, blocks, ...; got {}{}",
                        root.describe(), base::config_detail::where(root)));
    ConfigNode settings_node = ConfigNode::map(root.loc());
    const ConfigNode* blocks_node = nullptr;
    for (const auto& e : root.entries()) {
        if (e.key == "blocks") {
            blocks_node = &e.value;
        } else {
            settings_node.set(e.key, e.value);
        }
    }
    PipelineSpec spec;
    JENNY_ASSIGN_OR_RETURN(spec.settings, base::bind_config<PipelineSettings>(settings_node));
    const PipelineSettings& s = spec.settings;
    std::vector<std::string> errors;
    if (s.inputs.empty()) errors.push_back("inputs: name at least one input file or glob");
    if (s.tasks < 1) errors.push_back(fmt::format("tasks: {} must be at least 1", s.tasks));
    if (s.commit_every < 1)
        errors.push_back(fmt::format("commit_every: {} must be at least 1", s.commit_every));
    if (blocks_node && !blocks_node->is_list() && !blocks_node->is_null())
        errors.push_back(fmt::format("blocks: expected a list of blocks, got {}{}",
                                     blocks_node->describe(),
                                     base::config_detail::where(*blocks_node)));
    ConfigNode resolved_blocks = ConfigNode::list({});
    if (blocks_node && blocks_node->is_list()) {
        const auto& items = blocks_node->items();
        for (size_t i = 0; i < items.size(); ++i) {
            const ConfigNode& item = items[i];
            std::string name;
            ConfigNode args;
            if (item.is_scalar()) {
                name = item.text();
            } else if (item.is_map() && item.entries().size() == 1) {
                name = item.entries()[0].key;
                args = item.entries()[0].value;
            } else {
                errors.push_back(fmt::format(
                    "blocks[{}]: a block is its name, or a map of its name to its parameters "
                    "(- gopher_quality: {{min_doc_words: 30}}){}",
                    i, base::config_detail::where(item)));
                continue;
            }
            const BlockKind* kind = nullptr;
            for (const BlockKind& k : block_kinds())
                if (k.name == name) kind = &k;
            if (!kind) {
                const std::string hint =
                    base::config_detail::closest_key(name, pipeline_block_names());
                errors.push_back(fmt::format("blocks[{}]: unknown block \"{}\"{}{}", i, name,
                                             hint.empty() ? "" : " (did you mean " + hint + "?)",
                                             base::config_detail::where(item)));
                continue;
            }
            auto bound = kind->bind(args);
            if (!bound.ok()) {
                std::string msg = bound.status().message();
                size_t start = 0;
                while (start <= msg.size()) {  // one error per line, each prefixed
                    const size_t nl = msg.find('\n', start);
                    errors.push_back(
                        fmt::format("blocks[{}].{}: {}", i, name, msg.substr(start, nl - start)));
                    if (nl == std::string::npos) break;
                    start = nl + 1;
                }
                continue;
            }
            if (name == "tokenize" && i + 1 != items.size())
                errors.push_back(fmt::format("blocks[{}]: tokenize must be the last block{}", i,
                                             base::config_detail::where(item)));
            ConfigNode entry = ConfigNode::map({});
            entry.set(name, bound->resolved);
            resolved_blocks.append(std::move(entry));
            spec.blocks.push_back({name, args});
        }
    }
    if (!errors.empty()) {
        std::string msg = errors.front();
        for (size_t i = 1; i < errors.size(); ++i) msg += "\n" + errors[i];
        return Status::invalid_argument(msg);
    }
    spec.resolved = base::ConfigWriter::to_node(spec.settings);
    spec.resolved.set("blocks", std::move(resolved_blocks));
    return spec;
}

}  // namespace jenny::data
