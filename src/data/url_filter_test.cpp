#include "jenny/data/url_filter.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace jenny::data {
namespace {

Verdict check(const UrlFilter& f, const std::string& url) {
    Document doc;
    doc.url = url;
    return f.filter(doc);
}

TEST(UrlFilter, HostOf) {
    EXPECT_EQ(UrlFilter::host_of("https://User:pw@WWW.Example.COM.:8080/a/b?q#f"),
              "www.example.com");
    EXPECT_EQ(UrlFilter::host_of("http://[2001:db8::1]:80/x"), "[2001:db8::1]");
    EXPECT_EQ(UrlFilter::host_of("example.org/path"), "example.org");
    EXPECT_EQ(UrlFilter::host_of(""), "");
}

TEST(UrlFilter, BlockedDomainsAndSubdomains) {
    UrlFilterOptions o;
    o.blocked_domains = {"Example.com", "*.spam.net", ".evil.org."};
    auto f = UrlFilter::create(o, base::Env::Default());
    ASSERT_TRUE(f.ok());
    for (const char* url :
         {"https://example.com/", "http://www.example.com/x", "https://a.b.example.com:443/",
          "http://spam.net", "http://x.spam.net", "https://evil.org/"}) {
        const Verdict v = check(*f, url);
        EXPECT_FALSE(v.keep) << url;
        EXPECT_EQ(v.reason, "url_blocklist") << url;
    }
    for (const char* url : {"https://badexample.com/", "https://example.co/",
                            "https://example.com.au/", "https://good.org/example.com"}) {
        EXPECT_TRUE(check(*f, url).keep) << url;
    }
    Document no_url;
    EXPECT_TRUE(f->filter(no_url).keep);
}

TEST(UrlFilter, BannedWordsAndSubwords) {
    UrlFilterOptions o;
    o.banned_words = {"Casino"};
    o.banned_subwords = {"free-pills"};
    auto f = UrlFilter::create(o, base::Env::Default());
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(check(*f, "https://x.com/online-casino?x=1").reason, "url_banned_word");
    EXPECT_EQ(check(*f, "https://x.com/free-porn-videos").reason, "url_banned_word");  // default
    EXPECT_TRUE(check(*f, "https://x.com/casinoroyale-review").keep);  // not a whole token
    EXPECT_TRUE(check(*f, "https://x.com/sussex-news").keep);
    EXPECT_EQ(check(*f, "https://x.com/get_FreePills_now").reason, "url_banned_subword");
    EXPECT_EQ(check(*f, "https://x.com/free.pills").reason, "url_banned_subword");
    o.use_default_words = false;
    auto plain = UrlFilter::create(o, base::Env::Default());
    ASSERT_TRUE(plain.ok());
    EXPECT_TRUE(check(*plain, "https://x.com/free-porn-videos").keep);
}

TEST(UrlFilter, ListsFromFiles) {
    const auto dir = std::filesystem::temp_directory_path();
    const std::string domains = (dir / "jenny_url_filter_domains.txt").string();
    const std::string words = (dir / "jenny_url_filter_words.txt").string();
    std::ofstream(domains) << "# blocked\n\n  blocked.example  \r\nother.test\n";
    std::ofstream(words) << "gambling\n";
    UrlFilterOptions o;
    o.blocked_domain_files = {domains};
    o.banned_word_files = {words};
    auto f = UrlFilter::create(o, base::Env::Default());
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    EXPECT_EQ(check(*f, "https://www.blocked.example/").reason, "url_blocklist");
    EXPECT_EQ(check(*f, "https://other.test/").reason, "url_blocklist");
    EXPECT_EQ(check(*f, "https://news.test/gambling/").reason, "url_banned_word");
    EXPECT_TRUE(check(*f, "https://news.test/#blocked").keep);
    std::remove(domains.c_str());
    std::remove(words.c_str());

    o.banned_word_files = {words};  // now missing
    o.blocked_domain_files.clear();
    auto missing = UrlFilter::create(o, base::Env::Default());
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.status().message().find("banned_word_files"), std::string::npos)
        << missing.status().to_string();
}

}  // namespace
}  // namespace jenny::data
