// Test helpers for the quality filter tests (private to src/data tests). run_filter() applies a
// filter to a text and, when the environment variable JENNY_QF_CASES names a file, appends the
// case as a JSONL line {"id", "filter", "options", "text", "keep", "reason", "text_after"}, so
// that tools/oracle/datatrove_filters.py --cases can replay every test case through datatrove.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "jenny/data/quality_filters.h"

namespace jenny::data::testing {

// Serialises an options struct through its visit() list.
class JsonVisitor {
public:
    explicit JsonVisitor(nlohmann::json* out) : out_(out) {}

    template <class T>
    void field(const char* name, T& value, const char* /*help*/ = "") {
        (*out_)[name] = to_json(value);
    }
    template <class T>
    void required(const char* name, T& value, const char* help = "") {
        field(name, value, help);
    }

private:
    template <class T>
    static nlohmann::json to_json(T& v) {
        if constexpr (requires(JsonVisitor & jv) { v.visit(jv); }) {
            nlohmann::json j = nlohmann::json::object();
            JsonVisitor sub(&j);
            v.visit(sub);
            return j;
        } else if constexpr (requires { v.has_value(); }) {
            return v ? to_json(*v) : nlohmann::json();
        } else if constexpr (requires {
                                 v.begin();
                                 v.size();
                             } &&
                             !std::is_same_v<T, std::string>) {
            nlohmann::json a = nlohmann::json::array();
            for (auto& x : v) a.push_back(to_json(x));
            return a;
        } else {
            return v;
        }
    }

    nlohmann::json* out_;
};

template <class Options, class Fn>
Verdict run_filter(const char* filter, Fn fn, const std::string& text, Options o,
                   std::string* text_after = nullptr) {
    Document doc;
    doc.id = "test";
    doc.text = text;
    Verdict v = fn(doc, o);
    if (text_after) *text_after = doc.text;
    if (const char* path = std::getenv("JENNY_QF_CASES")) {
        nlohmann::json opts = nlohmann::json::object();
        JsonVisitor jv(&opts);
        o.visit(jv);
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        nlohmann::json j = {{"id", std::string(info->test_suite_name()) + "." + info->name()},
                            {"filter", filter},
                            {"options", opts},
                            {"text", text},
                            {"keep", v.keep},
                            {"reason", v.reason},
                            {"text_after", doc.text}};
        std::ofstream(path, std::ios::app) << j.dump() << "\n";
    }
    return v;
}

inline Verdict gopher_quality_of(const std::string& text, GopherQualityOptions o = {}) {
    return run_filter("gopher_quality", gopher_quality, text, o);
}
inline Verdict gopher_repetition_of(const std::string& text, GopherRepetitionOptions o = {}) {
    return run_filter("gopher_repetition", gopher_repetition, text, o);
}
inline Verdict c4_quality_of(const std::string& text, C4QualityOptions o = {},
                             std::string* text_after = nullptr) {
    return run_filter("c4_quality", c4_quality, text, o, text_after);
}
inline Verdict fineweb_quality_of(const std::string& text, FineWebQualityOptions o = {}) {
    return run_filter("fineweb_quality", fineweb_quality, text, o);
}

// `n` distinct lower-case words of exactly `len` letters (len >= 3): "aaa", "aab", ... with a
// prefix so different `tag`s never collide.
inline std::vector<std::string> distinct_words(size_t n, size_t len, char tag = 'q') {
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) {
        std::string w(len, 'a');
        w[0] = tag;
        size_t k = i;
        for (size_t p = len - 1; p > 0 && k; --p, k /= 26) w[p] = static_cast<char>('a' + k % 26);
        out.push_back(w);
    }
    return out;
}

inline std::string join(const std::vector<std::string>& parts, const std::string& sep) {
    std::string s;
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
    return s;
}

inline std::string repeat(const std::string& s, size_t n, const std::string& sep = " ") {
    return join(std::vector<std::string>(n, s), sep);
}

}  // namespace jenny::data::testing
