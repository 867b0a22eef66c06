#include "data/doc_reader.h"

#include <fmt/format.h>
#include <glob.h>
#include <simdjson.h>

#include <algorithm>
#include <set>

#include "data/warc_document_reader.h"
#include "jenny/base/utf8.h"

namespace jenny::data {
namespace {

using base::Status;

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

InputFile input_file_for(const std::string& path) {
    InputFile f;
    f.path = path;
    if (ends_with(path, ".gz")) f.compression = Compression::kGzip;
    if (ends_with(path, ".zst")) f.compression = Compression::kZstd;
    return f;
}

// Lines (or separator-delimited runs of lines) of a decoded buffer.
class LineReaderBase : public DocReader {
public:
    LineReaderBase(std::string path, std::unique_ptr<InputBytes> bytes)
        : path_(std::move(path)), bytes_(std::move(bytes)), data_(bytes_->data()) {}

    uint64_t position() const override { return pos_; }
    uint64_t size() const override { return data_.size(); }
    // next() counts records before it parses them and returns at once while quiet_.
    void skip(int64_t n) override {
        quiet_ = true;
        Document unused;
        for (int64_t i = 0; i < n && next(&unused);) ++i;
        quiet_ = false;
    }

protected:
    // The next line without its "\n" (and "\r"), or false at the end; *start is its offset.
    bool next_line(std::string_view* line, uint64_t* start) {
        if (pos_ >= data_.size()) {
            report_damage();
            return false;
        }
        const size_t nl = data_.find('\n', pos_);
        const size_t end = nl == std::string_view::npos ? data_.size() : nl;
        *start = pos_;
        *line = data_.substr(pos_, end - pos_);
        if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
        pos_ = nl == std::string_view::npos ? data_.size() : nl + 1;
        ++line_no_;
        return true;
    }
    void issue(const std::string& reason, int64_t line, const std::string& what) {
        issues_.push_back({reason, fmt::format("{}:{}: {}", path_, line, what)});
    }
    void report_damage() {
        if (!bytes_->damage().empty() && !damage_reported_) {
            damage_reported_ = true;
            issues_.push_back(
                {"truncated_input", fmt::format("{}: {} (the {} bytes before it "
                                                "were read)",
                                                path_, bytes_->damage(), data_.size())});
        }
    }

    std::string path_;
    std::unique_ptr<InputBytes> bytes_;
    std::string_view data_;
    size_t pos_ = 0;
    int64_t line_no_ = 0;
    bool quiet_ = false;  // skipping: no issues
    bool damage_reported_ = false;
};

class JsonlReader : public LineReaderBase {
public:
    JsonlReader(std::string path, std::unique_ptr<InputBytes> bytes, const PipelineInput& in,
                bool pipeline_part)
        : LineReaderBase(std::move(path), std::move(bytes)), in_(in), part_(pipeline_part) {}

    bool next(Document* doc) override {
        std::string_view line;
        uint64_t start = 0;
        while (next_line(&line, &start)) {
            if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
            ++records_;
            if (quiet_) return true;
            if (parse(line, start, doc)) return true;
        }
        return false;
    }

private:
    bool parse(std::string_view line, uint64_t start, Document* doc) {
        simdjson::dom::element root;
        auto err = parser_.parse(line.data(), line.size()).get(root);
        if (err) {
            if (err == simdjson::UTF8_ERROR) {
                issue("invalid_utf8", line_no_, "invalid UTF-8");
            } else {
                issue("bad_json", line_no_,
                      fmt::format("malformed JSON ({})", simdjson::error_message(err)));
            }
            return false;
        }
        simdjson::dom::object obj;
        if (root.get_object().get(obj)) {
            issue("bad_json", line_no_, "the line is not a JSON object");
            return false;
        }
        std::string_view text;
        simdjson::dom::element v;
        if (obj.at_key(in_.text_field).get(v)) {
            issue("missing_text_field", line_no_,
                  fmt::format("no \"{}\" field (set text_field)", in_.text_field));
            return false;
        }
        if (v.get_string().get(text)) {
            issue("missing_text_field", line_no_,
                  fmt::format("\"{}\" is not a string", in_.text_field));
            return false;
        }
        doc->text.assign(text);
        doc->source = path_;
        doc->offset = start;
        doc->id.clear();
        if (!in_.id_field.empty() && !obj.at_key(in_.id_field).get(v)) {
            std::string_view s;
            int64_t i = 0;
            if (!v.get_string().get(s)) {
                doc->id.assign(s);
            } else if (!v.get_int64().get(i)) {
                doc->id = std::to_string(i);
            }
        }
        if (doc->id.empty()) doc->id = fmt::format("{}:{}", path_, line_no_);
        doc->url.clear();
        if (!obj.at_key("url").get(v)) {
            std::string_view s;
            if (!v.get_string().get(s)) doc->url.assign(s);
        }
        doc->language.clear();
        doc->language_score = 0;
        if (part_) {
            std::string_view sv;
            uint64_t u = 0;
            double d = 0;
            if (!obj.at_key("source").get(v) && !v.get_string().get(sv)) doc->source.assign(sv);
            if (!obj.at_key("offset").get(v) && !v.get_uint64().get(u)) doc->offset = u;
            if (!obj.at_key("language").get(v) && !v.get_string().get(sv)) doc->language.assign(sv);
            if (!obj.at_key("language_score").get(v) && !v.get_double().get(d))
                doc->language_score = d;
        }
        return true;
    }

