// Token dataset: the shard format training reads and the data pipeline / SFT write.
// The byte layout is docs/formats/tokens.md; in short, for a prefix P:
//   P.bin        tokens, little-endian uint16 (vocab_size < 65536) or uint32, no header
//   P.idx        16-byte header ("JNYTIDX\0", u32 version 1, u32 0), then n_documents+1
//                little-endian uint64 token offsets (0 first, n_tokens last)
//   P.mask       optional: one uint8 per token, 1 = that token is a loss target
//   P.meta.json  dtype, vocab size, tokenizer hash, counts, checksums; written last and
//                atomically, so a dataset without it is incomplete
//
//   JENNY_ASSIGN_OR_RETURN(auto w, TokenDatasetWriter::create("out/train", 32000, hash, false));
//   JENNY_RETURN_IF_ERROR(w->add_document(ids));  ...  JENNY_RETURN_IF_ERROR(w->finish());
//   JENNY_ASSIGN_OR_RETURN(auto ds, TokenDataset::open("out/train"));
//   TokenWindows windows(ds.get(), /*T=*/1024, 0, TokenWindows::count(*ds, 1024));
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::data {

// What P.meta.json records (see docs/formats/tokens.md for every field).
struct TokenDatasetMeta {
    std::string token_dtype;     // "uint16" when vocab_size < 65536, else "uint32"
    int64_t vocab_size = 0;      // every token id is in [0, vocab_size)
    std::string tokenizer_hash;  // tokenizer_fingerprint() of the tokenizer that made it
    int64_t n_tokens = 0, n_documents = 0;
    bool has_mask = false;
};

// The dtype a vocabulary of `vocab_size` ids is stored in: "uint16" when
// vocab_size < 65536 (as DESIGN.md says), else "uint32".
std::string token_dtype_for_vocab(int64_t vocab_size);

// The four file names of a dataset prefix.
std::string token_dataset_bin_path(const std::string& prefix);   // P.bin
std::string token_dataset_idx_path(const std::string& prefix);   // P.idx
std::string token_dataset_mask_path(const std::string& prefix);  // P.mask
std::string token_dataset_meta_path(const std::string& prefix);  // P.meta.json

// Removes whichever of the four files exist (meta first, so a crash mid-way never leaves a
// complete-looking dataset). Missing files are not an error.
base::Status remove_token_dataset(const std::string& prefix, base::Env* env = base::Env::Default());

// Writes one dataset sequentially. Not thread-safe. Destroying it without finish() leaves
// P.bin/P.idx/P.mask without P.meta.json: an incomplete dataset that open() refuses.
class TokenDatasetWriter {
public:
    // Creates the parent directory if needed and starts P.bin, P.idx (and P.mask when
    // with_mask). Errors: kInvalidArgument for vocab_size outside [1, 2^31]; kAlreadyExists
    // when P.meta.json exists (a complete dataset is never overwritten: call
    // remove_token_dataset first); kIoError from the filesystem.
    static base::Result<std::unique_ptr<TokenDatasetWriter>> create(
        const std::string& prefix, int64_t vocab_size, const std::string& tokenizer_hash,
        bool with_mask, base::Env* env = base::Env::Default());
    ~TokenDatasetWriter();

    // Appends one document. `mask` (1 = the token is a loss target, 0 = not) must have the
    // tokens' length when the writer was created with_mask, and be empty otherwise. Empty
    // documents are allowed (they occupy an entry in P.idx). Errors: kInvalidArgument for a
    // token outside [0, vocab_size), a mask value other than 0/1 or a wrong mask length
    // (nothing is written then); kIoError; kFailedPrecondition after finish().
    base::Status add_document(std::span<const int32_t> tokens, std::span<const uint8_t> mask = {});

    // Flushes, fsyncs and closes the data files, then writes P.meta.json atomically. After
    // an error the dataset stays incomplete.
    base::Status finish();

    int64_t n_tokens() const { return n_tokens_; }
    int64_t n_documents() const { return n_documents_; }
    const std::string& prefix() const { return prefix_; }

private:
    struct Impl;
    TokenDatasetWriter(std::string prefix, std::unique_ptr<Impl> impl);
    base::Status flush(bool final);

    std::string prefix_;
    std::unique_ptr<Impl> impl_;
    int64_t n_tokens_ = 0, n_documents_ = 0;
    bool finished_ = false;
};

// A complete dataset, memory-mapped read-only. Immutable after open(): every method is
// thread-safe. Out-of-range arguments are programmer errors (JENNY_CHECK).
class TokenDataset {
public:
    // Maps P.bin, P.idx (and P.mask) and checks them against P.meta.json: sizes, the index
    // header and its offsets (0 first, non-decreasing, n_tokens last). Token values and
    // checksums are not read (see verify()). Errors name the file: kNotFound when nothing is
    // at `prefix`; kFailedPrecondition "incomplete dataset" when data files exist but
    // P.meta.json does not; kCorruption for truncated or inconsistent files.
    static base::Result<std::unique_ptr<TokenDataset>> open(const std::string& prefix,
                                                            base::Env* env = base::Env::Default());
    ~TokenDataset();

    const TokenDatasetMeta& meta() const { return meta_; }
    const std::string& prefix() const { return prefix_; }
    int64_t n_tokens() const { return meta_.n_tokens; }
    int64_t n_documents() const { return meta_.n_documents; }

    // Copies tokens [begin, begin + n) into out[0, n).
    void read_tokens(int64_t begin, int64_t n, int32_t* out) const;
    int32_t token(int64_t i) const;

    bool has_mask() const { return meta_.has_mask; }
    // Copies mask bytes [begin, begin + n); requires has_mask().
    void read_mask(int64_t begin, int64_t n, uint8_t* out) const;

    // The token offset where document d starts, d in [0, n_documents];
    // document_begin(n_documents) == n_tokens.
    int64_t document_begin(int64_t d) const;
    // The document holding token i (the last one starting at or before i; empty documents
    // are skipped), i in [0, n_tokens).
    int64_t document_of(int64_t i) const;

    // Reads everything: recomputes the checksums in P.meta.json and checks every token is
    // below vocab_size and every mask byte is 0/1. O(size of the dataset).
    base::Status verify() const;

private:
    TokenDataset() = default;

    std::string prefix_;
    TokenDatasetMeta meta_;
    std::string checksum_bin_, checksum_idx_, checksum_mask_;
    std::unique_ptr<base::MappedFile> bin_, idx_, mask_;
    const uint8_t* tokens_ = nullptr;   // P.bin's bytes
    const uint8_t* offsets_ = nullptr;  // P.idx's offsets (after the header), unaligned LE
    int token_bytes_ = 2;
};

// Packing: the documents are one concatenated stream; window w holds tokens
// [w*T, w*T + T + 1) (stride T, T+1 tokens: inputs are the first T, targets the last T), so
// n_windows = (n_tokens - 1) / T and windows never reach past the end. The trailing
// n_tokens - 1 - n_windows*T tokens are not in any window.
class TokenWindows {
public:
    // Windows [first_window, first_window + n_windows) of `ds` (a contiguous range, e.g. a
    // train/val split). Requires T >= 1 and the range within count(*ds, T). `ds` must
    // outlive this object. Thread-safe (read-only).
    TokenWindows(const TokenDataset* ds, int T, int64_t first_window, int64_t n_windows);

    // (n_tokens - 1) / T, or 0 for an empty dataset.
    static int64_t count(const TokenDataset& ds, int T);

    int64_t size() const { return n_windows_; }
    int T() const { return T_; }
    int64_t first_window() const { return first_window_; }

    // Window w in [0, size()): inputs (T) and targets (T); targets[t] is the token after
    // inputs[t], or -1 when the dataset has a mask and that token's mask byte is 0.
    // doc_starts (optional, cleared first): the offsets t in [0, T), ascending, at which a
    // document begins inside the window (t = 0 included when one begins exactly there).
    void read(int64_t w, int32_t* inputs, int32_t* targets,
              std::vector<int32_t>* doc_starts = nullptr) const;

private:
    const TokenDataset* ds_;
    int T_;
    int64_t first_window_, n_windows_;
};

}  // namespace jenny::data
