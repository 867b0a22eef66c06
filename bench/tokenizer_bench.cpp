// Encode throughput of jenny's tokenizers on a JSONL corpus, one thread and all threads.
// Prints one JSON object: load time, MB/s and tokens/s for each thread count, and an FNV hash
// of all ids so bench/tokenizer.py can check jenny and Hugging Face produced the same ids.
// Usage: tokenizer_bench TOKENIZER CORPUS.jsonl [REPEATS]
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/thread_pool.h"
#include "jenny/tokenizer/tokenizer.h"

using namespace jenny;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: tokenizer_bench TOKENIZER CORPUS.jsonl [REPEATS]\n");
        return 2;
    }
    const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
    auto t0 = std::chrono::steady_clock::now();
    auto tok = tokenizer::Tokenizer::load(argv[1]);
    if (!tok.ok()) {
        std::fprintf(stderr, "%s\n", tok.status().to_string().c_str());
        return 1;
    }
    const double load_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto raw = base::Env::Default()->read_file(argv[2]);
    if (!raw.ok()) {
        std::fprintf(stderr, "%s\n", raw.status().to_string().c_str());
        return 1;
    }
    std::vector<std::string> docs;
    size_t bytes = 0, pos = 0;
    while (pos < raw->size()) {
        size_t nl = raw->find('\n', pos);
        if (nl == std::string::npos) nl = raw->size();
        docs.push_back(
            nlohmann::json::parse(raw->substr(pos, nl - pos))["text"].get<std::string>());
        bytes += docs.back().size();
        pos = nl + 1;
    }
    tokenizer::EncodeOptions opts;
    opts.add_special = false;
    nlohmann::json result;
    result["tokenizer"] = argv[1];
    result["bytes"] = bytes;
    result["documents"] = docs.size();
    result["load_seconds"] = load_s;
    for (int threads : {1, base::ThreadPool::default_thread_count()}) {
        base::ThreadPool pool(threads - 1);  // the caller works too
        std::vector<uint64_t> hashes(docs.size());
        std::vector<size_t> counts(docs.size());
        std::vector<double> times;
        for (int r = 0; r < repeats; ++r) {
            auto s = std::chrono::steady_clock::now();
            auto work = [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) {
                    auto ids = (*tok)->encode(docs[static_cast<size_t>(i)], opts);
                    uint64_t h = 1469598103934665603ULL;
                    for (auto id : *ids) h = (h ^ static_cast<uint32_t>(id)) * 1099511628211ULL;
                    hashes[static_cast<size_t>(i)] = h;
                    counts[static_cast<size_t>(i)] = ids->size();
                }
            };
            if (threads == 1) {
                work(0, static_cast<int64_t>(docs.size()));
            } else {
                pool.parallel_for(0, static_cast<int64_t>(docs.size()), work, 16);
            }
            times.push_back(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
        }
        std::sort(times.begin(), times.end());
        double median = times[times.size() / 2];
        size_t tokens = 0;
        uint64_t all = 1469598103934665603ULL;
        for (size_t i = 0; i < docs.size(); ++i) {
            tokens += counts[i];
            all = (all ^ hashes[i]) * 1099511628211ULL;
        }
        nlohmann::json run;
        run["threads"] = threads;
        run["seconds_median"] = median;
        run["mb_per_s"] = static_cast<double>(bytes) / 1e6 / median;
        run["tokens_per_s"] = static_cast<double>(tokens) / median;
        run["tokens"] = tokens;
        run["ids_hash"] = fmt::format("{:016x}", all);
        result["runs"].push_back(run);
    }
    std::printf("%s\n", result.dump().c_str());
    return 0;
}