    PipelineInput in_;
    bool part_;
    simdjson::dom::parser parser_;
};

class TextReader : public LineReaderBase {
public:
    TextReader(std::string path, std::unique_ptr<InputBytes> bytes, std::string separator)
        : LineReaderBase(std::move(path), std::move(bytes)), separator_(std::move(separator)) {}

    bool next(Document* doc) override {
        if (separator_.empty()) return whole_file(doc);
        for (;;) {
            std::string_view line;
            uint64_t start = 0, first = 0;
            int64_t first_line = 0;
            bool any = false;
            text_.clear();
            while (next_line(&line, &start)) {
                if (line == separator_) {
                    if (any) break;
                    continue;
                }
                if (!any) {
                    first = start;
                    first_line = line_no_;
                }
                any = true;
                text_.append(line);
                text_.push_back('\n');
            }
            if (!any) return false;
            ++records_;
            if (quiet_ || emit(doc, first, first_line)) return true;
        }
    }

private:
    bool whole_file(Document* doc) {
        if (done_) {
            report_damage();
            return false;
        }
        done_ = true;
        pos_ = data_.size();
        if (data_.find_first_not_of(" \t\r\n") == std::string_view::npos) return false;
        ++records_;
        if (quiet_) return true;
        text_.assign(data_);
        return emit(doc, 0, 1);
    }
    bool emit(Document* doc, uint64_t offset, int64_t line) {
        const size_t bad = base::find_invalid_utf8(text_);
        if (bad != std::string_view::npos) {
            issue("invalid_utf8", line,
                  fmt::format("invalid UTF-8 at byte {} of the document", bad));
            return false;
        }
        doc->text = std::move(text_);
        doc->source = path_;
        doc->offset = offset;
        doc->id = fmt::format("{}:{}", path_, line);
        doc->url.clear();
        doc->language.clear();
        doc->language_score = 0;
        return true;
    }

    std::string separator_;
    std::string text_;
    bool done_ = false;
};

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

std::string detect_input_format(const std::string& path) {
    std::string name = path;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ends_with(name, ".gz")) name.resize(name.size() - 3);
    if (ends_with(name, ".zst")) name.resize(name.size() - 4);
    if (ends_with(name, ".jsonl") || ends_with(name, ".json")) return "jsonl";
    if (ends_with(name, ".warc")) return "warc";
    return "text";
}

base::Result<std::unique_ptr<DocReader>> DocReader::open(const std::string& path,
                                                         const std::string& format,
                                                         const PipelineInput& input, base::Env* env,
                                                         bool pipeline_part) {
    if (format == "warc") return open_warc_document_reader(path, env);
    JENNY_ASSIGN_OR_RETURN(auto bytes, InputBytes::open(input_file_for(path), env, true));
    if (format == "jsonl")
        return std::unique_ptr<DocReader>(
            new JsonlReader(path, std::move(bytes), input, pipeline_part));
    return std::unique_ptr<DocReader>(new TextReader(path, std::move(bytes), input.separator));
}

base::Result<std::vector<std::pair<std::string, int>>> expand_pipeline_inputs(
    const std::vector<PipelineInput>& inputs, base::Env* env) {
    std::vector<std::pair<std::string, int>> out;
    std::set<std::string> seen;
    for (size_t k = 0; k < inputs.size(); ++k) {
        const std::string& p = inputs[k].path;
        std::vector<std::string> paths;
        if (has_glob_chars(p)) {
            glob_t g{};
            const int rc = ::glob(p.c_str(), 0, nullptr, &g);
            for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
            globfree(&g);
            std::sort(paths.begin(), paths.end());
            if (paths.empty())
                return Status::not_found(fmt::format("inputs[{}]: {} matches no file", k, p));
        } else {
            JENNY_ASSIGN_OR_RETURN(auto files, list_input_files({p}, env));
            for (const InputFile& f : files) paths.push_back(f.path);
        }
        for (std::string& path : paths)
            if (seen.insert(path).second) out.emplace_back(std::move(path), static_cast<int>(k));
    }
    if (out.empty()) return Status::invalid_argument("the pipeline has no input files (inputs:)");
    return out;
}

}  // namespace jenny::data
