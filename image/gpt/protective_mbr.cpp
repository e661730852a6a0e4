#include "image/gpt/protective_mbr.hpp"

#include <string.h>

#include <algorithm>

#include "image/gpt/layout.hpp"

namespace rootstock::gpt {
namespace {

// CHS addressing as the BIOS's LBA translation assumes it: 255 heads of 63 sectors, sectors
// counted from 1, cylinders up to 1023 in 10 bits. A GPT disk has no geometry of its own; this
// is the translation every partitioning tool uses for the protective record.
constexpr uint64_t kHeads = 255;
constexpr uint64_t kSectorsPerTrack = 63;
constexpr uint64_t kMaxCylinder = 1023;
constexpr unsigned kCylinderHighShift = 8;  // cylinder bits 8-9 ...
constexpr unsigned kSectorByteShift = 6;    // ... sit in bits 6-7 of the sector byte

void chs(uint64_t lba, uint8_t (&out)[3]) {
  uint64_t cylinder = lba / (kHeads * kSectorsPerTrack);
  if (cylinder > kMaxCylinder) {
    std::ranges::fill(out, kChsTooLarge);
    return;
  }
  uint64_t head = (lba / kSectorsPerTrack) % kHeads;
  uint64_t sector = lba % kSectorsPerTrack + 1;
  out[0] = static_cast<uint8_t>(head);
  out[1] = static_cast<uint8_t>(sector | ((cylinder >> kCylinderHighShift) << kSectorByteShift));
  out[2] = static_cast<uint8_t>(cylinder);
}

}  // namespace

std::vector<uint8_t> encode_protective_mbr(uint64_t sector_count, uint32_t sector_size) {
  ProtectiveMbr mbr{};
  MbrPartitionRecord& r = mbr.partition_record[0];
  std::ranges::copy(kProtectiveStartingChs, r.starting_chs);
  r.os_type = kGptProtectiveOsType;
  chs(sector_count - 1, r.ending_chs);
  r.starting_lba = static_cast<uint32_t>(kPrimaryHeaderLba);
  r.size_in_lba = static_cast<uint32_t>(std::min<uint64_t>(sector_count - 1, kMbrSizeTooLarge));
  mbr.signature = kMbrSignature;
  std::vector<uint8_t> sector(sector_size, 0);
  memcpy(sector.data(), &mbr, sizeof mbr);
  return sector;
}

bool is_protective_mbr(std::span<const uint8_t> sector) {
  ProtectiveMbr mbr;
  memcpy(&mbr, sector.data(), sizeof mbr);
  if (mbr.signature != kMbrSignature) return false;
  return std::ranges::any_of(mbr.partition_record, [](const MbrPartitionRecord& r) {
    return r.os_type == kGptProtectiveOsType && r.starting_lba == kPrimaryHeaderLba;
  });
}

}  // namespace rootstock::gpt
