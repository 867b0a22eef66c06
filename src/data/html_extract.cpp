#include "jenny/data/html_extract.h"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace jenny::data {
namespace {

// Subtrees dropped whatever their attributes say (rule 2; <header> is handled apart).
bool is_dropped_tag(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_HEAD:
        case GUMBO_TAG_SCRIPT:
        case GUMBO_TAG_STYLE:
        case GUMBO_TAG_NOSCRIPT:
        case GUMBO_TAG_NAV:
        case GUMBO_TAG_FOOTER:
        case GUMBO_TAG_ASIDE:
        case GUMBO_TAG_FORM:
        case GUMBO_TAG_IFRAME:
        case GUMBO_TAG_SVG:
        case GUMBO_TAG_MATH:
        case GUMBO_TAG_TEMPLATE:
        case GUMBO_TAG_OBJECT:
        case GUMBO_TAG_EMBED:
        case GUMBO_TAG_CANVAS:
        case GUMBO_TAG_AUDIO:
        case GUMBO_TAG_VIDEO:
        case GUMBO_TAG_BUTTON:
        case GUMBO_TAG_SELECT:
        case GUMBO_TAG_TEXTAREA:
        case GUMBO_TAG_MENU:
            return true;
        default:
            return false;
    }
}

// Elements that start and end a line.
bool is_block_tag(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_ADDRESS:
        case GUMBO_TAG_ARTICLE:
        case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_BODY:
        case GUMBO_TAG_CAPTION:
        case GUMBO_TAG_CENTER:
        case GUMBO_TAG_DD:
        case GUMBO_TAG_DETAILS:
        case GUMBO_TAG_DIV:
        case GUMBO_TAG_DL:
        case GUMBO_TAG_DT:
        case GUMBO_TAG_FIELDSET:
        case GUMBO_TAG_FIGCAPTION:
        case GUMBO_TAG_FIGURE:
        case GUMBO_TAG_H1:
        case GUMBO_TAG_H2:
        case GUMBO_TAG_H3:
        case GUMBO_TAG_H4:
        case GUMBO_TAG_H5:
        case GUMBO_TAG_H6:
        case GUMBO_TAG_HEADER:
        case GUMBO_TAG_HGROUP:
        case GUMBO_TAG_HR:
        case GUMBO_TAG_LEGEND:
        case GUMBO_TAG_LI:
        case GUMBO_TAG_MAIN:
        case GUMBO_TAG_OL:
        case GUMBO_TAG_P:
        case GUMBO_TAG_PRE:
        case GUMBO_TAG_SECTION:
        case GUMBO_TAG_SUMMARY:
        case GUMBO_TAG_TABLE:
        case GUMBO_TAG_TBODY:
        case GUMBO_TAG_TFOOT:
        case GUMBO_TAG_THEAD:
        case GUMBO_TAG_TR:
        case GUMBO_TAG_UL:
            return true;
        default:
            return false;
    }
}

// Containers the link-density rule looks at.
bool is_link_list_candidate(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_UL:
        case GUMBO_TAG_OL:
        case GUMBO_TAG_DL:
        case GUMBO_TAG_TABLE:
        case GUMBO_TAG_DIV:
        case GUMBO_TAG_SECTION:
        case GUMBO_TAG_P:
        case GUMBO_TAG_HEADER:
            return true;
        default:
            return false;
    }
}

// class/id tokens that name boilerplate. Exact words match a whole token; stems of four or
// more letters also match as a token's prefix or suffix ("mainmenu", "footer2", "cookiebar"),
// which short words like "ad" must not ("address", "head").
constexpr std::array<std::string_view, 10> kBoilerplateExact = {
    "nav", "ad", "ads", "share", "sharing", "social", "skiplink", "popup", "newsletter", "promo"};
constexpr std::array<std::string_view, 12> kBoilerplateStems = {
    "navbar",  "navigation", "menu",   "footer",      "cookie",    "consent",
    "sidebar", "breadcrumb", "advert", "adsbygoogle", "sponsored", "pagination"};

std::string_view attribute(const GumboElement& e, const char* name) {
    const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
    return a == nullptr ? std::string_view() : std::string_view(a->value);
}

bool has_attribute(const GumboElement& e, const char* name) {
    return gumbo_get_attribute(&e.attributes, name) != nullptr;
}

bool ascii_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

