// WARC files as a DocReader for `jenny data run` (private to src/data): response records with
// HTML, reduced to their main text (html_extract.h).
#pragma once

#include <memory>
#include <string>

#include "data/doc_reader.h"

namespace jenny::data {

base::Result<std::unique_ptr<DocReader>> open_warc_document_reader(const std::string& path,
                                                                   base::Env* env);

}  // namespace jenny::data
