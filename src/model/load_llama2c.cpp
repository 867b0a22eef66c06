// llama2.c checkpoints (.bin) with their tokenizer.bin (or tok<N>.bin) beside them.
#include <fmt/format.h>

#include "jenny/checkpoint/llama2c.h"
#include "loaders.h"

namespace jenny::model {

using base::Status;

namespace {

std::string dir_of(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

// tokenizer.bin, else the one tok*.bin beside the model (llama2.c's tok512.bin, tok4096.bin).
base::Result<std::string> find_tokenizer(const std::string& model_path, base::Env* env) {
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
    return Status::not_found(fmt::format(
        "{}: no llama2.c tokenizer beside it (tokenizer.bin or one tok*.bin in {}); pass "
        "--tokenizer PATH",
        model_path, dir));
}

}  // namespace

base::Result<LoadedModel> load_llama2c_model(const std::string& path, const LoadOptions& options,
                                             base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(auto file, checkpoint::Llama2cFile::open(path, env));
    const checkpoint::Llama2cConfig& lc = file->config();
    LlamaConfig c;
    c.arch = "llama";
    c.vocab_size = lc.vocab_size;
    c.dim = lc.dim;
    c.hidden_dim = lc.hidden_dim;
    c.n_layers = lc.n_layers;
    c.n_heads = lc.n_heads;
    c.n_kv_heads = lc.n_kv_heads;
    c.head_dim = lc.head_size();
    c.rms_eps = 1e-5f;  // run.c's rmsnorm
    c.rope_theta = 10000.0;
    c.rope_style = kernels::RopeStyle::kInterleaved;  // run.c rotates pairs (2i, 2i+1)
    c.max_seq_len = lc.seq_len;
    c.tie_embeddings = lc.shared_classifier;

    LlamaWeights w;
    w.tok_embeddings = file->tok_embeddings();
    w.output = file->wcls();
    w.norm = file->rms_final();
    for (const checkpoint::Llama2cLayer& l : file->layers()) {
        LlamaLayerWeights lw;
        lw.attn_norm = l.rms_att;
        lw.wq = l.wq;
        lw.wk = l.wk;
        lw.wv = l.wv;
        lw.wo = l.wo;
        lw.ffn_norm = l.rms_ffn;
        lw.w_gate = l.w1;
        lw.w_down = l.w2;
        lw.w_up = l.w3;
        w.layers.push_back(std::move(lw));
    }

    LoadedModel m;
    m.path = path;
    m.format = "llama2c";
    auto model = LlamaModel::create(c, std::move(w), options.n_threads);
    if (!model.ok()) return model.status().with_context(path);
    m.model = std::move(model).value();
    if (options.load_tokenizer) {
        std::string tok_path = options.tokenizer_path;
        if (tok_path.empty()) {
            JENNY_ASSIGN_OR_RETURN(tok_path, find_tokenizer(path, env));
        }
        JENNY_ASSIGN_OR_RETURN(m.tokenizer, tokenizer::Tokenizer::load(tok_path, env));
    }
    // run.c starts from BOS (1) and stops when the model emits BOS again: it delimits stories.
    m.bos_id = 1;
    m.add_bos = true;
    m.eos_ids.push_back(1);
    return m;
}

}  // namespace jenny::model
