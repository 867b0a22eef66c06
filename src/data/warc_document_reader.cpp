#include "data/warc_document_reader.h"

#include <fmt/format.h>

#include "jenny/data/warc_reader.h"

namespace jenny::data {
namespace {

// WarcReader as a DocReader: records() counts WARC records of every type, so skip(n) after
// a cursor lands on the same record; skipped records and data errors become ReadIssues
// ("warc_<reason>").
class WarcDocReader : public DocReader {
public:
    explicit WarcDocReader(std::unique_ptr<WarcReader> r) : r_(std::move(r)) {}

    bool next(Document* doc) override {
        auto got = r_->next(doc);
        const WarcReaderStats& s = r_->stats();
        records_ = static_cast<int64_t>(s.records);
        if (!quiet_) report(s);
        if (!got.ok()) {
            issues_.push_back({"warc_read_error", got.status().to_string()});
            done_ = true;
            return false;
        }
        if (!*got) done_ = true;
        return *got;
    }
    void skip(int64_t n) override {
        quiet_ = true;
        Document unused;
        while (records_ < n && next(&unused)) {
        }
        quiet_ = false;
        seen_ = r_->stats();  // what skipping met is not reported again
    }
    uint64_t position() const override { return done_ ? 1 : 0; }
    uint64_t size() const override { return 1; }

private:
    void report(const WarcReaderStats& s) {
        for (const auto& [k, v] : s.skipped)
            for (uint64_t i = seen_.skipped[k]; i < v; ++i) issues_.push_back({"warc_" + k, ""});
        for (const auto& [k, v] : s.errors)
            for (uint64_t i = seen_.errors[k]; i < v; ++i) issues_.push_back({"warc_" + k, ""});
        for (size_t i = seen_.error_messages.size(); i < s.error_messages.size(); ++i) {
            // Attach the message to the newest issue of its kind without one.
            for (auto it = issues_.rbegin(); it != issues_.rend(); ++it)
                if (it->where.empty() && it->reason != "warc_not_response" &&
                    it->reason != "warc_not_html" && it->reason != "warc_not_http") {
                    it->where = s.error_messages[i];
                    break;
                }
        }
        seen_ = s;
    }

    std::unique_ptr<WarcReader> r_;
    WarcReaderStats seen_;
    bool quiet_ = false, done_ = false;
};

}  // namespace

base::Result<std::unique_ptr<DocReader>> open_warc_document_reader(const std::string& path,
                                                                   base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(auto r, WarcReader::open(path, env));
    return std::unique_ptr<DocReader>(new WarcDocReader(std::move(r)));
}

}  // namespace jenny::data
