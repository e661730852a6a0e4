#include "image/disk/disk_layout.hpp"

#include <stdio.h>

#include <bit>
#include <limits>
#include <optional>

#include "image/gpt/entries.hpp"
#include "image/gpt/geometry.hpp"
#include "image/gpt/layout.hpp"

namespace rootstock::disk {
namespace {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

// `value` rounded up to a multiple of `unit` (> 0); nullopt past 2^64.
std::optional<uint64_t> round_up(uint64_t value, uint64_t unit) {
  if (value > kMaxU64 - (unit - 1)) return std::nullopt;
  return (value + unit - 1) / unit * unit;
}

std::string too_large() {
  return "the disk would be larger than 2^64 bytes";
}

// Eight upper-case hex digits, as mkfs.fat -i takes a volume id.
std::string hex32(uint32_t value) {
  char text[9];
  snprintf(text, sizeof text, "%08X", value);
  return text;
}

}  // namespace

gpt::Result<DiskLayout> lay_out(uint32_t sector_size, uint64_t alignment_bytes,
                                const std::vector<PartitionRequest>& partitions,
                                const gpt::Guid& disk_guid) {
  if (!std::has_single_bit(sector_size) || sector_size < gpt::kMinSectorSize ||
      sector_size > gpt::kMaxSectorSize) {
    return std::unexpected("sector size " + std::to_string(sector_size) +
                           " is not a power of two from " + std::to_string(gpt::kMinSectorSize) +
                           " to " + std::to_string(gpt::kMaxSectorSize));
  }
  if (alignment_bytes == 0 || alignment_bytes % sector_size != 0) {
    return std::unexpected("an alignment of " + std::to_string(alignment_bytes) +
                           " bytes is not a whole number of " + std::to_string(sector_size) +
                           "-byte sectors");
  }
  const uint64_t align = alignment_bytes / sector_size;
  DiskLayout layout;
  layout.sector_size = sector_size;
  layout.spec.disk_guid = disk_guid;
  const uint64_t entry_sectors =
      gpt::sectors_for(uint64_t{layout.spec.entry_count} * gpt::kGptEntrySize, sector_size);
  // The protective MBR, the primary header and its entries come first (UEFI 2.10, 5.3.1).
  uint64_t next = gpt::kPrimaryEntriesLba + entry_sectors;
  for (const PartitionRequest& r : partitions) {
    gpt::Partition p{.number = r.number, .type = r.type, .unique = r.unique, .name = r.name};
    if (r.bytes == 0) return std::unexpected(gpt::describe(p) + " is empty");
    if (r.bytes % alignment_bytes != 0) {
      return std::unexpected(gpt::describe(p) + ": " + std::to_string(r.bytes) +
                             " bytes are not a whole number of " + std::to_string(alignment_bytes) +
                             "-byte alignment units");
    }
    auto first = round_up(next, align);
    const uint64_t sectors = r.bytes / sector_size;
    if (!first || *first > kMaxU64 - sectors) return std::unexpected(too_large());
    p.first_lba = *first;
    p.last_lba = *first + sectors - 1;
    next = *first + sectors;
    layout.spec.partitions.push_back(std::move(p));
  }
  // The backup's entries and header after the last partition, then up to the next boundary.
  if (next > kMaxU64 - entry_sectors - 1) return std::unexpected(too_large());
  auto count = round_up(next + entry_sectors + 1, align);
  if (!count || *count > kMaxU64 / sector_size) return std::unexpected(too_large());
  layout.sector_count = *count;
  // What write_gpt() will check, so that a layout that comes back is one it writes.
  auto g = gpt::geometry(sector_size, layout.sector_count,
                         uint64_t{layout.spec.entry_count} * gpt::kGptEntrySize);
  if (!g) return std::unexpected(g.error());
  if (auto ok =
          gpt::check_partitions(layout.spec.partitions, g->first_usable_lba, g->last_usable_lba);
      !ok) {
    return std::unexpected(ok.error());
  }
  return layout;
}

gpt::Result<DiskLayout> rootstock_layout() {
  return lay_out(kSectorSize, kAlignmentBytes,
                 {{.number = kEspNumber,
                   .type = gpt::kEfiSystemPartitionType,
                   .unique = kEspGuid,
                   .name = std::string(kEspName),
                   .bytes = kEspBytes},
                  {.number = kDataNumber,
                   .type = gpt::kLinuxFilesystemType,
                   .unique = kDataGuid,
                   .name = std::string(kDataName),
                   .bytes = kDataBytes}},
                 kDiskGuid);
}

std::string layout_variables(const DiskLayout& layout) {
  std::string out;
  auto line = [&out](std::string_view key, std::string_view value) {
    out.append(key).append("=").append(value).append("\n");
  };
  line("sector_size", std::to_string(layout.sector_size));
  line("disk_bytes", std::to_string(layout.bytes()));
  line("disk_guid", layout.spec.disk_guid.text());
  for (const gpt::Partition& p : layout.spec.partitions) {
    const std::string_view prefix =
        p.number == kEspNumber ? "esp_" : (p.number == kDataNumber ? "data_" : "");
    if (prefix.empty()) continue;
    auto field = [&](std::string_view key, std::string_view value) {
      line(std::string(prefix) + std::string(key), value);
    };
    field("number", std::to_string(p.number));
    field("first_lba", std::to_string(p.first_lba));
    field("bytes", std::to_string((p.last_lba - p.first_lba + 1) * layout.sector_size));
    field("name", p.name);
    field("guid", p.unique.text());
  }
  line("esp_volume_id", hex32(kEspVolumeId));
  line("esp_volume_label", kEspVolumeLabel);
  line("data_fs_label", kDataFsLabel);
  line("data_fs_uuid", kDataFsUuid);
  line("data_fs_hash_seed", kDataFsHashSeed);
  return out;
}

}  // namespace rootstock::disk
