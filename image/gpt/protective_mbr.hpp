// LBA 0 of a GPT disk: the protective MBR (UEFI 2.10, 5.2.3).
#pragma once

#include <stdint.h>

#include <span>
#include <vector>

namespace rootstock::gpt {

/// LBA 0 for a disk of `sector_count` sectors: one record of type 0xEE from LBA 1 to the end
/// (its size capped at 0xFFFFFFFF), no boot code, the rest of a larger sector zero.
[[nodiscard]] std::vector<uint8_t> encode_protective_mbr(uint64_t sector_count,
                                                         uint32_t sector_size);

/// Whether `sector` holds an MBR with a protective record (type 0xEE starting at LBA 1), as
/// Linux requires before it reads a GPT; the record's size is not checked.
[[nodiscard]] bool is_protective_mbr(std::span<const uint8_t> sector);

}  // namespace rootstock::gpt
