// The GPT header's sector: written from a GptCopy, and checked field by field when read
// (UEFI 2.10, 5.3.2, "GPT Header" and the validity checks listed there).
#pragma once

#include <stdint.h>

#include <span>
#include <vector>

#include "image/gpt/block_device.hpp"
#include "image/gpt/gpt_copy.hpp"
#include "image/gpt/layout.hpp"

namespace rootstock::gpt {

/// The header sector of `copy`, both CRC32s filled in, the rest of the sector zero.
[[nodiscard]] std::vector<uint8_t> encode_header(const GptCopy& copy, uint32_t sector_size);

/// The header in `sector`, read from `lba` of a disk of `sector_count` sectors, if it is one:
/// signature, revision 1.x, header size, header CRC32, my_lba == lba, alternate_lba inside the
/// disk (1 for a backup header), entry size 128 × 2^n and an array of at most
/// kMaxEntryArrayBytes, usable LBAs inside the disk, and neither header nor entry array inside
/// the usable LBAs. The entry array's CRC32 is the caller's to check (it has to read it first).
[[nodiscard]] Result<GptHeader> check_header(std::span<const uint8_t> sector, uint64_t lba,
                                             uint64_t sector_count);

/// `value` as 0x-prefixed hex, eight digits: how messages show CRC32s.
[[nodiscard]] std::string hex32(uint32_t value);

}  // namespace rootstock::gpt
