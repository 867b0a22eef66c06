#include "jenny/data/url_filter.h"

#include <array>

namespace jenny::data {

using base::Result;
using base::Status;

namespace {

constexpr std::array<std::string_view, 18> kDefaultBannedWords = {
    "porn",   "porno", "pornhub", "xxx",      "xvideos", "xnxx", "xhamster", "redtube", "youporn",
    "hentai", "nsfw",  "camgirl", "camgirls", "milf",    "bdsm", "escort",   "escorts", "sexcam"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Letters, digits and every non-ASCII byte make up tokens.
bool token_byte(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || u >= 0x80;
}

std::string normalize_entry(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    std::string out(s);
    for (char& c : out) c = lower(c);
    return out;
}

std::string normalize_domain(std::string_view s) {
    std::string d = normalize_entry(s);
    if (d.rfind("*.", 0) == 0) d.erase(0, 2);
    while (!d.empty() && d.front() == '.') d.erase(0, 1);
    while (!d.empty() && d.back() == '.') d.pop_back();
    return d;
}

// Adds the entries of `inline_list` and of each file, normalised by `norm`.
template <class Norm, class Add>
Status load_list(const std::vector<std::string>& inline_list, const std::vector<std::string>& files,
                 const char* option, base::Env* env, Norm norm, Add add) {
    for (const std::string& e : inline_list) {
        std::string n = norm(e);
        if (!n.empty()) add(std::move(n));
    }
    for (const std::string& path : files) {
        Result<std::string> text = env->read_file(path);
        if (!text.ok()) return text.status().with_context(std::string("url filter ") + option);
        std::string_view rest = *text;
        while (!rest.empty()) {
            const size_t nl = rest.find('\n');
            std::string_view line = rest.substr(0, nl);
            rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
            std::string n = norm(line);
            if (n.empty() || n[0] == '#') continue;
            add(std::move(n));
        }
    }
    return Status();
}

}  // namespace

Result<UrlFilter> UrlFilter::create(const UrlFilterOptions& options, base::Env* env) {
    UrlFilter f;
    JENNY_RETURN_IF_ERROR(load_list(options.blocked_domains, options.blocked_domain_files,
                                    "blocked_domain_files", env, normalize_domain,
                                    [&](std::string s) { f.domains_.insert(std::move(s)); }));
    JENNY_RETURN_IF_ERROR(load_list(options.banned_words, options.banned_word_files,
                                    "banned_word_files", env, normalize_entry,
                                    [&](std::string s) { f.words_.insert(std::move(s)); }));
    auto subword = [](std::string_view s) {
        std::string out;
        for (char c : normalize_entry(s)) {
            if (token_byte(c)) out.push_back(c);
        }
        return out;
    };
    JENNY_RETURN_IF_ERROR(load_list(options.banned_subwords, options.banned_subword_files,
                                    "banned_subword_files", env, subword,
                                    [&](std::string s) { f.subwords_.push_back(std::move(s)); }));
    if (options.use_default_words) {
        for (std::string_view w : kDefaultBannedWords) f.words_.insert(std::string(w));
    }
    return f;
}

std::string UrlFilter::host_of(std::string_view url) {
    const size_t scheme = url.find("://");
    std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    const size_t at = rest.rfind('@');
    if (at != std::string_view::npos) rest.remove_prefix(at + 1);
    if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
        const size_t close = rest.find(']');
        rest = rest.substr(0, close == std::string_view::npos ? rest.size() : close + 1);
    } else {
        rest = rest.substr(0, rest.find(':'));
    }
    std::string host(rest);
    for (char& c : host) c = lower(c);
    while (!host.empty() && host.back() == '.') host.pop_back();
    return host;
}

Verdict UrlFilter::filter(const Document& doc) const {
    if (doc.url.empty()) return Verdict::kept();
    if (!domains_.empty()) {
        const std::string host = host_of(doc.url);
        std::string_view d = host;
        while (!d.empty()) {
            if (domains_.count(std::string(d)) > 0) return Verdict::drop("url_blocklist");
            const size_t dot = d.find('.');
            if (dot == std::string_view::npos) break;
            d.remove_prefix(dot + 1);
        }
    }
    if (!words_.empty()) {
        std::string token;
        for (size_t i = 0; i <= doc.url.size(); ++i) {
            if (i < doc.url.size() && token_byte(doc.url[i])) {
                token.push_back(lower(doc.url[i]));
                continue;
            }
            if (!token.empty() && words_.count(token) > 0) return Verdict::drop("url_banned_word");
            token.clear();
        }
    }
    if (!subwords_.empty()) {
        std::string squashed;
        for (char c : doc.url) {
            if (token_byte(c)) squashed.push_back(lower(c));
        }
        for (const std::string& s : subwords_) {
            if (squashed.find(s) != std::string::npos) return Verdict::drop("url_banned_subword");
        }
    }
    return Verdict::kept();
}

}  // namespace jenny::data
