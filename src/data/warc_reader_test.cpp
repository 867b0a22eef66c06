#include "jenny/data/warc_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace jenny::data {
namespace {

std::string record(const std::string& type, const std::string& id, const std::string& uri,
                   const std::string& content_type, const std::string& content) {
    std::string r = "WARC/1.0\r\nWARC-Type: " + type + "\r\n";
    if (!id.empty()) r += "WARC-Record-ID: <urn:uuid:" + id + ">\r\n";
    if (!uri.empty()) r += "WARC-Target-URI: " + uri + "\r\n";
    r += "WARC-Date: 2024-01-01T00:00:00Z\r\n";
    r += "Content-Type: " + content_type + "\r\n";
    r += "Content-Length: " + std::to_string(content.size()) + "\r\n\r\n";
    return r + content + "\r\n\r\n";
}

std::string http(int status, const std::string& content_type, const std::string& body,
                 const std::string& extra_headers = "") {
    std::string h = "HTTP/1.1 " + std::to_string(status) + " Whatever\r\n";
    if (!content_type.empty()) h += "Content-Type: " + content_type + "\r\n";
    return h + extra_headers + "Server: test\r\n\r\n" + body;
}

std::string page(const std::string& id, const std::string& uri, const std::string& text) {
    return record("response", id, uri, "application/http; msgtype=response",
                  http(200, "text/html; charset=UTF-8",
                       "<html><body><nav>menu</nav><p>" + text + "</p></body></html>"));
}

std::string gzip(std::string_view data) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&zs, data.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

// A Common Crawl style file: one gzip member per record. Returns each record's offset.
std::string gzip_members(const std::vector<std::string>& records, std::vector<uint64_t>* offsets) {
    std::string out;
    for (const auto& r : records) {
        if (offsets != nullptr) offsets->push_back(out.size());
        out += gzip(r);
    }
    return out;
}

std::vector<std::string> three_pages() {
    return {
        record("warcinfo", "info", "", "application/warc-fields", "software: test\r\n"),
        record("request", "req1", "https://a.example/", "application/http; msgtype=request",
               "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n"),
        page("one", "https://a.example/", "First page text."),
        page("two", "https://b.example/x?y=1", "Second page &amp; more."),
        record("response", "png", "https://a.example/i.png", "application/http; msgtype=response",
               http(200, "image/png", "\x89PNG....")),
        record("response", "404", "https://a.example/missing", "application/http; msgtype=response",
               http(404, "text/html", "<p>Not found</p>")),
        page("three", "<https://c.example/>", "Third page."),
    };
}

struct ReadAll {
    std::vector<Document> docs;
    WarcReaderStats stats;
};

ReadAll read_all(std::string_view bytes, const WarcReaderOptions& options = {},
                 uint64_t start = 0) {
    ReadAll out;
    auto reader = WarcReader::from_bytes(bytes, "test.warc.gz", options, start);
    EXPECT_TRUE(reader.ok()) << reader.status().to_string();
    if (!reader.ok()) return out;
    Document doc;
    for (;;) {
        auto more = (*reader)->next(&doc);
        EXPECT_TRUE(more.ok());
        if (!more.ok() || !*more) break;
        out.docs.push_back(doc);
    }
    out.stats = (*reader)->stats();
    return out;
}

uint64_t count(const std::map<std::string, uint64_t>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? 0 : it->second;
}

TEST(WarcReader, PlainFileYieldsHtmlPages) {
    std::string file;
    std::vector<uint64_t> starts;
    for (const auto& r : three_pages()) {
        starts.push_back(file.size());
        file += r;
    }
    ReadAll all = read_all(file);
    ASSERT_EQ(all.docs.size(), 3u);
    EXPECT_EQ(all.docs[0].id, "<urn:uuid:one>");
    EXPECT_EQ(all.docs[0].url, "https://a.example/");
    EXPECT_EQ(all.docs[0].text, "First page text.");
    EXPECT_EQ(all.docs[0].offset, starts[2]);
    EXPECT_EQ(all.docs[0].source, "test.warc.gz");
    EXPECT_EQ(all.docs[1].text, "Second page & more.");
    EXPECT_EQ(all.docs[1].url, "https://b.example/x?y=1");
    EXPECT_EQ(all.docs[2].url, "https://c.example/");
    EXPECT_EQ(all.docs[2].offset, starts[6]);
    EXPECT_EQ(all.stats.records, 7u);
    EXPECT_EQ(all.stats.documents, 3u);
    EXPECT_EQ(count(all.stats.skipped, "not_response"), 2u);
    EXPECT_EQ(count(all.stats.skipped, "not_html"), 1u);
    EXPECT_EQ(count(all.stats.skipped, "http_status"), 1u);
    EXPECT_TRUE(all.stats.errors.empty());
    // Resume at a record's offset.
    ReadAll resumed = read_all(file, {}, all.docs[1].offset);
    ASSERT_EQ(resumed.docs.size(), 2u);
    EXPECT_EQ(resumed.docs[0].id, "<urn:uuid:two>");
    EXPECT_EQ(resumed.docs[0].offset, all.docs[1].offset);
}

TEST(WarcReader, GzipMembersGiveMemberOffsetsAndResume) {
    std::vector<uint64_t> offsets;
    const std::string file = gzip_members(three_pages(), &offsets);
    ReadAll all = read_all(file);
    ASSERT_EQ(all.docs.size(), 3u);
    EXPECT_EQ(all.docs[0].offset, offsets[2]);
    EXPECT_EQ(all.docs[1].offset, offsets[3]);
    EXPECT_EQ(all.docs[2].offset, offsets[6]);
    EXPECT_TRUE(all.stats.errors.empty());

    ReadAll resumed = read_all(file, {}, all.docs[1].offset);
    ASSERT_EQ(resumed.docs.size(), 2u);
    EXPECT_EQ(resumed.docs[0].id, "<urn:uuid:two>");
    EXPECT_EQ(resumed.docs[1].id, "<urn:uuid:three>");
    EXPECT_EQ(resumed.docs[1].offset, offsets[6]);

    EXPECT_EQ(read_all(file, {}, file.size()).docs.size(), 0u);
    auto bad = WarcReader::from_bytes(file, "f", {}, offsets[3] + 1);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_FALSE(WarcReader::from_bytes(file, "f", {}, file.size() + 1).ok());
}

TEST(WarcReader, OpensFilesAndResumes) {
    std::vector<uint64_t> offsets;
    const std::string file = gzip_members(three_pages(), &offsets);
    const std::string path =
        (std::filesystem::temp_directory_path() / "jenny_warc_reader_test.warc.gz").string();
    std::ofstream(path, std::ios::binary) << file;
    auto reader = WarcReader::open(path, base::Env::Default(), {}, offsets[3]);
    ASSERT_TRUE(reader.ok()) << reader.status().to_string();
    Document doc;
    ASSERT_TRUE(*(*reader)->next(&doc));
    EXPECT_EQ(doc.id, "<urn:uuid:two>");
    EXPECT_EQ(doc.source, path);
    std::remove(path.c_str());
    EXPECT_FALSE(WarcReader::open(path, base::Env::Default()).ok());
}

TEST(WarcReader, OneGzipMemberForTheWholeFile) {
    std::string plain;
    for (const auto& r : three_pages()) plain += r;
    ReadAll all = read_all(gzip(plain));
    ASSERT_EQ(all.docs.size(), 3u);
    for (const auto& d : all.docs) EXPECT_EQ(d.offset, 0u);
}

TEST(WarcReader, TruncatedGzipMember) {
    std::vector<uint64_t> offsets;
    const std::string file = gzip_members(three_pages(), &offsets);
    const std::string cut = file.substr(0, file.size() - 20);  // inside the last member
    ReadAll all = read_all(cut);
    ASSERT_EQ(all.docs.size(), 2u);
    EXPECT_EQ(count(all.stats.errors, "truncated_gzip"), 1u);
    ASSERT_FALSE(all.stats.error_messages.empty());
    EXPECT_EQ(all.stats.error_messages[0].rfind("test.warc.gz@" + std::to_string(offsets[6]), 0),
              0u)
        << all.stats.error_messages[0];
}

TEST(WarcReader, TruncatedMemberFollowedByGoodOnes) {
    std::vector<std::string> records = three_pages();
    std::string file;
    std::vector<uint64_t> offsets;
    for (size_t i = 0; i < records.size(); ++i) {
        offsets.push_back(file.size());
        std::string member = gzip(records[i]);
        if (i == 2) member.resize(member.size() / 2);  // page "one" loses its second half
        file += member;
    }
    ReadAll all = read_all(file);
    ASSERT_EQ(all.docs.size(), 2u);
    EXPECT_EQ(all.docs[0].id, "<urn:uuid:two>");
    EXPECT_EQ(all.docs[0].offset, offsets[3]);
    EXPECT_EQ(all.docs[1].id, "<urn:uuid:three>");
    EXPECT_GE(count(all.stats.errors, "gzip_error"), 1u);
}

TEST(WarcReader, CorruptMemberIsSkipped) {
    std::vector<std::string> records = three_pages();
    std::string file;
    for (size_t i = 0; i < records.size(); ++i) {
        std::string member = gzip(records[i]);
        if (i == 3) {
            for (size_t k = 20; k < 40 && k < member.size(); ++k) member[k] ^= 0x5a;
        }
        file += member;
    }
    ReadAll all = read_all(file);
    ASSERT_EQ(all.docs.size(), 2u);
    EXPECT_EQ(all.docs[0].id, "<urn:uuid:one>");
    EXPECT_EQ(all.docs[1].id, "<urn:uuid:three>");
    EXPECT_GE(count(all.stats.errors, "gzip_error"), 1u);
}

TEST(WarcReader, GarbageBetweenMembers) {
    std::vector<uint64_t> offsets;
    std::vector<std::string> records = three_pages();
    std::string file = gzip(records[2]) + "garbage bytes" + gzip(records[3]);
    ReadAll all = read_all(file);
    ASSERT_EQ(all.docs.size(), 2u);
    EXPECT_EQ(count(all.stats.errors, "gzip_error"), 1u);
}

TEST(WarcReader, TruncatedPlainRecord) {
    std::string file = page("one", "u1", "First.") + page("two", "u2", "Second.");
    ReadAll all = read_all(file.substr(0, file.size() - 30));
    ASSERT_EQ(all.docs.size(), 1u);
    EXPECT_EQ(count(all.stats.errors, "truncated_record"), 1u);
    // Cut inside the header block.
    all = read_all(file.substr(0, page("one", "u1", "First.").size() + 20));
    EXPECT_EQ(all.docs.size(), 1u);
    EXPECT_EQ(count(all.stats.errors, "truncated_record"), 1u);
}

TEST(WarcReader, BadHeadersAreReportedAndSkipped) {
    std::string file = "this is not a warc file\n" + page("one", "u1", "First.") +
                       "WARX/1.0\r\nWARC-Type: response\r\n\r\n" + page("two", "u2", "Second.");
    ReadAll all = read_all(file);
    ASSERT_EQ(all.docs.size(), 2u);
    EXPECT_EQ(all.docs[1].id, "<urn:uuid:two>");
    EXPECT_EQ(count(all.stats.errors, "bad_header"), 2u);
    EXPECT_EQ(all.stats.error_messages.size(), 2u);
    EXPECT_EQ(all.stats.error_messages[0].rfind("test.warc.gz@0: bad_header", 0), 0u);

    // A header block without an end.
    all = read_all("WARC/1.0\r\n" + std::string(70000, 'x') + "\r\n" + page("two", "u", "T."));
    EXPECT_EQ(all.docs.size(), 1u);
    EXPECT_EQ(count(all.stats.errors, "bad_header"), 1u);
}

TEST(WarcReader, BadContentLength) {
    std::string good = page("one", "u1", "First.");
    std::string no_number = good;
    no_number.replace(no_number.find("Content-Length: ") + 16, 1, "x");
    std::string too_long = page("two", "u2", "Second.");
    const size_t at = too_long.find("Content-Length: ") + 16;
    too_long.replace(at, 1, "9");  // claims more bytes than the record has
    std::string missing = "WARC/1.0\r\nWARC-Type: response\r\n\r\nbody\r\n\r\n";
    ReadAll all = read_all(no_number + too_long + missing + page("three", "u3", "Third."));
    ASSERT_EQ(all.docs.size(), 1u);
    EXPECT_EQ(all.docs[0].id, "<urn:uuid:three>");
    EXPECT_EQ(count(all.stats.errors, "bad_content_length"), 3u);
}

std::string html_record(const std::string& id, const std::string& content_type,
                        const std::string& body, const std::string& extra = "") {
    return record("response", id, "https://x.example/" + id, "application/http; msgtype=response",
                  http(200, content_type, body, extra));
}

TEST(WarcReader, Charsets) {
    std::string file =
        html_record("latin1", "text/html; charset=ISO-8859-1", "<p>caf\xe9 \x93quoted\x94</p>") +
        html_record("meta", "text/html", "<meta charset=\"windows-1252\"><p>na\xefve</p>") +
        html_record("sjis", "text/html; charset=Shift_JIS", "<p>\x82\xa0</p>") +
        html_record("undeclared_bad", "text/html", "<p>bad \xff byte</p>") +
        html_record("undeclared_ok", "text/html", "<p>\xe4\xb8\xad\xe6\x96\x87</p>") +
        html_record("utf8_bad", "text/html; charset=utf-8", "<p>x\xffy</p>");
    WarcReaderOptions raw;
    ReadAll all = read_all(file, raw);
    ASSERT_EQ(all.docs.size(), 4u);
    EXPECT_EQ(all.docs[0].text, "caf\u00e9 \u201cquoted\u201d");
    EXPECT_EQ(all.docs[1].text, "na\u00efve");
    EXPECT_EQ(all.docs[2].text, "\u4e2d\u6587");
    EXPECT_EQ(all.docs[3].text, "x\uFFFDy");
    EXPECT_EQ(count(all.stats.skipped, "charset"), 2u);
    EXPECT_EQ(all.stats.repaired_utf8, 1u);
}

TEST(WarcReader, TransferAndContentEncodings) {
    const std::string html = "<p>Encoded body.</p>";
    char size_line[16];
    std::snprintf(size_line, sizeof(size_line), "%zx\r\n", html.size() - 5);
    const std::string chunked = std::string(size_line) + html.substr(0, html.size() - 5) +
                                "\r\n5\r\n" + html.substr(html.size() - 5) + "\r\n0\r\n\r\n";
    std::string file =
        html_record("chunked", "text/html", chunked, "Transfer-Encoding: chunked\r\n") +
        html_record("dechunked", "text/html", html, "Transfer-Encoding: chunked\r\n") +
        html_record("gzip", "text/html", gzip(html), "Content-Encoding: gzip\r\n") +
        html_record("decoded", "text/html", html, "Content-Encoding: gzip\r\n") +
        html_record("brotli", "text/html", "\x1b\x2f\x00\x80\x01\x02", "Content-Encoding: br\r\n") +
        html_record("nohtml_type", "", "<!DOCTYPE html><p>Sniffed.</p>") +
        html_record("notype", "", "just text");
    ReadAll all = read_all(file);
    ASSERT_EQ(all.docs.size(), 5u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(all.docs[i].text, "Encoded body.") << i;
    EXPECT_EQ(all.docs[4].text, "Sniffed.");
    EXPECT_EQ(count(all.stats.skipped, "content_encoding"), 1u);
    EXPECT_EQ(count(all.stats.skipped, "not_html"), 1u);
}

TEST(WarcReader, OtherSkips) {
    std::string file =
        record("response", "dns", "dns:a.example", "text/dns", "20240101 a.example. 1.2.3.4") +
        record("response", "badhttp", "u", "application/http; msgtype=response", "garbage") +
        html_record("empty", "text/html", "<script>only()</script>") +
        html_record("big", "text/html", "<p>" + std::string(5000, 'a') + "</p>") +
        page("ok", "u", "Fine.");
    WarcReaderOptions options;
    options.max_record_bytes = 4000;
    ReadAll all = read_all(file, options);
    ASSERT_EQ(all.docs.size(), 1u);
    EXPECT_EQ(count(all.stats.skipped, "not_http"), 1u);
    EXPECT_EQ(count(all.stats.skipped, "bad_http"), 1u);
    EXPECT_EQ(count(all.stats.skipped, "empty_text"), 1u);
    EXPECT_EQ(count(all.stats.skipped, "too_large"), 1u);
    EXPECT_EQ(all.stats.records, 5u);

    options = {};
    options.extract_text = false;
    all = read_all(page("ok", "u", "Fine."), options);
    ASSERT_EQ(all.docs.size(), 1u);
    EXPECT_EQ(all.docs[0].text, "<html><body><nav>menu</nav><p>Fine.</p></body></html>");
}

TEST(WarcReader, MissingRecordIdUsesFileAndOffset) {
    std::string file =
        page("x", "u", "A.") + record("response", "", "u2", "application/http; msgtype=response",
                                      http(200, "text/html", "<p>B.</p>"));
    ReadAll all = read_all(file);
    ASSERT_EQ(all.docs.size(), 2u);
    EXPECT_EQ(all.docs[1].id, "test.warc.gz:" + std::to_string(page("x", "u", "A.").size()));
}

TEST(WarcReader, EmptyAndJunkInputs) {
    EXPECT_EQ(read_all("").docs.size(), 0u);
    EXPECT_EQ(read_all("\r\n\r\n").docs.size(), 0u);
    ReadAll junk = read_all(std::string(100000, 'z'));
    EXPECT_EQ(junk.docs.size(), 0u);
    EXPECT_EQ(count(junk.stats.errors, "bad_header"), 1u);
    ReadAll gz = read_all("\x1f\x8b\x08 not really gzip");
    EXPECT_EQ(gz.docs.size(), 0u);
    EXPECT_GE(count(gz.stats.errors, "gzip_error") + count(gz.stats.errors, "truncated_gzip"), 1u);
}

// Every prefix and many single-byte corruptions of a small file: never a crash, never more
// documents than the file holds, and the documents that come out are well-formed.
TEST(WarcReader, SurvivesEveryTruncationAndCorruption) {
    const std::string gz = gzip_members(three_pages(), nullptr);
    std::string plain_bytes;
    for (const auto& r : three_pages()) plain_bytes += r;
    const std::string plain = plain_bytes;
    for (const std::string* file : {&gz, &plain}) {
        for (size_t n = 0; n <= file->size(); n += (file == &gz ? 1 : 3)) {
            ReadAll all = read_all(std::string_view(*file).substr(0, n));
            EXPECT_LE(all.docs.size(), 3u);
        }
        for (size_t i = 0; i < file->size(); i += 2) {
            std::string bad = *file;
            bad[i] = static_cast<char>(bad[i] ^ (1 + i % 254));
            ReadAll all = read_all(bad);
            EXPECT_LE(all.docs.size(), 4u);
            for (const auto& d : all.docs) EXPECT_FALSE(d.text.empty());
        }
    }
}

}  // namespace
}  // namespace jenny::data