bool names_boilerplate(std::string_view value) {
    const std::string v = lower_ascii(value);
    size_t i = 0;
    while (i < v.size()) {
        while (i < v.size() && !ascii_alnum(static_cast<unsigned char>(v[i]))) ++i;
        size_t j = i;
        while (j < v.size() && ascii_alnum(static_cast<unsigned char>(v[j]))) ++j;
        const std::string_view token(v.data() + i, j - i);
        i = j;
        if (token.empty()) continue;
        for (std::string_view w : kBoilerplateExact) {
            if (token == w) return true;
        }
        for (std::string_view w : kBoilerplateStems) {
            if (token.size() >= w.size() &&
                (token.substr(0, w.size()) == w || token.substr(token.size() - w.size()) == w)) {
                return true;
            }
        }
    }
    return false;
}

bool is_hidden(const GumboElement& e) {
    if (has_attribute(e, "hidden")) return true;
    if (lower_ascii(attribute(e, "aria-hidden")) == "true") return true;
    std::string style;
    for (char c : lower_ascii(attribute(e, "style"))) {
        if (c != ' ' && c != '\t') style.push_back(c);
    }
    return style.find("display:none") != std::string::npos ||
           style.find("visibility:hidden") != std::string::npos;
}

bool has_boilerplate_role(const GumboElement& e) {
    const std::string role = lower_ascii(attribute(e, "role"));
    return role == "navigation" || role == "contentinfo" || role == "complementary" ||
           role == "search" || role == "menu" || role == "menubar" || role == "banner";
}

bool is_main(const GumboElement& e) {
    return e.tag == GUMBO_TAG_MAIN || lower_ascii(attribute(e, "role")) == "main";
}

const GumboVector* children_of(const GumboNode* n) {
    if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) {
        return &n->v.element.children;
    }
    if (n->type == GUMBO_NODE_DOCUMENT) return &n->v.document.children;
    return nullptr;
}

bool is_space_byte(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Per element: visible text bytes (non-space), of which inside links, links, and whether a
// <main>/<article>/<h1> lies inside (which shields it from the class/id rule).
struct NodeStats {
    uint64_t text = 0;
    uint64_t link_text = 0;
    uint32_t links = 0;
    bool key = false;
};

using StatsMap = std::unordered_map<const GumboNode*, NodeStats>;

// One post-order pass without recursion (gumbo trees can be arbitrarily deep).
StatsMap compute_stats(const GumboNode* root) {
    StatsMap stats;
    struct Frame {
        const GumboNode* node;
        unsigned next;
        NodeStats acc;
    };
    std::vector<Frame> stack;
    stack.push_back({root, 0, {}});
    while (!stack.empty()) {
        Frame& f = stack.back();
        const GumboVector* kids = children_of(f.node);
        if (kids != nullptr && f.next < kids->length) {
            const auto* child = static_cast<const GumboNode*>(kids->data[f.next++]);
            if (child->type == GUMBO_NODE_TEXT || child->type == GUMBO_NODE_CDATA) {
                for (const char* p = child->v.text.text; *p != '\0'; ++p) {
                    if (!is_space_byte(static_cast<unsigned char>(*p))) ++f.acc.text;
                }
            } else if (child->type == GUMBO_NODE_ELEMENT && !is_dropped_tag(child->v.element.tag)) {
                stack.push_back({child, 0, {}});
            }
            continue;
        }
        NodeStats done = f.acc;
        const GumboNode* node = f.node;
        if (node->type == GUMBO_NODE_ELEMENT) {
            const GumboTag tag = node->v.element.tag;
            if (tag == GUMBO_TAG_A) {
                done.link_text = done.text;
                done.links += 1;
            }
            if (tag == GUMBO_TAG_MAIN || tag == GUMBO_TAG_ARTICLE || tag == GUMBO_TAG_H1) {
                done.key = true;
            }
        }
        stats[node] = done;
        stack.pop_back();
        if (!stack.empty()) {
            NodeStats& parent = stack.back().acc;
            parent.text += done.text;
            parent.link_text += done.link_text;
            parent.links += done.links;
            parent.key = parent.key || done.key;
        }
    }
    return stats;
}

// The unique main element under `root`, or null.
const GumboNode* find_single_main(const GumboNode* root) {
    const GumboNode* found = nullptr;
    int count = 0;
    std::vector<const GumboNode*> stack = {root};
    while (!stack.empty()) {
        const GumboNode* n = stack.back();
        stack.pop_back();
        if (n->type == GUMBO_NODE_ELEMENT && is_main(n->v.element)) {
            found = n;
            if (++count > 1) return nullptr;
        }
        if (const GumboVector* kids = children_of(n)) {
            for (unsigned i = 0; i < kids->length; ++i) {
                stack.push_back(static_cast<const GumboNode*>(kids->data[i]));
            }
        }
    }
    return found;
}

// Accumulates lines: collapsed inline text, verbatim <pre> text, breaks and cell separators.
class LineBuilder {
public:
    void text(std::string_view s) {
        for (size_t i = 0; i < s.size(); ++i) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (is_space_byte(c)) {
                space_ = true;
            } else if (c == 0xC2 && i + 1 < s.size() &&
                       static_cast<unsigned char>(s[i + 1]) == 0xA0) {
                space_ = true;  // U+00A0 NO-BREAK SPACE, i.e. &nbsp;
                ++i;
            } else {
                if (space_ && !line_.empty()) line_.push_back(' ');
                space_ = false;
                line_.push_back(static_cast<char>(c));
            }
        }
    }

    void pre_text(std::string_view s) {
        for (char c : s) {
            if (c == '\n') {
                end_line();
            } else if (c != '\r') {
                line_.push_back(c);
            }
        }
    }

    void cell_separator() {
        if (!line_.empty()) line_ += " | ";
        space_ = false;
    }

    void end_line() {
        while (!line_.empty() && is_space_byte(static_cast<unsigned char>(line_.back()))) {
            line_.pop_back();
        }
        // A row whose trailing cells were empty leaves a dangling separator.
        while (line_.size() >= 2 && line_.compare(line_.size() - 2, 2, " |") == 0) {
            line_.resize(line_.size() - 2);
        }
        if (!line_.empty()) lines_.push_back(std::move(line_));
        line_.clear();
        space_ = false;
    }

    std::string finish(bool blank_lines) {
        end_line();
        std::string out;
        for (size_t i = 0; i < lines_.size(); ++i) {
            if (i > 0) out += blank_lines ? "\n\n" : "\n";
            out += lines_[i];
        }
        return out;
    }

private:
    std::vector<std::string> lines_;
    std::string line_;
    bool space_ = false;
};

