// Reading a disk's GPT and checking it (UEFI 2.10, 5.3.2): the primary copy when it is valid,
// else the backup in the disk's last LBA, saying which and why.
#pragma once

#include <stdint.h>

#include <string>

#include "image/gpt/block_device.hpp"
#include "image/gpt/gpt_copy.hpp"

namespace rootstock::gpt {

/// The copy whose header is at `lba`, if valid: check_header()'s checks, the entry array's
/// CRC32, and check_partitions() over the usable LBAs. The error says what is wrong, not where
/// (the caller names the copy).
[[nodiscard]] Result<GptCopy> read_copy(BlockDevice& disk, uint64_t lba);

/// A disk's partition table and the state of both copies.
struct GptDisk {
  GptCopy table;             ///< the primary when it is valid, else the backup
  bool from_backup = false;  ///< the primary was not valid: `table` is the backup
  /// Why the primary was not used ("primary GPT header (LBA 1): …"); empty when it was.
  std::string primary_problem;
  /// What is wrong with the backup the valid primary names ("backup GPT header (LBA n): …",
  /// or that it differs from the primary); empty when it matches, and when from_backup.
  std::string backup_problem;
  bool protective_mbr = false;  ///< LBA 0 protects the disk (is_protective_mbr)
};

/// The disk's GPT: the primary at LBA 1 if valid, its backup (at its alternate_lba) checked
/// against it; else, as UEFI 2.10 5.3.2 says, the backup in the disk's last LBA. Fails when
/// neither copy is valid, with both reasons.
[[nodiscard]] Result<GptDisk> read_gpt(BlockDevice& disk);

/// Whether two valid copies of one disk agree: everything but the LBAs that differ between a
/// primary and its backup (my_lba, alternate_lba, entries_lba).
[[nodiscard]] bool same_table(const GptCopy& a, const GptCopy& b);

}  // namespace rootstock::gpt
