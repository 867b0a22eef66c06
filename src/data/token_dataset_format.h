// Constants and helpers shared by the token dataset writer and reader (private to src/data).
// The layout itself is documented in docs/formats/tokens.md.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace jenny::data::format {

inline constexpr char kFormatName[] = "jenny-token-dataset";
inline constexpr int kFormatVersion = 1;
// P.idx header: 8-byte magic, u32 version, u32 reserved (0).
inline constexpr char kIdxMagic[8] = {'J', 'N', 'Y', 'T', 'I', 'D', 'X', '\0'};
inline constexpr uint32_t kIdxVersion = 1;
inline constexpr size_t kIdxHeaderBytes = 16;

inline void put_u32(std::string* out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_u64(std::string* out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline uint32_t get_u32(const uint8_t* p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}
inline uint64_t get_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

// "xxh3-64:" + 16 lower-case hex digits of XXH3_64bits (seed 0) of `data`.
std::string checksum(std::string_view data);

// Incremental form of checksum() for files written piece by piece.
class Checksum {
public:
    Checksum();
    ~Checksum();
    Checksum(const Checksum&) = delete;
    Checksum& operator=(const Checksum&) = delete;
    void update(std::string_view data);
    std::string hex() const;  // same text as checksum(all data so far)

private:
    void* state_;  // XXH3_state_t
};

}  // namespace jenny::data::format
