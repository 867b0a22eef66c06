#include "jenny/data/pii.h"

#include <gtest/gtest.h>

#include <string>

namespace jenny::data {
namespace {

std::string scrub(std::string text, const PiiOptions& options = {}, PiiCounts* counts = nullptr) {
    PiiCounts c = scrub_pii(&text, options);
    if (counts != nullptr) *counts = c;
    return text;
}

TEST(Pii, Emails) {
    PiiCounts c;
    EXPECT_EQ(scrub("Write to john.doe+news@mail.example.co.uk, or to a_b@x-y.org.", {}, &c),
              "Write to <EMAIL>, or to <EMAIL>.");
    EXPECT_EQ(c.email, 2u);
    EXPECT_EQ(c.total(), 2u);
    EXPECT_EQ(scrub("联系我们：service@example.cn 谢谢"), "联系我们：<EMAIL> 谢谢");
    // Not addresses.
    for (const char* keep : {"@handle", "user@localhost", "a@b.c", "meet @ 5pm", "x@1.2",
                             "name@domain.", ".@example.com"}) {
        EXPECT_EQ(scrub(keep), keep) << keep;
    }
}

TEST(Pii, Ipv4) {
    PiiCounts c;
    EXPECT_EQ(scrub("Server at 8.8.8.8, backup 93.184.216.34:443.", {}, &c),
              "Server at <IP>, backup <IP>:443.");
    EXPECT_EQ(c.ip, 2u);
    // Private and reserved ranges stay unless asked.
    const std::string priv = "lan 192.168.1.1, 10.0.0.7, 127.0.0.1, 172.16.5.4, 0.0.0.0";
    EXPECT_EQ(scrub(priv), priv);
    PiiOptions all;
    all.ip_public_only = false;
    EXPECT_EQ(scrub(priv, all), "lan <IP>, <IP>, <IP>, <IP>, <IP>");
    // Not addresses: versions, 5 parts, out of range, leading zeros, embedded in words.
    for (const char* keep : {"version 1.2.3.4", "Release: 4.3.2.1", "v1.2.3.4", "1.2.3.4.5",
                             "256.1.1.1", "8.8.08.8", "a8.8.8.8", "1.2.3", "8.8.8.8a"}) {
        EXPECT_EQ(scrub(keep, all), keep) << keep;
    }
}

TEST(Pii, Ipv6) {
    PiiCounts c;
    EXPECT_EQ(scrub("v6 2a00:1450:4001:82a::200e and 2606:4700:4700:0:0:0:0:1111.", {}, &c),
              "v6 <IP> and <IP>.");
    EXPECT_EQ(c.ip, 2u);
    EXPECT_EQ(scrub("mapped ::ffff:8.8.4.4 here"), "mapped <IP> here");
    const std::string priv = "::1 fe80::1ff:fe23:4567:890a fd12:3456:789a::1 2001:db8::8a2e:370";
    EXPECT_EQ(scrub(priv), priv);
    PiiOptions all;
    all.ip_public_only = false;
    EXPECT_EQ(scrub("fe80::1ff:fe23:4567:890a", all), "<IP>");
    for (const char* keep :
         {"12:30:45", "std::map", "a::b", "00:1A:2B:3C:4D:5E", "dead::beef", "1:2:3:4:5:6:7"}) {
        EXPECT_EQ(scrub(keep), keep) << keep;
    }
}

TEST(Pii, Phones) {
    PiiCounts c;
    EXPECT_EQ(scrub("Call +1 (415) 555-2671 or +44 20 7946 0958 or +86 138 0013 8000.", {}, &c),
              "Call <PHONE> or <PHONE> or <PHONE>.");
    EXPECT_EQ(c.phone, 3u);
    for (const char* phone :
         {"+8613800138000", "+44 (0)20 7946 0958", "+49 30 1234567", "+33 6 12 34 56 78",
          "(415) 555-2671", "(415)555-2671", "415-555-2671", "415.555.2671", "1-415-555-2671",
          "06 12 34 56 78", "06.12.34.56.78", "030 1234567", "(030) 1234567", "020 7946 0958",
          "0171/1234567", "13800138000", "138 0013 8000", "138-0013-8000"}) {
        EXPECT_EQ(scrub(std::string("tel ") + phone + " end"), "tel <PHONE> end") << phone;
    }
    EXPECT_EQ(scrub("手机13800138000，欢迎来电"), "手机<PHONE>，欢迎来电");
    // Not phones: dates, times, prices, counts, plain long numbers, mixed separators.
    for (const char* keep : {"2024-01-02", "01.02.2023", "01/02/2023", "12:30:45", "$1,234,567.89",
                             "415-555.2671", "415 555 2671", "4155552671", "0612345678", "123-4567",
                             "ISBN 978-3-16-148410-0", "+12", "12345678901", "1 2 3 4 5 6 7 8 9 10",
                             "in 2019 and 2020 and 2021", "page 10-12", "0 1 2 3 4 5 6 7 8 9"}) {
        EXPECT_EQ(scrub(keep), keep) << keep;
    }
}

TEST(Pii, Ids) {
    PiiCounts c;
    // Chinese resident IDs (checksums valid), one with an X check character.
    EXPECT_EQ(scrub("身份证号 11010519491231002X 与 110105194912310029 不同", {}, &c),
              "身份证号 <ID> 与 110105194912310029 不同");
    EXPECT_EQ(c.id, 1u);
    EXPECT_EQ(scrub("id 310115199003071239."), "id <ID>.");
    EXPECT_EQ(scrub("id 440524188001010014."), "id 440524188001010014.");  // born 1880
    EXPECT_EQ(scrub("SSN 536-22-1234 ok"), "SSN <ID> ok");
    for (const char* card : {"4111111111111111", "4111 1111 1111 1111", "5555-5555-5555-4444",
                             "3782 822463 10005", "6011111111111117", "4012888888881881"}) {
        EXPECT_EQ(scrub(std::string("card ") + card + "."), "card <ID>.") << card;
    }
    // Not IDs: bad checksums, impossible SSNs, numbers without an issuer or failing Luhn.
    for (const char* keep :
         {"110105194912310028", "110105194913310021", "000-12-3456", "666-12-3456", "900-12-3456",
          "536-00-1234", "536-22-0000", "4111111111111112", "1234567890123456", "4111 1111 1111",
          "41111 11111 111111", "12345678901234567890123"}) {
        EXPECT_EQ(scrub(keep), keep) << keep;
    }
}

TEST(Pii, TokensKindsAndCounts) {
    PiiOptions o;
    o.email_token = "email@example.com";
    o.phone = false;
    PiiCounts c;
    EXPECT_EQ(scrub("a@b.com 8.8.8.8 415-555-2671 536-22-1234", o, &c),
              "email@example.com <IP> 415-555-2671 <ID>");
    EXPECT_EQ(c.email, 1u);
    EXPECT_EQ(c.ip, 1u);
    EXPECT_EQ(c.phone, 0u);
    EXPECT_EQ(c.id, 1u);
    PiiCounts sum;
    sum += c;
    sum += c;
    EXPECT_EQ(sum.total(), 6u);

    Document doc;
    doc.text = "mail me: x.y@z.io";
    EXPECT_EQ(scrub_pii(doc).email, 1u);
    EXPECT_EQ(doc.text, "mail me: <EMAIL>");

    const auto m = find_pii("at 8.8.8.8 or a@b.com");
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].kind, PiiKind::kIp);
    EXPECT_EQ(m[0].begin, 3u);
    EXPECT_EQ(m[0].end, 10u);
    EXPECT_EQ(m[1].kind, PiiKind::kEmail);
}

TEST(Pii, NoMatchLeavesTextAlone) {
    std::string text = "Nothing personal here: 3.14159, 2024, 1.2.3, 100%.";
    EXPECT_EQ(scrub_pii(&text).total(), 0u);
    EXPECT_EQ(text, "Nothing personal here: 3.14159, 2024, 1.2.3, 100%.");
    EXPECT_EQ(scrub(""), "");
    EXPECT_EQ(scrub("@@@...:::+++((("), "@@@...:::+++(((");
}

}  // namespace
}  // namespace jenny::data