class Extractor {
public:
    Extractor(const HtmlExtractOptions& options, const StatsMap& stats)
        : options_(options), stats_(stats) {}

    std::string run(const GumboNode* root) {
        struct Event {
            const GumboNode* node;
            bool exit;
        };
        std::vector<Event> stack = {{root, false}};
        while (!stack.empty()) {
            const Event ev = stack.back();
            stack.pop_back();
            const GumboNode* n = ev.node;
            if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA ||
                n->type == GUMBO_NODE_WHITESPACE) {
                if (pre_depth_ > 0) {
                    out_.pre_text(n->v.text.text);
                } else {
                    out_.text(n->v.text.text);
                }
                continue;
            }
            if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_DOCUMENT) continue;
            if (n->type == GUMBO_NODE_ELEMENT) {
                if (ev.exit) {
                    leave(n->v.element);
                    continue;
                }
                if (drop(n)) continue;
                enter(n->v.element);
                stack.push_back({n, true});
            }
            const GumboVector* kids = children_of(n);
            for (unsigned i = kids->length; i-- > 0;) {
                stack.push_back({static_cast<const GumboNode*>(kids->data[i]), false});
            }
        }
        return out_.finish(options_.blank_line_between_blocks);
    }

private:
    bool drop(const GumboNode* n) const {
        const GumboElement& e = n->v.element;
        if (is_dropped_tag(e.tag)) return true;
        if (e.tag == GUMBO_TAG_HEADER && article_depth_ == 0) return true;
        if (e.tag == GUMBO_TAG_HTML || e.tag == GUMBO_TAG_BODY || is_main(e)) return false;
        if (is_hidden(e)) return true;
        auto it = stats_.find(n);
        const NodeStats s = it == stats_.end() ? NodeStats{} : it->second;
        if (has_boilerplate_role(e) && !s.key) return true;
        if (options_.drop_boilerplate_ids && e.tag != GUMBO_TAG_ARTICLE && !s.key &&
            (names_boilerplate(attribute(e, "class")) || names_boilerplate(attribute(e, "id")))) {
            return true;
        }
        if (options_.drop_link_lists && is_link_list_candidate(e.tag) && s.links >= 3 &&
            s.text > 0 &&
            static_cast<double>(s.link_text) >=
                options_.link_density_max * static_cast<double>(s.text)) {
            return true;
        }
        return false;
    }

    void enter(const GumboElement& e) {
        if (e.tag == GUMBO_TAG_ARTICLE) ++article_depth_;
        if (e.tag == GUMBO_TAG_PRE || e.tag == GUMBO_TAG_LISTING || e.tag == GUMBO_TAG_PLAINTEXT) {
            out_.end_line();
            ++pre_depth_;
            return;
        }
        if (e.tag == GUMBO_TAG_TD || e.tag == GUMBO_TAG_TH) {
            out_.cell_separator();
        } else if (is_block_tag(e.tag) || e.tag == GUMBO_TAG_BR) {
            out_.end_line();
        } else if (e.tag == GUMBO_TAG_IMG || e.tag == GUMBO_TAG_WBR) {
            out_.text(" ");
        }
    }

    void leave(const GumboElement& e) {
        if (e.tag == GUMBO_TAG_ARTICLE) --article_depth_;
        if (e.tag == GUMBO_TAG_PRE || e.tag == GUMBO_TAG_LISTING || e.tag == GUMBO_TAG_PLAINTEXT) {
            --pre_depth_;
            out_.end_line();
        } else if (is_block_tag(e.tag)) {
            out_.end_line();
        } else if (e.tag == GUMBO_TAG_TD || e.tag == GUMBO_TAG_TH) {
            out_.text(" ");
        }
    }

    const HtmlExtractOptions& options_;
    const StatsMap& stats_;
    LineBuilder out_;
    int article_depth_ = 0;
    int pre_depth_ = 0;
};

