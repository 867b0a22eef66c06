#include "tokenizer/loaders.h"

namespace jenny::tokenizer {

base::Result<std::unique_ptr<Tokenizer>> load_sentencepiece_model(const std::string& path,
                                                                  base::Env*) {
    return base::Status::unsupported(path + ": SentencePiece .model loading is not built yet");
}
base::Result<std::unique_ptr<Tokenizer>> load_gguf_vocab(const std::string& path, base::Env*) {
    return base::Status::unsupported(path + ": GGUF vocabularies are not built yet");
}
base::Result<std::unique_ptr<Tokenizer>> load_llama2c_vocab(const std::string& path, base::Env*) {
    return base::Status::unsupported(path + ": llama2.c tokenizer.bin is not built yet");
}

}  // namespace jenny::tokenizer
