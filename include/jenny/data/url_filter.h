// The `url` filter of `jenny data run`, after datatrove's URLFilter: drops documents whose
// URL is on a blocklist. Documents without a URL are kept.
//
// Checks, in order (the drop reason in brackets):
//   1. The URL's host, or any parent domain of it, is a blocked domain: "example.com"
//      blocks example.com, www.example.com and a.b.example.com, not badexample.com
//      [url_blocklist].
//   2. A token of the URL is a banned word. Tokens are the lowercased URL split at every
//      ASCII character that is not a letter or digit ("https://x.com/free-porn?id=1" →
//      https, x, com, free, porn, id, 1) [url_banned_word].
//   3. A banned subword occurs anywhere in the URL lowercased with everything but letters
//      and digits removed ("xxx" matches "/my-xxx-site" and "/myxxxsite") [url_banned_subword].
// With `use_default_words` (default), a small built-in list of unambiguous adult-content
// words is added to the banned words (kDefaultBannedWords in url_filter.cpp); there is no
// built-in domain list. Lists from files: one entry per line, blank lines and lines
// starting with '#' ignored, surrounding spaces trimmed, compared lowercased; domains may be
// written "*.example.com", ".example.com" or "example.com".
//
// Thread-safe after create(): filter() only reads.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/document.h"

namespace jenny::data {

struct UrlFilterOptions {
    bool use_default_words = true;
    std::vector<std::string> blocked_domains;
    std::vector<std::string> blocked_domain_files;
    std::vector<std::string> banned_words;
    std::vector<std::string> banned_word_files;
    std::vector<std::string> banned_subwords;
    std::vector<std::string> banned_subword_files;

    template <class V>
    void visit(V& v) {
        v.field("use_default_words", use_default_words,
                "add the built-in list of adult-content words to banned_words");
        v.field("blocked_domains", blocked_domains, "domains blocked with their subdomains");
        v.field("blocked_domain_files", blocked_domain_files,
                "files of blocked domains, one per line");
        v.field("banned_words", banned_words, "words that drop a URL having them as a token");
        v.field("banned_word_files", banned_word_files, "files of banned words, one per line");
        v.field("banned_subwords", banned_subwords,
                "strings that drop a URL containing them (letters and digits only)");
        v.field("banned_subword_files", banned_subword_files,
                "files of banned subwords, one per line");
    }
};

class UrlFilter {
public:
    // Reads the list files through `env`. kNotFound/kIoError name a file that cannot be read.
    static base::Result<UrlFilter> create(const UrlFilterOptions& options, base::Env* env);

    // Keeps, or drops with one of the reasons above.
    Verdict filter(const Document& doc) const;

    // The host of a URL, lowercased, without user info, port or trailing dot; "" when none.
    static std::string host_of(std::string_view url);

private:
    std::unordered_set<std::string> domains_;
    std::unordered_set<std::string> words_;
    std::vector<std::string> subwords_;
};

}  // namespace jenny::data
