// Scrubbing personal data from document text (the `pii` block of `jenny data run`), in the
// spirit of datatrove's PIIFormatter, which writes "email@example.com" and random IPs in
// their place; we write fixed, configurable tokens instead.
//
// What is replaced (a hand-written scanner, no regex engine; ASCII patterns, so text in any
// language around them is fine):
//   email  local@domain.tld — local part of [A-Za-z0-9._%+-] (1-64 bytes, not starting or
//          ending with '.'), two or more domain labels, an alphabetic TLD of 2+ letters.
//   ip     IPv4 dotted quads (each 0-255, no leading zeros) and IPv6 (eight groups, or
//          "::" compression with three or more groups, or two holding five hex digits of
//          which one is decimal — "2001::1" yes, "dead::beef" no; optionally an IPv4 tail). With
//          `ip_public_only` (default, like datatrove), private, loopback, link-local, CGNAT,
//          documentation, multicast and reserved ranges are left alone. A dotted quad right after
//          "version", "ver", "release", "build", "rev" or "revision" is a version number, not an
//          address.
//   phone  "+" country code and 8-16 digits in groups ("+1 (415) 555-2671",
//          "+44 (0)20 7946 0958", "+8613800138000"); NANP "(415) 555-2671", "415-555-2671",
//          "415.555.2671", "1-415-555-2671" (area and exchange start with 2-9; the two
//          separators agree); European national numbers starting with a trunk 0, in two or
//          more groups with one separator kind (space, '-', '.', '/'), a non-zero digit after
//          the 0, 9-12 digits in all (13 after an international "00")
//          ("06 12 34 56 78", "030 1234567", "(030) 1234567", "020 7946 0958"); Chinese
//          mobiles 1[3-9]xxxxxxxxx, contiguous or 3-4-4.
//   id     Chinese resident IDs (17 digits + check digit or X, ISO 7064 MOD 11-2 checksum
//          and a plausible birth date), US SSNs ddd-dd-dddd (area not 000/666/9xx, group not
//          00, serial not 0000), and payment card numbers (13-19 digits, contiguous or in
//          4-4-4-4(-3) / 4-6-5 / 4-6-4 groups, Luhn-valid, with a known issuer prefix).
// Not replaced, by design: dates ("2024-01-02", "01.02.2023"), times ("12:30:45"), version
// numbers ("1.2.3", "version 1.2.3.4"), MAC addresses, and plain long digit strings without
// separators unless a checksum (ID, card) or the Chinese mobile form says otherwise.
// Every match needs a boundary on both sides: no letter or digit touching it.
//
// Overlapping matches: the one starting first wins, then the longer one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/data/document.h"

namespace jenny::data {

struct PiiOptions {
    bool email = true;
    bool ip = true;
    bool phone = true;
    bool id = true;
    bool ip_public_only = true;
    std::string email_token = "<EMAIL>";
    std::string ip_token = "<IP>";
    std::string phone_token = "<PHONE>";
    std::string id_token = "<ID>";

    template <class V>
    void visit(V& v) {
        v.field("email", email, "replace e-mail addresses");
        v.field("ip", ip, "replace IPv4 and IPv6 addresses");
        v.field("phone", phone, "replace phone numbers");
        v.field("id", id, "replace ID numbers: Chinese resident IDs, US SSNs, payment cards");
        v.field("ip_public_only", ip_public_only,
                "leave private, loopback and reserved addresses alone (as datatrove does)");
        v.field("email_token", email_token, "what an e-mail address becomes");
        v.field("ip_token", ip_token, "what an IP address becomes");
        v.field("phone_token", phone_token, "what a phone number becomes");
        v.field("id_token", id_token, "what an ID or card number becomes");
    }
};

enum class PiiKind { kEmail, kIp, kPhone, kId };

struct PiiMatch {
    size_t begin = 0;  // byte range in the text
    size_t end = 0;
    PiiKind kind = PiiKind::kEmail;
};

// Replacements made, by kind: what the report sums.
struct PiiCounts {
    uint64_t email = 0;
    uint64_t ip = 0;
    uint64_t phone = 0;
    uint64_t id = 0;

    uint64_t total() const { return email + ip + phone + id; }
    PiiCounts& operator+=(const PiiCounts& o) {
        email += o.email, ip += o.ip, phone += o.phone, id += o.id;
        return *this;
    }
};

// The matches of the enabled kinds in `text`, non-overlapping, in order. Thread-safe.
std::vector<PiiMatch> find_pii(std::string_view text, const PiiOptions& options = {});

// Replaces every match in *text with its kind's token and returns the counts.
PiiCounts scrub_pii(std::string* text, const PiiOptions& options = {});

// The `pii` block: scrubs doc.text in place (the document is always kept).
inline PiiCounts scrub_pii(Document& doc, const PiiOptions& options = {}) {
    return scrub_pii(&doc.text, options);
}

}  // namespace jenny::data
