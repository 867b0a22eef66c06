// GGUF tokenizer.* keys for the writers, from each kind of source (see model_writer.h).
#include "model/model_writer_vocab.h"

#include <fmt/format.h>

#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>

#include "jenny/checkpoint/gguf.h"

namespace jenny::model {

using base::Status;
using checkpoint::GgufWriter;

namespace {

// llama.cpp's token types (llama_token_type / gguf.TokenType).
constexpr int32_t kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6;

std::string dir_of(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool is_byte_piece(const std::string& s) {
    return s.size() == 6 && s.compare(0, 3, "<0x") == 0 && s[5] == '>' &&
           std::isxdigit(static_cast<unsigned char>(s[3])) &&
           std::isxdigit(static_cast<unsigned char>(s[4]));
}

void pad_vocab(std::vector<std::string>* tokens, std::vector<int32_t>* types,
               std::vector<float>* scores, int n_vocab) {
    for (int i = static_cast<int>(tokens->size()); i < n_vocab; ++i) {
        tokens->push_back(fmt::format("[PAD{}]", i));
        types->push_back(kUnused);
        if (scores != nullptr) scores->push_back(-1000.0f);
    }
}

void add_special_ids(const LoadedModel& m, GgufWriter* w) {
    const tokenizer::SpecialTokens* sp = m.tokenizer ? &m.tokenizer->special() : nullptr;
    auto bos = sp != nullptr && sp->bos ? sp->bos : m.bos_id;
    std::optional<int32_t> eos = sp != nullptr ? sp->eos : std::nullopt;
    if (!eos && !m.eos_ids.empty()) eos = m.eos_ids.front();
    if (bos) w->add_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(*bos));
    if (eos) w->add_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(*eos));
    if (sp != nullptr && sp->unk) {
        w->add_u32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(*sp->unk));
    }
    if (sp != nullptr && sp->pad) {
        w->add_u32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(*sp->pad));
    }
    w->add_bool("tokenizer.ggml.add_bos_token", m.add_bos);
    w->add_bool("tokenizer.ggml.add_eos_token", sp != nullptr && sp->add_eos);
    if (m.chat_template) w->add_string("tokenizer.chat_template", *m.chat_template);
}

// llama2.c's tokenizer.bin as llama.cpp's convert-llama2c-to-ggml does: ids 0/1/2 become
// <unk>/<s>/</s>, <0xXX> pieces are bytes, spaces are escaped back to "▁".
Status add_llama2c_vocab(const LoadedModel& m, const std::string& path, int n_vocab, GgufWriter* w,
                         base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::string bytes, env->read_file(path));
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> types;
    size_t pos = 4;
    auto read4 = [&](void* dst) {
        if (bytes.size() - pos < 4) return false;
        std::memcpy(dst, bytes.data() + pos, 4);
        pos += 4;
        return true;
    };
    while (pos < bytes.size()) {
        float score = 0;
        int32_t len = 0;
        if (!read4(&score) || !read4(&len) || len < 0 ||
            static_cast<size_t>(len) > bytes.size() - pos) {
            return Status::invalid_argument(
                fmt::format("{}: truncated or corrupt llama2.c tokenizer at byte {}", path, pos));
        }
        std::string text = bytes.substr(pos, static_cast<size_t>(len));
        pos += static_cast<size_t>(len);
        const int id = static_cast<int>(tokens.size());
        int32_t type = kNormal;
        if (id == 0) {
            text = "<unk>", type = kUnknown;
        } else if (id == 1) {
            text = "<s>", type = kControl;
        } else if (id == 2) {
            text = "</s>", type = kControl;
        } else if (text.empty()) {
            type = kControl;
        } else if (is_byte_piece(text)) {
            type = kByte;
        }
        std::string escaped;
        for (char ch : text)
            escaped += ch == ' ' ? std::string("\xe2\x96\x81") : std::string(1, ch);
        tokens.push_back(std::move(escaped));
        scores.push_back(score);
        types.push_back(type);
    }
    pad_vocab(&tokens, &types, &scores, n_vocab);
    w->add_string("tokenizer.ggml.model", "llama");
    w->add_string_array("tokenizer.ggml.tokens", tokens);
    w->add_f32_array("tokenizer.ggml.scores", scores);
    w->add_i32_array("tokenizer.ggml.token_type", types);
    w->add_u32("tokenizer.ggml.bos_token_id", 1);
    w->add_u32("tokenizer.ggml.eos_token_id", 2);
    w->add_u32("tokenizer.ggml.unknown_token_id", 0);
    w->add_bool("tokenizer.ggml.add_bos_token", true);
    w->add_bool("tokenizer.ggml.add_eos_token", false);
    if (m.chat_template) w->add_string("tokenizer.chat_template", *m.chat_template);
    return Status();
}