// Tags that never stay open: void elements and those gumbo closes implicitly at the next
// sibling, so they do not deepen the tree.
bool never_nests(std::string_view name) {
    static constexpr std::array<std::string_view, 24> kNames = {
        "br",   "img", "meta",  "link",   "input", "hr",    "wbr",  "area",
        "base", "col", "embed", "source", "track", "param", "p",    "li",
        "td",   "tr",  "th",    "option", "dt",    "dd",    "html", "body"};
    return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

// Start tags that may stay open minus the end tags that match one of them: a cheap bound on
// how deep the tree can get (names are compared on their first 8 letters). gumbo's tree
// construction walks the open-element stack for many tags, so a page of 200k unclosed <div>s
// takes minutes; such pages are junk and are refused before parsing.
int64_t estimate_unclosed_tags(std::string_view html) {
    std::unordered_map<uint64_t, int64_t> open_by_name;
    int64_t open = 0;
    size_t i = html.find('<');
    while (i != std::string_view::npos && i + 2 < html.size()) {
        const bool end_tag = html[i + 1] == '/';
        size_t j = i + (end_tag ? 2 : 1);
        if (std::isalpha(static_cast<unsigned char>(html[j]))) {
            char name[8];
            size_t n = 0;
            while (j < html.size() && n < sizeof(name) &&
                   ascii_alnum(static_cast<unsigned char>(html[j]))) {
                name[n++] = static_cast<char>(std::tolower(static_cast<unsigned char>(html[j])));
                ++j;
            }
            if (!never_nests(std::string_view(name, n))) {
                uint64_t key = 0;
                for (size_t k = 0; k < n; ++k) key = key << 8 | static_cast<unsigned char>(name[k]);
                int64_t& count = open_by_name[key];
                if (!end_tag) {
                    ++count;
                    ++open;
                } else if (count > 0) {
                    --count;
                    --open;
                }
            }
        }
        i = html.find('<', i + 1);
    }
    return open;
}

}  // namespace

std::string extract_main_text(std::string_view html, const HtmlExtractOptions& options) {
    if (options.max_unclosed_tags > 0 && estimate_unclosed_tags(html) > options.max_unclosed_tags) {
        return {};
    }
    GumboOptions gopts = kGumboDefaultOptions;
    gopts.max_errors = 0;  // we never read parse errors; don't pay for recording them
    GumboOutput* output = gumbo_parse_with_options(&gopts, html.data(), html.size());
    if (output == nullptr) return {};
    const GumboNode* root = output->root;
    if (options.prefer_main) {
        if (const GumboNode* m = find_single_main(root)) root = m;
    }
    const StatsMap stats = compute_stats(root);
    std::string text = Extractor(options, stats).run(root);
    gumbo_destroy_output(&gopts, output);
    return text;
}

}  // namespace jenny::data
