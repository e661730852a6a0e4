#include "image/gpt/geometry.hpp"

#include <bit>
#include <string>

#include "image/gpt/layout.hpp"

namespace rootstock::gpt {

Result<Geometry> geometry(uint32_t sector_size, uint64_t sector_count, uint64_t entry_array_bytes) {
  if (!std::has_single_bit(sector_size) || sector_size < kMinSectorSize ||
      sector_size > kMaxSectorSize) {
    return std::unexpected("sector size " + std::to_string(sector_size) +
                           " is not a power of two from " + std::to_string(kMinSectorSize) +
                           " to " + std::to_string(kMaxSectorSize));
  }
  Geometry g;
  g.sector_size = sector_size;
  g.sector_count = sector_count;
  g.entry_sectors = sectors_for(entry_array_bytes, sector_size);
  g.primary_entries_lba = kPrimaryEntriesLba;
  g.first_usable_lba = g.primary_entries_lba + g.entry_sectors;
  // Both copies and one usable sector: MBR, header and entries at the front, entries and
  // header at the back.
  uint64_t needed = g.first_usable_lba + 1 + g.entry_sectors + 1;
  if (sector_count < needed) {
    return std::unexpected("a disk of " + std::to_string(sector_count) +
                           " sectors is too small for a GPT (it needs at least " +
                           std::to_string(needed) + ")");
  }
  g.backup_header_lba = sector_count - 1;
  g.backup_entries_lba = g.backup_header_lba - g.entry_sectors;
  g.last_usable_lba = g.backup_entries_lba - 1;
  return g;
}

}  // namespace rootstock::gpt