// Every "Split" regex and pre-tokenizer type inside a tokenizer.json pre_tokenizer.
void collect_pre(const nlohmann::json& p, std::vector<std::string>* regexes,
                 std::vector<std::string>* types, bool* individual_digits) {
    if (!p.is_object()) return;
    const std::string type = p.value("type", "");
    types->push_back(type);
    if (type == "Sequence" && p.contains("pretokenizers")) {
        for (const auto& q : p["pretokenizers"]) collect_pre(q, regexes, types, individual_digits);
    }
    if (type == "Split" && p.contains("pattern") && p["pattern"].contains("Regex")) {
        regexes->push_back(p["pattern"]["Regex"].get<std::string>());
    }
    if (type == "Digits" && p.value("individual_digits", false)) *individual_digits = true;
}

// llama.cpp's converter names the pre-tokenizer by hashing a test tokenization; jenny reads
// the pre-tokenizer itself and names the ones whose regexes it recognises.
std::string choose_pre(const nlohmann::json& tj, std::vector<std::string>* notes) {
    static const char* const kLlama3 =
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    static const char* const kQwen2 =
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    std::vector<std::string> regexes, types;
    bool digits = false;
    if (tj.contains("pre_tokenizer")) collect_pre(tj["pre_tokenizer"], &regexes, &types, &digits);
    if (regexes.size() == 1 && regexes[0] == kLlama3) return "llama-bpe";
    if (regexes.size() == 1 && regexes[0] == kQwen2) return "qwen2";
    if (regexes.empty() && digits) return "smollm";
    if (regexes.empty() && types.size() == 1 && types[0] == "ByteLevel") return "gpt-2";
    notes->push_back(
        "tokenizer.json's pre-tokenizer is not one jenny recognises (Llama 3, Qwen2, SmolLM, "
        "GPT-2): tokenizer.ggml.pre is 'default', whose splitting may differ");
    return "default";
}

