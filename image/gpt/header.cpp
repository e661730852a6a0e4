#include "image/gpt/header.hpp"

#include <string.h>

#include <bit>
#include <string>

#include "image/gpt/crc32.hpp"
#include "image/gpt/geometry.hpp"

namespace rootstock::gpt {
namespace {

std::string at(uint64_t lba) {
  return std::to_string(lba);
}

// The header's CRC32: over header_size bytes with the CRC field taken as zero (5.3.2).
uint32_t header_crc(std::span<const uint8_t> sector, uint32_t header_size) {
  std::vector<uint8_t> bytes(sector.begin(), sector.begin() + header_size);
  memset(bytes.data() + offsetof(GptHeader, header_crc32), 0, sizeof(uint32_t));
  return crc32(bytes);
}

bool inside(uint64_t lba, uint64_t first, uint64_t last) {
  return lba >= first && lba <= last;
}

// The fields that say where things are: all inside the disk, none of the metadata inside the
// usable LBAs.
Result<void> check_placement(const GptHeader& h, uint64_t sector_count, uint32_t sector_size) {
  if (h.alternate_lba >= sector_count) {
    return std::unexpected("alternate_lba " + at(h.alternate_lba) +
                           " is past the end of the disk (" + at(sector_count) + " sectors)");
  }
  if (h.alternate_lba == h.my_lba) return std::unexpected("alternate_lba is its own LBA");
  if (h.my_lba != kPrimaryHeaderLba && h.alternate_lba != kPrimaryHeaderLba) {
    return std::unexpected("alternate_lba " + at(h.alternate_lba) +
                           " of a backup header is not the primary's LBA 1");
  }
  if (h.first_usable_lba <= kPrimaryHeaderLba || h.first_usable_lba > h.last_usable_lba ||
      h.last_usable_lba >= sector_count) {
    return std::unexpected("usable LBAs " + at(h.first_usable_lba) + "-" + at(h.last_usable_lba) +
                           " are not inside the disk (" + at(sector_count) +
                           " sectors) past the primary header");
  }
  if (inside(h.my_lba, h.first_usable_lba, h.last_usable_lba) ||
      inside(h.alternate_lba, h.first_usable_lba, h.last_usable_lba)) {
    return std::unexpected("a header LBA lies inside the usable LBAs");
  }
  uint64_t entry_sectors =
      sectors_for(uint64_t{h.number_of_partition_entries} * h.size_of_partition_entry, sector_size);
  uint64_t first = h.partition_entry_lba;
  uint64_t last = first + entry_sectors - 1;
  bool clear = last < sector_count && first > 0 && !inside(h.my_lba, first, last) &&
               (last < h.first_usable_lba || first > h.last_usable_lba);
  if (!clear) {
    return std::unexpected("entry array LBAs " + at(first) + "-" + at(last) +
                           " are not inside the disk outside the headers and usable LBAs");
  }
  return {};
}

}  // namespace

std::string hex32(uint32_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += kHex[(value >> shift) & 0xF];
  return s;
}

std::vector<uint8_t> encode_header(const GptCopy& copy, uint32_t sector_size) {
  GptHeader h{};
  h.signature = kGptSignature;
  h.revision = kGptRevision;
  h.header_size = kGptHeaderSize;
  h.my_lba = copy.my_lba;
  h.alternate_lba = copy.alternate_lba;
  h.first_usable_lba = copy.first_usable_lba;
  h.last_usable_lba = copy.last_usable_lba;
  h.disk_guid = copy.disk_guid;
  h.partition_entry_lba = copy.entries_lba;
  h.number_of_partition_entries = copy.entry_count;
  h.size_of_partition_entry = copy.entry_size;
  h.partition_entry_array_crc32 = crc32(copy.entries);
  std::vector<uint8_t> sector(sector_size, 0);
  memcpy(sector.data(), &h, sizeof h);
  h.header_crc32 = header_crc(sector, kGptHeaderSize);
  memcpy(sector.data(), &h, sizeof h);
  return sector;
}

Result<GptHeader> check_header(std::span<const uint8_t> sector, uint64_t lba,
                               uint64_t sector_count) {
  GptHeader h;
  memcpy(&h, sector.data(), sizeof h);
  if (h.signature != kGptSignature) return std::unexpected("no GPT signature (\"EFI PART\")");
  if ((h.revision >> kGptRevisionMajorShift) != (kGptRevision >> kGptRevisionMajorShift)) {
    return std::unexpected("revision " + hex32(h.revision) + " is not 1.x");
  }
  if (h.header_size < kGptHeaderSize || h.header_size > sector.size()) {
    return std::unexpected("header size " + std::to_string(h.header_size) + " is not " +
                           std::to_string(kGptHeaderSize) + " to " + std::to_string(sector.size()));
  }
  uint32_t crc = header_crc(sector, h.header_size);
  if (crc != h.header_crc32) {
    return std::unexpected("header CRC32 " + hex32(h.header_crc32) +
                           " does not match its contents (" + hex32(crc) + ")");
  }
  if (h.my_lba != lba) {
    return std::unexpected("my_lba is " + at(h.my_lba) + ", not the LBA it was read from");
  }
  uint32_t size = h.size_of_partition_entry;
  if (size % kGptEntrySize != 0 || !std::has_single_bit(size / kGptEntrySize)) {
    return std::unexpected("entry size " + std::to_string(size) + " is not 128 × 2^n");
  }
  uint64_t bytes = uint64_t{h.number_of_partition_entries} * size;
  if (bytes == 0 || bytes > kMaxEntryArrayBytes) {
    return std::unexpected(std::to_string(h.number_of_partition_entries) + " entries of " +
                           std::to_string(size) + " bytes are not 1 to " +
                           std::to_string(kMaxEntryArrayBytes) + " bytes");
  }
  if (auto placed = check_placement(h, sector_count, static_cast<uint32_t>(sector.size()));
      !placed) {
    return std::unexpected(placed.error());
  }
  return h;
}

}  // namespace rootstock::gpt
