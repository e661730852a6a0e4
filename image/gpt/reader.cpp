#include "image/gpt/reader.hpp"

#include <utility>

#include "image/gpt/crc32.hpp"
#include "image/gpt/entries.hpp"
#include "image/gpt/geometry.hpp"
#include "image/gpt/header.hpp"
#include "image/gpt/layout.hpp"
#include "image/gpt/protective_mbr.hpp"

namespace rootstock::gpt {
namespace {

std::string where(const char* which, uint64_t lba) {
  return std::string(which) + " GPT header (LBA " + std::to_string(lba) + "): ";
}

}  // namespace

Result<GptCopy> read_copy(BlockDevice& disk, uint64_t lba) {
  const uint32_t sector_size = disk.sector_size();
  if (lba >= disk.sector_count()) {
    return std::unexpected("past the end of the disk (" + std::to_string(disk.sector_count()) +
                           " sectors)");
  }
  std::vector<uint8_t> sector(sector_size);
  if (auto r = disk.read(lba, sector); !r) return std::unexpected(r.error());
  auto header = check_header(sector, lba, disk.sector_count());
  if (!header) return std::unexpected(header.error());
  const GptHeader& h = *header;
  GptCopy c;
  c.my_lba = h.my_lba;
  c.alternate_lba = h.alternate_lba;
  c.entries_lba = h.partition_entry_lba;
  c.disk_guid = h.disk_guid;
  c.first_usable_lba = h.first_usable_lba;
  c.last_usable_lba = h.last_usable_lba;
  c.entry_count = h.number_of_partition_entries;
  c.entry_size = h.size_of_partition_entry;
  uint64_t bytes = uint64_t{c.entry_count} * c.entry_size;
  std::vector<uint8_t> array(sectors_for(bytes, sector_size) * sector_size);
  if (auto r = disk.read(c.entries_lba, array); !r) return std::unexpected(r.error());
  array.resize(bytes);
  uint32_t crc = crc32(array);
  if (crc != h.partition_entry_array_crc32) {
    return std::unexpected("partition entry array CRC32 " + hex32(h.partition_entry_array_crc32) +
                           " does not match its contents (" + hex32(crc) + ")");
  }
  c.partitions = decode_entries(array, c.entry_size);
  c.entries = std::move(array);
  if (auto r = check_partitions(c.partitions, c.first_usable_lba, c.last_usable_lba); !r) {
    return std::unexpected(r.error());
  }
  return c;
}

bool same_table(const GptCopy& a, const GptCopy& b) {
  return a.disk_guid == b.disk_guid && a.first_usable_lba == b.first_usable_lba &&
         a.last_usable_lba == b.last_usable_lba && a.entry_count == b.entry_count &&
         a.entry_size == b.entry_size && a.entries == b.entries;
}

Result<GptDisk> read_gpt(BlockDevice& disk) {
  GptDisk d;
  std::vector<uint8_t> lba0(disk.sector_size());
  if (disk.sector_count() == 0) return std::unexpected("the disk is empty");
  if (auto r = disk.read(0, lba0); !r) return std::unexpected(r.error());
  d.protective_mbr = is_protective_mbr(lba0);

  auto primary = read_copy(disk, kPrimaryHeaderLba);
  if (primary) {
    d.table = std::move(*primary);
    auto backup = read_copy(disk, d.table.alternate_lba);
    if (!backup) {
      d.backup_problem = where("backup", d.table.alternate_lba) + backup.error();
    } else if (!same_table(*backup, d.table)) {
      d.backup_problem = where("backup", d.table.alternate_lba) + "differs from the primary";
    }
    return d;
  }
  d.primary_problem = where("primary", kPrimaryHeaderLba) + primary.error();
  const uint64_t last = disk.sector_count() - 1;
  auto backup = read_copy(disk, last);
  if (!backup) {
    return std::unexpected("no valid GPT: " + d.primary_problem + "; " + where("backup", last) +
                           backup.error());
  }
  d.table = std::move(*backup);
  d.from_backup = true;
  return d;
}

}  // namespace rootstock::gpt
