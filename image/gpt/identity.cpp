#include "image/gpt/identity.hpp"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <algorithm>
#include <set>
#include <string>

#include "image/gpt/entries.hpp"
#include "image/gpt/layout.hpp"
#include "image/gpt/reader.hpp"
#include "image/gpt/writer.hpp"

namespace rootstock::gpt {
namespace {

// RFC 9562 5.4: the version in the high nibble of octet 6, the variant (10xx) in octet 8 — in
// GPT's stored order octet 6 of the text form is stored byte 7 (Data3 is little-endian).
constexpr size_t kVersionByte = 7;
constexpr uint8_t kVersion4 = 0x40;
constexpr size_t kVariantByte = 8;
constexpr uint8_t kVariantRfc = 0x80;

}  // namespace

Result<Guid> random_guid() {
  Guid g;
  size_t got = 0;
  while (got < g.bytes.size()) {
    const ssize_t n = ::getrandom(g.bytes.data() + got, g.bytes.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(std::string("no randomness for a GUID: ") + strerror(errno));
    got += static_cast<size_t>(n);
  }
  g.bytes[kVersionByte] = static_cast<uint8_t>((g.bytes[kVersionByte] & 0x0F) | kVersion4);
  g.bytes[kVariantByte] = static_cast<uint8_t>((g.bytes[kVariantByte] & 0x3F) | kVariantRfc);
  return g;
}

Result<bool> set_identifiers(BlockDevice& disk, const Identifiers& ids) {
  auto read = read_gpt(disk);
  if (!read) return std::unexpected(read.error());
  const uint64_t entry_sectors =
      (uint64_t{read->table.entry_count} * read->table.entry_size + disk.sector_size() - 1) /
      disk.sector_size();
  GptCopy primary = read->table;
  if (read->from_backup) {
    // A cut while the primary was written (or any damage to it): the backup is the table, and
    // the primary goes back to its usual place (the backup does not say where it was).
    primary.my_lba = kPrimaryHeaderLba;
    primary.alternate_lba = read->table.my_lba;
    primary.entries_lba = kPrimaryEntriesLba;
    if (kPrimaryEntriesLba + entry_sectors > primary.first_usable_lba) {
      return std::unexpected(
          "the primary GPT is not valid and the table leaves no room to "
          "rewrite it: " +
          read->primary_problem);
    }
  }
  if (ids.disk.is_nil()) return std::unexpected("the disk GUID is nil");
  primary.disk_guid = ids.disk;
  for (const auto& [number, unique] : ids.partitions) {
    auto it = std::ranges::find(primary.partitions, number, &Partition::number);
    if (it == primary.partitions.end()) {
      return std::unexpected("there is no partition " + std::to_string(number));
    }
    if (unique.is_nil()) return std::unexpected("the GUID for " + describe(*it) + " is nil");
    it->unique = unique;
    if (auto r = encode_entry(*it, primary.entries, primary.entry_size); !r) {
      return std::unexpected(r.error());
    }
  }
  std::set<Guid> seen = {primary.disk_guid};
  for (const Partition& p : primary.partitions) {
    if (!seen.insert(p.unique).second) {
      return std::unexpected("the GUID of " + describe(p) + " would repeat on the disk");
    }
  }
  if (!read->from_backup && read->backup_problem.empty() && primary == read->table) return false;

  // The backup where the primary says, its entries where it has them, or (a backup a cut left
  // torn) right before its header, where write_gpt() and grow_gpt() put them.
  GptCopy backup = primary;
  backup.my_lba = primary.alternate_lba;
  backup.alternate_lba = primary.my_lba;
  auto backup_at = read_copy(disk, primary.alternate_lba);
  backup.entries_lba = backup_at ? backup_at->entries_lba : primary.alternate_lba - entry_sectors;
  if (!backup_at || *backup_at != backup) {
    if (auto r = write_copy(disk, backup); !r) return std::unexpected(r.error());
  }
  if (auto at_start = read_copy(disk, kPrimaryHeaderLba); !at_start || *at_start != primary) {
    if (auto r = write_copy(disk, primary); !r) return std::unexpected(r.error());
  }
  return true;
}

}  // namespace rootstock::gpt
