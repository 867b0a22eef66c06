// Reading eval-set files as plain-text records, for decontamination (private to src/data;
// the field rules are in include/jenny/data/decontamination.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::data {

// Calls `fn` with the text of every record of a .jsonl / .csv file, or of every such file
// under a directory (recursively, sorted by path). Returns the number of records.
base::Result<uint64_t> for_each_eval_record(base::Env* env, const std::string& path,
                                            const std::function<void(std::string_view)>& fn);

// Parses RFC 4180 CSV (quoted fields with "" escapes and newlines, CRLF or LF) into rows.
// kCorruption naming `name` and the line of an unterminated quote.
base::Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view data,
                                                              const std::string& name);

}  // namespace jenny::data
