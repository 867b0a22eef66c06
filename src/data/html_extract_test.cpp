#include "jenny/data/html_extract.h"

#include <gtest/gtest.h>

#include <string>

namespace jenny::data {
namespace {

constexpr const char* kPage = R"(<!DOCTYPE html>
<html><head><title>Page title</title>
<style>body { color: red; }</style>
<script>var tracking = "do not keep";</script>
</head>
<body>
<header><a href="/">Site logo</a> <a href="/about">About us</a></header>
<nav><ul><li><a href="/a">Home</a></li><li><a href="/b">Blog</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience.</div>
<h1>The   history of bread</h1>
<p>Bread is one of the  oldest
   prepared foods. Caf&eacute; owners &amp; bakers agree &mdash; it&#39;s old.</p>
<h2>Early bread</h2>
<p>Evidence from <b>30,000</b> years ago in Europe<br>shows starch residue on rocks.</p>
<ul><li>Flatbread</li><li>Sourdough &lt;wild&gt;</li></ul>
<table><tr><th>Grain</th><th>Use</th></tr><tr><td>Wheat</td><td>Bread</td></tr></table>
<pre>int main() {
    return 0;
}</pre>
<noscript>Enable JavaScript</noscript>
<div id="sidebar">Popular posts and other things</div>
<aside>Related reading</aside>
<form><input name="q"><button>Search</button></form>
<footer>Copyright 2024 Example Inc.</footer>
</body></html>)";

TEST(HtmlExtract, KeepsContentInOrderAndDropsBoilerplate) {
    const std::string text = extract_main_text(kPage);
    EXPECT_EQ(text,
              "The history of bread\n"
              "Bread is one of the oldest prepared foods. Caf\u00e9 owners & bakers agree "
              "\u2014 it's old.\n"
              "Early bread\n"
              "Evidence from 30,000 years ago in Europe\n"
              "shows starch residue on rocks.\n"
              "Flatbread\n"
              "Sourdough <wild>\n"
              "Grain | Use\n"
              "Wheat | Bread\n"
              "int main() {\n"
              "    return 0;\n"
              "}");
    for (const char* gone : {"tracking", "color", "Site logo", "Home", "cookies", "Enable",
                             "Popular", "Related", "Search", "Copyright", "Page title"}) {
        EXPECT_EQ(text.find(gone), std::string::npos) << gone;
    }
}

TEST(HtmlExtract, BlankLinesOption) {
    HtmlExtractOptions options;
    options.blank_line_between_blocks = true;
    EXPECT_EQ(extract_main_text("<p>one</p><p>two</p>", options), "one\n\ntwo");
    EXPECT_EQ(extract_main_text("<p>one</p><p>two</p>"), "one\ntwo");
}

TEST(HtmlExtract, PrefersTheSingleMainElement) {
    const char* page =
        "<body><div>Outside text</div><main><p>Inside text</p></main><div>More outside</div>"
        "</body>";
    EXPECT_EQ(extract_main_text(page), "Inside text");
    HtmlExtractOptions options;
    options.prefer_main = false;
    EXPECT_EQ(extract_main_text(page, options), "Outside text\nInside text\nMore outside");
    // Two main elements: no preference.
    EXPECT_EQ(extract_main_text("<main>a</main><main>b</main>"), "a\nb");
    EXPECT_EQ(extract_main_text("<div>x</div><div role=\"main\">y</div>"), "y");
}

TEST(HtmlExtract, ArticleHeaderIsKept) {
    const char* page =
        "<header>Site name</header><article><header><h1>Title</h1></header>"
        "<p>Body.</p><footer>Share this</footer></article>";
    EXPECT_EQ(extract_main_text(page), "Title\nBody.");
}

TEST(HtmlExtract, ClassAndIdRules) {
    EXPECT_EQ(extract_main_text("<p>keep</p><div class=\"main-menu\">m</div>"), "keep");
    EXPECT_EQ(extract_main_text("<p>keep</p><div class=\"x ads\">m</div>"), "keep");
    EXPECT_EQ(extract_main_text("<p>keep</p><div id=\"breadcrumbs\">m</div>"), "keep");
    EXPECT_EQ(extract_main_text("<p>keep</p><div class=\"footer2\">m</div>"), "keep");
    EXPECT_EQ(extract_main_text("<p>keep</p><div role=\"navigation\">m</div>"), "keep");
    EXPECT_EQ(extract_main_text("<p>keep</p><div hidden>m</div>"), "keep");
    EXPECT_EQ(extract_main_text("<p>keep</p><div style=\"display: none\">m</div>"), "keep");
    // Short words only match whole tokens: "address", "header-image", "loading" stay.
    EXPECT_EQ(extract_main_text("<div class=\"address\">a</div><div class=\"loading\">b</div>"),
              "a\nb");
    // A wrapper that names a sidebar but holds the article is kept.
    EXPECT_EQ(extract_main_text("<div class=\"has-sidebar\"><h1>T</h1><p>body</p></div>"),
              "T\nbody");
    HtmlExtractOptions options;
    options.drop_boilerplate_ids = false;
    EXPECT_EQ(extract_main_text("<p>keep</p><div class=\"menu\">m</div>", options), "keep\nm");
}

TEST(HtmlExtract, LinkListsAreDropped) {
    const char* page =
        "<p>Real text with <a href=x>one link</a> in it.</p>"
        "<ul><li><a href=1>First</a></li><li><a href=2>Second</a></li>"
        "<li><a href=3>Third</a></li></ul>";
    EXPECT_EQ(extract_main_text(page), "Real text with one link in it.");
    HtmlExtractOptions options;
    options.drop_link_lists = false;
    EXPECT_EQ(extract_main_text(page, options),
              "Real text with one link in it.\nFirst\nSecond\nThird");
}

TEST(HtmlExtract, EntitiesAndWhitespace) {
    EXPECT_EQ(
        extract_main_text("<p>&nbsp; a&nbsp;&nbsp;b &lt;&gt;&amp;&quot; &#x4e2d;&#25991; </p>"),
        "a b <>&\" \u4e2d\u6587");
    EXPECT_EQ(extract_main_text("<p>in<b>line</b> <i>words</i></p>"), "inline words");
    EXPECT_EQ(extract_main_text(""), "");
    EXPECT_EQ(extract_main_text("<script>x</script>"), "");
    EXPECT_EQ(extract_main_text("plain text, no tags"), "plain text, no tags");
}

TEST(HtmlExtract, InvalidUtf8BecomesReplacementCharacter) {
    const std::string text = extract_main_text(std::string("<p>a\xff") + "b</p>");
    EXPECT_EQ(text, "a\uFFFDb");
}

TEST(HtmlExtract, DeepNestingDoesNotOverflowTheStack) {
    std::string page;
    for (int i = 0; i < 2500; ++i) page += "<div>";
    page += "deep";
    EXPECT_EQ(extract_main_text(page), "deep");
    std::string spans;
    for (int i = 0; i < 2500; ++i) spans += "<span>";
    spans += "deep too";
    EXPECT_EQ(extract_main_text(spans), "deep too");
}

TEST(HtmlExtract, RefusesPagesNestedTooDeep) {
    std::string page;
    for (int i = 0; i < 200000; ++i) page += "<div>";
    page += "deep";
    EXPECT_EQ(extract_main_text(page), "");  // at once, not after minutes in gumbo
    // Void and implicitly closed elements do not count.
    std::string flat;
    for (int i = 0; i < 10000; ++i) flat += "<p>line<br><img src=x></p><li>item";
    EXPECT_FALSE(extract_main_text(flat).empty());
}

}  // namespace
}  // namespace jenny::data
