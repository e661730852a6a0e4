// One copy of a disk's GPT as Rootstock works with it: the header's fields, the raw partition
// entry array it covers, and the used entries decoded from that array. A disk has two copies,
// the primary (header at LBA 1) and the backup (header at the last LBA) (UEFI 2.10, 5.3.1).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "image/gpt/guid.hpp"

namespace rootstock::gpt {

/// One used partition entry (UEFI 2.10, 5.3.3, Table 5.6).
struct Partition {
  uint32_t number = 0;  ///< its entry's index + 1: the N of Linux's /dev/sdaN
  Guid type{};          ///< never nil: a nil type marks an unused entry
  Guid unique{};
  uint64_t first_lba = 0;
  uint64_t last_lba = 0;  ///< inclusive
  uint64_t attributes = 0;
  std::string name{};  ///< UTF-8 (image/gpt/partition_name.hpp)
  bool operator==(const Partition&) const = default;
};

/// A header with its entry array (UEFI 2.10, 5.3.2, Table 5.5).
struct GptCopy {
  uint64_t my_lba = 0;
  uint64_t alternate_lba = 0;
  uint64_t entries_lba = 0;
  Guid disk_guid;
  uint64_t first_usable_lba = 0;
  uint64_t last_usable_lba = 0;  ///< inclusive
  uint32_t entry_count = 0;
  uint32_t entry_size = 0;
  /// The array as stored, entry_count × entry_size bytes: rewritten as it is, so that what
  /// Rootstock does not interpret (entries larger than 128 bytes) survives a grow.
  std::vector<uint8_t> entries;
  std::vector<Partition> partitions;  ///< the used entries, by number
  bool operator==(const GptCopy&) const = default;
};

}  // namespace rootstock::gpt
