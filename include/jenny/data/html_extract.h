// HTML → main text for `jenny data run` (docs/formats/pipeline.md): the WARC reader's text,
// or a block of its own. A rule-based extractor over gumbo's HTML5 tree, far simpler than
// trafilatura, in this order:
//   1. Only the page's <main> element (or role="main") when it has exactly one.
//   2. Dropped with everything inside: <head>, script, style, noscript, nav, footer, aside,
//      form, iframe, svg, math, template, object, embed, canvas, audio, video, button, select,
//      textarea, menu; <header> unless it is inside an <article> (an article's header holds
//      its title); elements with the `hidden` attribute, aria-hidden="true" or an inline
//      display:none; role="navigation"/"contentinfo"/"complementary"/"search"/"menu"/
//      "menubar"/"banner".
//   3. Elements whose class or id names boilerplate (tokens split at non-alphanumerics:
//      nav, menu, footer, cookie, consent, sidebar, breadcrumb, ad/ads/advert,
//      sponsored, share, social, ...; see kBoilerplateWords in html_extract.cpp) are dropped,
//      unless they hold a <main>, <article> or <h1> (a "has-sidebar" page wrapper).
//   4. Link lists: a block with at least 3 links whose text is ≥ 80% link text is dropped.
// Text layout: every block element (p, div, h1-h6, li, dt/dd, tr, blockquote, pre, section,
// ...) starts a new line and <br> ends one; table cells in a row are joined by " | ". Lines
// are separated by a single "\n" (trafilatura's plain-text layout, which datatrove's
// line-based filters such as line_punct_ratio expect); `blank_line_between_blocks` separates
// them by "\n\n" instead. Outside <pre>, runs of white space (and U+00A0) collapse to one
// space and lines are trimmed; inside <pre>, text keeps its spaces and line breaks (trailing
// spaces trimmed). Empty lines are never emitted. Entities are decoded (gumbo does it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jenny::data {

struct HtmlExtractOptions {
    bool prefer_main = true;           // rule 1
    bool drop_boilerplate_ids = true;  // rule 3
    bool drop_link_lists = true;       // rule 4
    double link_density_max = 0.8;     // rule 4's ratio
    bool blank_line_between_blocks = false;
    int64_t max_unclosed_tags = 3000;  // pages nesting deeper give ""; 0 = no limit

    template <class V>
    void visit(V& v) {
        v.field("prefer_main", prefer_main, "only the <main> element when the page has one");
        v.field("drop_boilerplate_ids", drop_boilerplate_ids,
                "drop elements whose class/id says nav, menu, footer, cookie, sidebar, ads...");
        v.field("drop_link_lists", drop_link_lists,
                "drop blocks with >= 3 links that are mostly link text");
        v.field("link_density_max", link_density_max,
                "link text share above which a block with >= 3 links is dropped");
        v.field("blank_line_between_blocks", blank_line_between_blocks,
                "separate blocks by a blank line instead of one newline");
        v.field("max_unclosed_tags", max_unclosed_tags,
                "refuse pages with more unclosed start tags than this (0 = no limit)");
    }
};

// The main text of `html` (UTF-8; invalid bytes become U+FFFD), as described above. Returns
// "" when nothing is left, and for pages whose start tags outnumber their end tags by more
// than `max_unclosed_tags` (the HTML5 tree builder is quadratic in nesting depth, so 200k
// unclosed <div>s would take minutes; such pages are junk). Never fails; any input, however
// malformed or deeply nested, is handled without recursion. Thread-safe (no shared state).
std::string extract_main_text(std::string_view html, const HtmlExtractOptions& options = {});

}  // namespace jenny::data
