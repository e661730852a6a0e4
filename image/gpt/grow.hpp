// Growing a GPT disk to the device it was flashed onto: the backup copy moves to the new last
// LBA and one partition — the last on the disk — is enlarged to the new last usable LBA. PID 1
// does this at first boot (issue 16) before it grows the partition's filesystem.
#pragma once

#include <stdint.h>

#include <string_view>

#include "image/gpt/block_device.hpp"

namespace rootstock::gpt {

/// What grow_gpt() did.
struct GrowResult {
  uint32_t number = 0;            ///< the partition that fills the disk now
  uint64_t old_last_lba = 0;      ///< its last LBA before this call
  uint64_t new_last_lba = 0;      ///< and after
  bool repaired_primary = false;  ///< the primary copy was not valid and was rewritten
  /// Whether this call enlarged the partition (a call after a cut-short one may find it done).
  [[nodiscard]] bool grown() const { return new_last_lba != old_last_lba; }
};

/// Grows the table on `disk` to the disk's size: the partition named `name` (by its GPT name;
/// it must be the one that ends last), or the one that ends last when `name` is empty, ends at
/// the new last usable LBA; both copies, and the protective MBR, describe the whole disk.
/// Idempotent, and safe against a power cut at any point: every moment leaves a disk whose GPT
/// reads (read_gpt()) as the old table or the new one, and a later call finishes the work.
/// Refuses, writing nothing: a disk without a valid GPT, a table that reaches past this disk's
/// end (flashed onto a smaller disk), a primary entry array after the partitions, and a named
/// partition that is missing or not the last.
[[nodiscard]] Result<GrowResult> grow_gpt(BlockDevice& disk, std::string_view name = {});

}  // namespace rootstock::gpt
