// Fresh identifiers for a flashed disk: every copy of rootstock.img carries the same disk GUID
// and partition GUIDs (the image is reproducible), so two flashed disks in one box would be
// indistinguishable by them. PID 1 gives its boot disk new ones at the first boot.
#pragma once

#include <stdint.h>

#include <map>

#include "image/gpt/block_device.hpp"
#include "image/gpt/guid.hpp"

namespace rootstock::gpt {

/// New identifiers: the disk's GUID, and the unique GUID of each partition named by its number.
struct Identifiers {
  Guid disk{};
  std::map<uint32_t, Guid> partitions{};
};

/// Rewrites both copies of the disk's GPT with `ids`, everything else as it was: the backup
/// first, then the primary, each entries-then-header with a flush between, so that a power
/// cut at any point leaves a valid copy of the old table or the new one (UEFI 2.10, 5.3.2: a
/// reader takes the primary when it is valid), and the next call finishes what a cut left
/// (a primary that is not valid is rewritten from the backup, at its usual place). Refuses,
/// writing nothing: a nil GUID, a number that is not a partition, and GUIDs that would repeat
/// on the disk. True when it wrote, false when the disk
/// had these identifiers already.
[[nodiscard]] Result<bool> set_identifiers(BlockDevice& disk, const Identifiers& ids);

/// A random version 4 GUID (RFC 9562, 5.4) from getrandom(2); an error when the kernel gives no
/// randomness.
[[nodiscard]] Result<Guid> random_guid();

}  // namespace rootstock::gpt
