// The memory a payload checksums (test_device.h, PAYLOAD_PORT_SUM_*): a pattern the VMM writes
// into guest memory before the payload runs, and the checksum the payload must send back,
// computed by the VMM over the same bytes. Free functions over vmm::GuestMemory's bytes: the
// VMM library itself has no use for them.
#pragma once

#include <stdint.h>

#include <span>

#include "vmm/error.hpp"
#include "vmm/guest_memory.hpp"

namespace rootstock::selftest::payloads {

/// The checksum the payloads compute: 32-bit FNV-1a over little-endian dwords.
/// `bytes.size()` must be a multiple of 4.
[[nodiscard]] uint32_t payload_checksum(std::span<const uint8_t> bytes);

/// Dword `index` of the fill pattern for `seed` (fill_pattern()).
[[nodiscard]] uint32_t pattern_word(uint32_t seed, uint64_t index);

/// Fills the whole block with pattern_word(seed, i) at dword i (counted from the block's start).
void fill_pattern(vmm::GuestMemory& memory, uint32_t seed);

/// payload_checksum() of guest-physical [gpa, gpa + length) of `memory`; an error when the
/// range is outside the block or not whole dwords.
[[nodiscard]] vmm::Result<uint32_t> pattern_checksum(const vmm::GuestMemory& memory, uint64_t gpa,
                                                     uint64_t length);

}  // namespace rootstock::selftest::payloads
