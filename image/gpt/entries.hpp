// The partition entry array (UEFI 2.10, 5.3.3): its used entries decoded into Partitions and
// written back, and the rules every table must keep (5.3.3: "the LBA range described by a
// partition must not overlap", each within the header's usable LBAs).
#pragma once

#include <stdint.h>

#include <span>
#include <string>
#include <vector>

#include "image/gpt/block_device.hpp"
#include "image/gpt/gpt_copy.hpp"

namespace rootstock::gpt {

/// How messages name a partition: `partition 2 "data"`, or `partition 2` without a name.
[[nodiscard]] std::string describe(const Partition& p);

/// The used entries of `array` (entries of `entry_size` bytes), by number.
[[nodiscard]] std::vector<Partition> decode_entries(std::span<const uint8_t> array,
                                                    uint32_t entry_size);

/// Writes `p` into its entry (number - 1) of `array`, the entry's bytes past the 128 defined
/// ones left as they are; fails when the number is outside the array or the name does not fit.
[[nodiscard]] Result<void> encode_entry(const Partition& p, std::span<uint8_t> array,
                                        uint32_t entry_size);

/// Refuses a partition that ends before it starts or leaves [first_usable, last_usable], and
/// two partitions that share an LBA; the message names both.
[[nodiscard]] Result<void> check_partitions(const std::vector<Partition>& partitions,
                                            uint64_t first_usable, uint64_t last_usable);

}  // namespace rootstock::gpt
