#include "data/input_files.h"

#include <fmt/format.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>

namespace jenny::data {
namespace {

using base::Status;

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Kind and compression from the name; `corpus` tells whether the extension is one a
// directory scan takes.
InputFile classify(const std::string& path, bool* corpus) {
    InputFile f;
    f.path = path;
    std::string name = lower(path);
    if (ends_with(name, ".gz")) {
        f.compression = Compression::kGzip;
        name.resize(name.size() - 3);
    } else if (ends_with(name, ".zst")) {
        f.compression = Compression::kZstd;
        name.resize(name.size() - 4);
    }
    if (ends_with(name, ".jsonl") || ends_with(name, ".json")) f.kind = InputKind::kJsonl;
    *corpus = f.kind == InputKind::kJsonl || ends_with(name, ".txt") || ends_with(name, ".md") ||
              ends_with(name, ".text");
    return f;
}

Status walk(const std::string& dir, base::Env* env, std::vector<InputFile>* out) {
    JENNY_ASSIGN_OR_RETURN(std::vector<std::string> names, env->list_dir(dir));
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
        if (name.empty() || name[0] == '.') continue;
        const std::string path = dir + "/" + name;
        if (env->list_dir(path).ok()) {
            JENNY_RETURN_IF_ERROR(walk(path, env, out));
            continue;
        }
        bool corpus = false;
        InputFile f = classify(path, &corpus);
        if (corpus) out->push_back(std::move(f));
    }
    return Status();
}

// With `partial` non-null a damaged stream is not an error: the bytes decoded before the
// damage are returned and *partial says what was wrong.
base::Result<std::string> gunzip(const std::string& path, std::string_view in,
                                 std::string* partial) {
    std::string out;
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        return Status::internal(fmt::format("{}: zlib inflateInit2 failed", path));
    }
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    char buf[1 << 16];
    int rc = Z_OK;
    for (;;) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof(buf);
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof(buf) - zs.avail_out);
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0) break;
            inflateReset(&zs);  // concatenated gzip members
            continue;
        }
        if (rc != Z_OK) break;
        if (zs.avail_in == 0 && zs.avail_out != 0) {
            rc = Z_DATA_ERROR;  // input ended inside a member
            break;
        }
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END && partial) {
        *partial =
            fmt::format("not a valid gzip file (zlib: {})", zs.msg ? zs.msg : "truncated input");
        return out;
    }
    if (rc != Z_STREAM_END) {
        return Status::invalid_argument(fmt::format("{}: not a valid gzip file (zlib: {})", path,
                                                    zs.msg ? zs.msg : "truncated input"));
    }
    return out;
}

base::Result<std::string> unzstd(const std::string& path, std::string_view in,
                                 std::string* partial) {
    std::string out;
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    std::string buf(ZSTD_DStreamOutSize(), '\0');
    size_t rc = 0;
    while (input.pos < input.size) {
        ZSTD_outBuffer output{buf.data(), buf.size(), 0};
        rc = ZSTD_decompressStream(ctx, &output, &input);
        if (ZSTD_isError(rc)) break;
        out.append(buf.data(), output.pos);
    }
    // rc == 0: the last frame ended exactly; otherwise more input was expected.
    const bool ok = !ZSTD_isError(rc) && rc == 0;
    const std::string why = ZSTD_isError(rc) ? ZSTD_getErrorName(rc) : "truncated input";
    ZSTD_freeDCtx(ctx);
    if (!ok && partial) {
        *partial = fmt::format("not a valid zstd file (zstd: {})", why);
        return out;
    }
    if (!ok) {
        return Status::invalid_argument(
            fmt::format("{}: not a valid zstd file (zstd: {})", path, why));
    }
    return out;
}

}  // namespace

base::Result<std::vector<InputFile>> list_input_files(const std::vector<std::string>& inputs,
                                                      base::Env* env) {
    std::vector<InputFile> out;
    for (const std::string& input : inputs) {
        if (!env->file_exists(input)) {
            return Status::not_found(fmt::format("input {} does not exist", input));
        }
        if (env->list_dir(input).ok()) {
            const size_t before = out.size();
            std::string dir = input;
            while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
            JENNY_RETURN_IF_ERROR(walk(dir, env, &out));
            if (out.size() == before) {
                return Status::invalid_argument(fmt::format(
                    "input directory {} holds no corpus files (.jsonl, .json, .txt, .md, .text, "
                    "optionally .gz/.zst); name other files directly",
                    input));
            }
            continue;
        }
        bool corpus = false;
        out.push_back(classify(input, &corpus));
    }
    for (InputFile& f : out) {
        JENNY_ASSIGN_OR_RETURN(f.disk_bytes, env->file_size(f.path));
    }
    return out;
}

base::Result<std::unique_ptr<InputBytes>> InputBytes::open(const InputFile& file, base::Env* env,
                                                           bool lenient) {
    auto bytes = std::unique_ptr<InputBytes>(new InputBytes());
    if (file.compression == Compression::kNone) {
        JENNY_ASSIGN_OR_RETURN(bytes->map_, env->map_file(file.path));
        bytes->data_ = std::string_view(reinterpret_cast<const char*>(bytes->map_->data()),
                                        bytes->map_->size());
        return bytes;
    }
    JENNY_ASSIGN_OR_RETURN(std::string packed, env->read_file(file.path));
    if (file.compression == Compression::kGzip) {
        JENNY_ASSIGN_OR_RETURN(bytes->buffer_,
                               gunzip(file.path, packed, lenient ? &bytes->damage_ : nullptr));
    } else {
        JENNY_ASSIGN_OR_RETURN(bytes->buffer_,
                               unzstd(file.path, packed, lenient ? &bytes->damage_ : nullptr));
    }
    bytes->data_ = bytes->buffer_;
    return bytes;
}

}  // namespace jenny::data
