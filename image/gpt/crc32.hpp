// The CRC32 that GPT headers and partition entry arrays carry (UEFI 2.10, 5.3.2: "the 32-bit
// CRC ... computed ... using the standard CCITT32 CRC algorithm with a seed polynomial value of
// 0x04c11db7"): IEEE 802.3's CRC-32, reflected, initial value and final XOR all ones — the one
// zlib computes and that the firmware's CalculateCrc32() boot service returns.
#pragma once

#include <stdint.h>

#include <span>

namespace rootstock::gpt {

/// CRC-32 of `bytes` (check value: "123456789" gives 0xCBF43926).
[[nodiscard]] uint32_t crc32(std::span<const uint8_t> bytes);

}  // namespace rootstock::gpt
