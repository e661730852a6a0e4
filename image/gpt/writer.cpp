#include "image/gpt/writer.hpp"

#include <set>

#include "image/gpt/entries.hpp"
#include "image/gpt/geometry.hpp"
#include "image/gpt/header.hpp"
#include "image/gpt/protective_mbr.hpp"

namespace rootstock::gpt {
namespace {

Result<void> check_spec(const DiskSpec& spec) {
  if (spec.disk_guid.is_nil()) return std::unexpected("the disk GUID is nil");
  if (uint64_t{spec.entry_count} * kGptEntrySize < kMinEntryArrayBytes ||
      uint64_t{spec.entry_count} * kGptEntrySize > kMaxEntryArrayBytes) {
    return std::unexpected(std::to_string(spec.entry_count) + " entries are not " +
                           std::to_string(kMinEntryArrayBytes) + " to " +
                           std::to_string(kMaxEntryArrayBytes) + " bytes (UEFI 2.10, 5.3.2)");
  }
  std::set<uint32_t> numbers;
  std::set<Guid> uniques;
  for (const Partition& p : spec.partitions) {
    if (!numbers.insert(p.number).second) {
      return std::unexpected(describe(p) + ": the number is used twice");
    }
    if (p.type.is_nil()) return std::unexpected(describe(p) + ": the type GUID is nil");
    // "UniquePartitionGUID ... must be unique for every partition entry" (5.3.3, Table 5.6).
    if (p.unique.is_nil()) return std::unexpected(describe(p) + ": the unique GUID is nil");
    if (!uniques.insert(p.unique).second) {
      return std::unexpected(describe(p) + ": the unique GUID " + p.unique.text() +
                             " is used twice");
    }
  }
  return {};
}

}  // namespace

Result<void> write_copy(BlockDevice& disk, const GptCopy& copy) {
  std::vector<uint8_t> array = copy.entries;
  array.resize(sectors_for(array.size(), disk.sector_size()) * disk.sector_size(), 0);
  if (auto r = disk.write(copy.entries_lba, array); !r) return r;
  if (auto r = disk.flush(); !r) return r;
  if (auto r = disk.write(copy.my_lba, encode_header(copy, disk.sector_size())); !r) return r;
  return disk.flush();
}

Result<void> write_protective_mbr(BlockDevice& disk) {
  if (auto r = disk.write(0, encode_protective_mbr(disk.sector_count(), disk.sector_size())); !r) {
    return r;
  }
  return disk.flush();
}

Result<void> write_gpt(BlockDevice& disk, const DiskSpec& spec) {
  if (auto r = check_spec(spec); !r) return r;
  auto g =
      geometry(disk.sector_size(), disk.sector_count(), uint64_t{spec.entry_count} * kGptEntrySize);
  if (!g) return std::unexpected(g.error());
  if (auto r = check_partitions(spec.partitions, g->first_usable_lba, g->last_usable_lba); !r) {
    return r;
  }
  GptCopy primary;
  primary.my_lba = kPrimaryHeaderLba;
  primary.alternate_lba = g->backup_header_lba;
  primary.entries_lba = g->primary_entries_lba;
  primary.disk_guid = spec.disk_guid;
  primary.first_usable_lba = g->first_usable_lba;
  primary.last_usable_lba = g->last_usable_lba;
  primary.entry_count = spec.entry_count;
  primary.entry_size = kGptEntrySize;
  primary.entries.assign(size_t{spec.entry_count} * kGptEntrySize, 0);
  for (const Partition& p : spec.partitions) {
    if (auto r = encode_entry(p, primary.entries, kGptEntrySize); !r) return r;
  }
  GptCopy backup = primary;
  backup.my_lba = g->backup_header_lba;
  backup.alternate_lba = kPrimaryHeaderLba;
  backup.entries_lba = g->backup_entries_lba;
  if (auto r = write_protective_mbr(disk); !r) return r;
  if (auto r = write_copy(disk, primary); !r) return r;
  return write_copy(disk, backup);
}

}  // namespace rootstock::gpt
