// Where a GPT's parts lie on a disk of a given size (UEFI 2.10, 5.3.1 "GPT Overview"): protective
// MBR, primary header, primary entries, the usable LBAs, backup entries, and the backup header
// in the last LBA.
#pragma once

#include <stdint.h>

#include "image/gpt/block_device.hpp"

namespace rootstock::gpt {

/// The standard placement of both copies on one disk.
struct Geometry {
  uint32_t sector_size = 0;
  uint64_t sector_count = 0;
  uint64_t entry_sectors = 0;  ///< one entry array, rounded up to whole sectors
  uint64_t primary_entries_lba = 0;
  uint64_t first_usable_lba = 0;  ///< right after the primary entries
  uint64_t last_usable_lba = 0;   ///< right before the backup entries
  uint64_t backup_entries_lba = 0;
  uint64_t backup_header_lba = 0;  ///< the last LBA
};

/// The geometry for `entry_array_bytes` of entries; fails when the sector size is not a power
/// of two from kMinSectorSize to kMaxSectorSize or the disk has no usable LBA left.
[[nodiscard]] Result<Geometry> geometry(uint32_t sector_size, uint64_t sector_count,
                                        uint64_t entry_array_bytes);

/// Sectors that `bytes` take, the last one partly filled.
[[nodiscard]] constexpr uint64_t sectors_for(uint64_t bytes, uint32_t sector_size) {
  return (bytes + sector_size - 1) / sector_size;
}

}  // namespace rootstock::gpt
