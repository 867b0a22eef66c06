#include "data/eval_records.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace jenny::data {
namespace {

using base::Result;
using base::Status;

constexpr const char* kJsonFields[] = {"passage", "question", "query",  "problem",  "context",
                                       "options", "choices",  "answer", "solution", "explanation"};
constexpr const char* kCsvSkipColumns[] = {"id", "answer", "label", "subject"};

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// GSM8K's calculator annotations "<<48/2=24>>" are not part of the text anyone would copy.
void append_field(std::string* out, std::string_view text) {
    if (!out->empty()) out->push_back('\n');
    size_t pos = 0;
    while (pos < text.size()) {
        size_t open = text.find("<<", pos);
        size_t close = open == std::string_view::npos ? open : text.find(">>", open + 2);
        if (close == std::string_view::npos) {
            out->append(text.substr(pos));
            break;
        }
        out->append(text.substr(pos, open - pos));
        pos = close + 2;
    }
}

void append_json(std::string* out, const nlohmann::json& v) {
    if (v.is_string()) {
        append_field(out, v.get_ref<const std::string&>());
    } else if (v.is_array()) {
        for (const auto& e : v) append_json(out, e);
    } else if (v.is_number()) {
        append_field(out, v.dump());
    }
}

Result<uint64_t> read_jsonl(const std::string& path, std::string_view data,
                            const std::function<void(std::string_view)>& fn) {
    uint64_t records = 0, line_no = 0;
    size_t pos = 0;
    std::string text;
    while (pos < data.size()) {
        size_t end = data.find('\n', pos);
        if (end == std::string_view::npos) end = data.size();
        std::string_view line = data.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded() || !j.is_object()) {
            return Status::corruption(fmt::format(
                "{}:{}: not a JSON object; each line must be one record", path, line_no));
        }
        text.clear();
        for (const char* field : kJsonFields) {
            auto it = j.find(field);
            if (it != j.end()) append_json(&text, *it);
        }
        fn(text);
        ++records;
    }
    return records;
}

Result<uint64_t> read_csv(const std::string& path, std::string_view data,
                          const std::function<void(std::string_view)>& fn) {
    auto rows = parse_csv(data, path);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return uint64_t{0};
    const auto& header = rows->front();
    std::vector<bool> keep(header.size());
    for (size_t c = 0; c < header.size(); ++c) {
        std::string name = header[c];
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        keep[c] = std::none_of(std::begin(kCsvSkipColumns), std::end(kCsvSkipColumns),
                               [&](const char* skip) { return name == skip; });
    }
    std::string text;
    uint64_t records = 0;
    for (size_t r = 1; r < rows->size(); ++r) {
        text.clear();
        const auto& row = (*rows)[r];
        for (size_t c = 0; c < row.size(); ++c) {
            if (c >= keep.size() || keep[c]) append_field(&text, row[c]);
        }
        fn(text);
        ++records;
    }
    return records;
}

Result<uint64_t> read_file(base::Env* env, const std::string& path,
                           const std::function<void(std::string_view)>& fn) {
    if (ends_with(path, ".parquet")) {  // checked first: never read a big binary file
        return Status::unsupported(
            fmt::format("{}: parquet eval sets are not read; convert the file to JSONL", path));
    }
    auto data = env->read_file(path);
    if (!data.ok()) return data.status();
    if (ends_with(path, ".jsonl") || ends_with(path, ".json")) return read_jsonl(path, *data, fn);
    if (ends_with(path, ".csv")) return read_csv(path, *data, fn);
    return Status::unsupported(
        fmt::format("{}: not an eval file this reads (.jsonl, .json lines or .csv)", path));
}

bool is_eval_file(const std::string& name) {
    return ends_with(name, ".jsonl") || ends_with(name, ".csv") || ends_with(name, ".parquet");
}

Status collect(base::Env* env, const std::string& dir, std::vector<std::string>* files) {
    auto names = env->list_dir(dir);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
        if (name == "." || name == "..") continue;
        const std::string path = dir + "/" + name;
        if (is_eval_file(name) && env->file_size(path).ok()) {
            files->push_back(path);
        } else if (env->list_dir(path).ok()) {
            JENNY_RETURN_IF_ERROR(collect(env, path, files));
        }
    }
    return Status();
}

}  // namespace

Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view data,
                                                        const std::string& name) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, field_started = false;
    uint64_t line = 1, quote_line = 0;
    size_t i = 0;
    if (data.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // UTF-8 byte order mark
    auto end_row = [&] {
        row.push_back(std::move(field));
        field.clear();
        if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));
        row.clear();
        field_started = false;
    };
    for (; i < data.size(); ++i) {
        char c = data[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < data.size() && data[i + 1] == '"') {
                    field.push_back('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n') ++line;
                field.push_back(c);
            }
        } else if (c == '"' && !field_started) {
            quoted = true;
            field_started = true;
            quote_line = line;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
            field_started = false;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
            ++line;
            end_row();
        } else {
            field.push_back(c);
            field_started = true;
        }
    }
    if (quoted) {
        return Status::corruption(
            fmt::format("{}:{}: quoted field never closed", name, quote_line));
    }
    if (field_started || !row.empty()) end_row();
    return rows;
}

Result<uint64_t> for_each_eval_record(base::Env* env, const std::string& path,
                                      const std::function<void(std::string_view)>& fn) {
    if (!env->file_exists(path)) {
        return Status::not_found(fmt::format("{}: eval set not found", path));
    }
    std::vector<std::string> files;
    if (env->list_dir(path).ok()) {
        JENNY_RETURN_IF_ERROR(collect(env, path, &files));
        std::sort(files.begin(), files.end());
        if (files.empty()) {
            return Status::not_found(
                fmt::format("{}: no .jsonl or .csv eval files in this directory", path));
        }
    } else {
        files.push_back(path);
    }
    uint64_t records = 0;
    for (const std::string& f : files) {
        auto n = read_file(env, f, fn);
        if (!n.ok()) return n.status();
        records += *n;
    }
    return records;
}

}  // namespace jenny::data
