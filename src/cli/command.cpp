#include "cli/command.h"

#include <cstdio>

namespace jenny::cli {

ConfigFlags::ConfigFlags(CLI::App* cmd) : cmd_(cmd) {
    cmd_->add_option("--config", config_path_, "YAML or JSON config file")->type_name("FILE");
    cmd_->add_option("--set", sets_, "override a config key, e.g. --set optim.lr_max=3e-4")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false);
}

CLI::Option* ConfigFlags::flag(const std::string& name, const std::string& key,
                               const std::string& help) {
    return cmd_->add_option_function<std::string>(
        name,
        [this, name, key](const std::string& v) {
            flag_overrides_.push_back({name, key + "=" + v});
        },
        help);
}

CLI::Option* ConfigFlags::toggle(const std::string& name, const std::string& key,
                                 const std::string& help) {
    return cmd_->add_flag_callback(
        name,
        [this, name, key] {
            flag_overrides_.push_back({name, key + "=true"});
        },
        help);
}

base::Result<base::ConfigNode> ConfigFlags::build_tree(
    const std::vector<std::string>& extra) const {
    base::ConfigNode root;
    if (!config_path_.empty()) {
        JENNY_ASSIGN_OR_RETURN(root, base::load_config_file(config_path_));
    }
    for (const auto& [name, assignment] : flag_overrides_) {
        std::string value = assignment.substr(assignment.find('=') + 1);
        JENNY_RETURN_IF_ERROR(base::apply_override(root, assignment, name + " " + value));
    }
    for (const std::string& e : extra) {
        JENNY_RETURN_IF_ERROR(base::apply_override(root, e, "(shorthand flag for " + e + ")"));
    }
    for (const std::string& s : sets_) {
        JENNY_RETURN_IF_ERROR(base::apply_override(root, s));
    }
    return root;
}

void print_config(const std::string& command, const std::string& yaml) {
    std::string text = "jenny " + command + ": configuration\n";
    size_t start = 0;
    while (start < yaml.size()) {
        size_t nl = yaml.find('\n', start);
        if (nl == std::string::npos) nl = yaml.size();
        text += "  " + yaml.substr(start, nl - start) + "\n";
        start = nl + 1;
    }
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
}

}  // namespace jenny::cli
