// Writing a GPT: one copy (entry array, then header), or a whole fresh table on a disk
// (protective MBR, primary and backup) for the build host's image writer.
#pragma once

#include <stdint.h>

#include <vector>

#include "image/gpt/block_device.hpp"
#include "image/gpt/gpt_copy.hpp"
#include "image/gpt/layout.hpp"

namespace rootstock::gpt {

/// Writes `copy`'s entry array, flushes, writes its header, flushes: once this returns the copy
/// is valid on the disk, and until its header is written the old header is what a reader sees.
[[nodiscard]] Result<void> write_copy(BlockDevice& disk, const GptCopy& copy);

/// Writes LBA 0 as the protective MBR for the disk's size, and flushes.
[[nodiscard]] Result<void> write_protective_mbr(BlockDevice& disk);

/// A fresh table: fixed identifiers (the image is reproducible) and explicit LBAs.
struct DiskSpec {
  Guid disk_guid{};
  /// Each with its number (its entry), a type, a unique GUID and LBAs inside the usable ones;
  /// the order does not matter.
  std::vector<Partition> partitions{};
  uint32_t entry_count = kDefaultEntryCount;  ///< of kGptEntrySize bytes; at least the default
};

/// Writes the protective MBR, the primary copy (header at LBA 1, entries from LBA 2) and the
/// backup (entries right before the header in the last LBA), each partition in its entry.
/// Refuses, before writing anything: a nil disk GUID, a partition without a type, a nil or
/// repeated unique GUID, a repeated number, a name that does not fit, partitions outside the
/// usable LBAs or overlapping, and an entry array smaller than the spec's 16 KiB.
[[nodiscard]] Result<void> write_gpt(BlockDevice& disk, const DiskSpec& spec);

}  // namespace rootstock::gpt