Status add_hf_vocab(const LoadedModel& m, int n_vocab, GgufWriter* w, base::Env* env,
                    std::vector<std::string>* notes) {
    const std::string json_path = m.path + "/tokenizer.json";
    if (!env->file_exists(json_path)) {
        // Directories jenny wrote from GGUF and llama2.c sources.
        if (env->file_exists(m.path + "/tokenizer.gguf")) {
            return copy_gguf_tokenizer_keys(m.path + "/tokenizer.gguf", w, env);
        }
        if (env->file_exists(m.path + "/tokenizer.bin")) {
            return add_llama2c_vocab(m, m.path + "/tokenizer.bin", n_vocab, w, env);
        }
        if (env->file_exists(m.path + "/tokenizer.model")) {
            return Status::unsupported(fmt::format(
                "{}: a SentencePiece tokenizer.model cannot be written to GGUF by jenny yet; use "
                "llama.cpp's convert_hf_to_gguf.py for this model",
                m.path));
        }
        notes->push_back("the source has no tokenizer: none written (llama.cpp needs one)");
        return Status();
    }
    JENNY_ASSIGN_OR_RETURN(std::string text, env->read_file(json_path));
    auto tj = nlohmann::json::parse(text, nullptr, false);
    if (!tj.is_object() || !tj.contains("model") || !tj["model"].is_object()) {
        return Status::invalid_argument(json_path + ": not a tokenizer.json (no model object)");
    }
    const auto& model = tj["model"];
    const bool byte_level = model.value("type", "") == "BPE" &&
                            !model.value("byte_fallback", false) &&
                            text.find("\"ByteLevel\"") != std::string::npos;
    if (!byte_level) {
        return Status::unsupported(fmt::format(
            "{}: only byte-level BPE tokenizer.json files (GPT-2, Llama 3, Qwen2, SmolLM style) "
            "are written to GGUF by jenny yet; use llama.cpp's convert_hf_to_gguf.py for this "
            "one",
            json_path));
    }
    std::vector<std::string> tokens;
    std::vector<int32_t> types;
    std::vector<bool> set;
    auto put = [&](int64_t id, const std::string& s, int32_t type) {
        if (id < 0) return;
        if (static_cast<size_t>(id) >= tokens.size()) {
            tokens.resize(id + 1), types.resize(id + 1, kUnused), set.resize(id + 1, false);
        }
        tokens[id] = s, types[id] = type, set[id] = true;
    };
    for (const auto& [piece, id] : model["vocab"].items()) put(id.get<int64_t>(), piece, kNormal);
    if (tj.contains("added_tokens")) {
        for (const auto& a : tj["added_tokens"]) {
            put(a.value("id", int64_t{-1}), a.value("content", ""),
                a.value("special", false) ? kControl : kUserDefined);
        }
    }
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (!set[i]) tokens[i] = fmt::format("[PAD{}]", i);
    }
    pad_vocab(&tokens, &types, nullptr, n_vocab);
    std::vector<std::string> merges;
    if (model.contains("merges")) {
        for (const auto& mg : model["merges"]) {
            if (mg.is_string()) {
                merges.push_back(mg.get<std::string>());
            } else if (mg.is_array() && mg.size() == 2) {
                merges.push_back(mg[0].get<std::string>() + " " + mg[1].get<std::string>());
            }
        }
    }
    w->add_string("tokenizer.ggml.model", "gpt2");
    w->add_string("tokenizer.ggml.pre", choose_pre(tj, notes));
    w->add_string_array("tokenizer.ggml.tokens", tokens);
    w->add_i32_array("tokenizer.ggml.token_type", types);
    w->add_string_array("tokenizer.ggml.merges", merges);
    add_special_ids(m, w);
    return Status();
}

}  // namespace

base::Result<std::string> find_llama2c_tokenizer(const std::string& model_path, base::Env* env) {
    const std::string dir = dir_of(model_path);
    if (env->file_exists(dir + "/tokenizer.bin")) return dir + "/tokenizer.bin";
    JENNY_ASSIGN_OR_RETURN(auto names, env->list_dir(dir));
    std::vector<std::string> found;
    for (const auto& n : names) {
        if (n.rfind("tok", 0) == 0 && n.size() > 4 && n.compare(n.size() - 4, 4, ".bin") == 0) {
            found.push_back(dir + "/" + n);
        }
    }
    if (found.size() == 1) return found[0];
    return Status::not_found(
        fmt::format("{}: no llama2.c tokenizer beside it (tokenizer.bin or one tok*.bin in {})",
                    model_path, dir));
}

Status copy_gguf_tokenizer_keys(const std::string& gguf_path, GgufWriter* w, base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(auto f, checkpoint::GgufFile::open(gguf_path, env));
    for (const checkpoint::GgufKv& kv : f->metadata()) {
        if (kv.key.rfind("tokenizer.", 0) == 0) w->add_value(kv.key, kv.value);
    }
    return w->status();
}

Status add_gguf_tokenizer(const LoadedModel& m, int n_vocab, GgufWriter* w, base::Env* env,
                          std::vector<std::string>* notes) {
    if (m.format == "gguf") {
        const size_t before = w->num_kv();
        JENNY_RETURN_IF_ERROR(copy_gguf_tokenizer_keys(m.path, w, env));
        if (w->num_kv() == before) {
            notes->push_back("the source GGUF has no tokenizer: none written");
        }
        return Status();
    }
    if (m.format == "llama2c") {
        auto path = find_llama2c_tokenizer(m.path, env);
        if (!path.ok()) {
            notes->push_back("no llama2.c tokenizer beside the model: none written");
            return Status();
        }
        return add_llama2c_vocab(m, *path, n_vocab, w, env);
    }
    return add_hf_vocab(m, n_vocab, w, env, notes);
}

}  // namespace jenny::model
