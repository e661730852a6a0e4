// The order of the writes, and why a power cut cannot leave the disk without a valid GPT.
//
// A reader (UEFI 2.10, 5.3.2; Linux's block/partitions/efi.c does the same) takes the primary
// copy at LBA 1 when its header and entry array check out, and otherwise the backup header in
// the disk's LAST LBA. Before a grow the backup sits at the image's old end, which is not the
// last LBA of the larger disk: while the primary is being rewritten, a reader would find no
// backup. So the new backup goes first:
//
//   0. (only when the primary is not valid, i.e. read_gpt() used the backup at the last LBA:
//      a cut during step 2 of an earlier call) write the new primary — entries, flush, header,
//      flush. The backup at the last LBA, the only valid copy, is not written in this step.
//   1. The backup copy at the new end: its entry array (right before the last LBA), flush, its
//      header in the last LBA, flush. The primary is not written in this step and stays valid
//      throughout; nothing it points at is overwritten: the new array lies past every
//      partition of the old table (the new last usable LBA is at least the old one).
//   2. The primary copy: entry array at its LBA, flush, header at LBA 1, flush. While the array
//      is half-written, or new under the old header, the primary fails its CRC32s, and readers
//      fall back to the last LBA, where step 1 put a valid backup of the new table.
//   3. The protective MBR's size, flush. Readers of the GPT do not depend on it (Linux checks
//      only its type), and it is one sector.
//
// Each step is skipped when the disk already holds what it would write, so a call after a cut
// finishes the work, and a second call writes nothing. The backup at the image's old end stays
// where it was, inside the grown partition, unreferenced: once step 2 is done no header points
// at it, and it lies in the part the filesystem has not grown into yet.
#include "image/gpt/grow.hpp"

#include <algorithm>
#include <string>

#include "image/gpt/entries.hpp"
#include "image/gpt/geometry.hpp"
#include "image/gpt/layout.hpp"
#include "image/gpt/protective_mbr.hpp"
#include "image/gpt/reader.hpp"
#include "image/gpt/writer.hpp"

namespace rootstock::gpt {
namespace {

// The partition to grow, as an index into `partitions`.
Result<size_t> pick(const std::vector<Partition>& partitions, std::string_view name) {
  if (partitions.empty()) return std::unexpected("the disk has no partition to grow");
  auto last = std::ranges::max_element(partitions, {}, &Partition::last_lba);
  if (name.empty()) return static_cast<size_t>(last - partitions.begin());
  auto named = std::ranges::find(partitions, name, &Partition::name);
  if (named == partitions.end()) {
    return std::unexpected("no partition is named \"" + std::string(name) + "\"");
  }
  if (named->last_lba != last->last_lba) {
    return std::unexpected(describe(*named) + " is not the last on the disk: " + describe(*last) +
                           " ends after it");
  }
  return static_cast<size_t>(named - partitions.begin());
}

// The protective MBR when LBA 0 differs from it.
Result<void> update_protective_mbr(BlockDevice& disk) {
  std::vector<uint8_t> lba0(disk.sector_size());
  if (auto r = disk.read(0, lba0); !r) return r;
  if (lba0 == encode_protective_mbr(disk.sector_count(), disk.sector_size())) return {};
  return write_protective_mbr(disk);
}

}  // namespace

Result<GrowResult> grow_gpt(BlockDevice& disk, std::string_view name) {
  auto read = read_gpt(disk);
  if (!read) return std::unexpected(read.error());
  const GptCopy& now = read->table;
  auto g =
      geometry(disk.sector_size(), disk.sector_count(), uint64_t{now.entry_count} * now.entry_size);
  if (!g) return std::unexpected(g.error());
  if (now.last_usable_lba > g->last_usable_lba) {
    return std::unexpected("the GPT's last usable LBA " + std::to_string(now.last_usable_lba) +
                           " lies past this disk's (" + std::to_string(g->last_usable_lba) +
                           "): the disk is smaller than the image");
  }
  auto index = pick(now.partitions, name);
  if (!index) return std::unexpected(index.error());
  // The grown partition runs up to the new last usable LBA, over everything past the old one:
  // a primary entry array placed after the partitions (UEFI allows it anywhere outside the
  // usable LBAs; the usual place is right after the header) would end up inside it, and the
  // new backup's array could land on it. Such a table is left as it is.
  if (!read->from_backup && now.entries_lba > now.last_usable_lba) {
    return std::unexpected("the primary GPT's entry array (LBA " + std::to_string(now.entries_lba) +
                           ") lies after the partitions: growing the last one would cover it");
  }

  GrowResult result{.number = now.partitions[*index].number,
                    .old_last_lba = now.partitions[*index].last_lba,
                    .new_last_lba = g->last_usable_lba};
  GptCopy primary = now;
  primary.my_lba = kPrimaryHeaderLba;
  primary.alternate_lba = g->backup_header_lba;
  primary.last_usable_lba = g->last_usable_lba;
  primary.partitions[*index].last_lba = g->last_usable_lba;
  if (auto r = encode_entry(primary.partitions[*index], primary.entries, primary.entry_size); !r) {
    return std::unexpected(r.error());
  }
  if (read->from_backup) {
    // The backup does not say where the primary's entries were: the standard place, if the
    // table leaves room for it.
    primary.entries_lba = g->primary_entries_lba;
    if (now.first_usable_lba < g->first_usable_lba) {
      return std::unexpected(
          "the primary GPT is not valid and the table leaves no room to "
          "rewrite it: " +
          read->primary_problem);
    }
  }
  GptCopy backup = primary;
  backup.my_lba = g->backup_header_lba;
  backup.alternate_lba = kPrimaryHeaderLba;
  backup.entries_lba = g->backup_entries_lba;

  // Step 0 (see the top of this file).
  if (read->from_backup) {
    if (auto r = write_copy(disk, primary); !r) return std::unexpected(r.error());
    result.repaired_primary = true;
  }
  // Step 1.
  auto at_end = read_copy(disk, g->backup_header_lba);
  if (!at_end || *at_end != backup) {
    if (auto r = write_copy(disk, backup); !r) return std::unexpected(r.error());
  }
  // Step 2.
  auto at_start = read_copy(disk, kPrimaryHeaderLba);
  if (!at_start || *at_start != primary) {
    if (auto r = write_copy(disk, primary); !r) return std::unexpected(r.error());
  }
  // Step 3.
  if (auto r = update_protective_mbr(disk); !r) return std::unexpected(r.error());
  return result;
}

}  // namespace rootstock::gpt
