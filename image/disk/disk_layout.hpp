// rootstock.img, the disk image users flash: its layout and every fixed identifier in it, in
// this one place. rootstock-mkdisk writes the GPT from it and prints it for
// tools/make-disk-image.sh (`rootstock-mkdisk --layout`), which makes the file systems with it;
// docs/DESIGN.md §8 explains the choices.
//
// The identifiers are constants so that two builds of the same sources give the same image:
// every flashed disk starts with the same ones, and the appliance's first boot gives its disk
// fresh ones.
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>
#include <vector>

#include "image/gpt/block_device.hpp"
#include "image/gpt/guid.hpp"
#include "image/gpt/writer.hpp"

namespace rootstock::disk {

inline constexpr uint64_t kMiB = 1024 * 1024;

/// The image's logical sector size: what a plain file and nearly every disk and USB stick have.
/// A disk with 4 KiB logical sectors (4Kn) reads LBA 1 at byte 4096 and finds no table there.
inline constexpr uint32_t kSectorSize = 512;
/// Partitions start and end on MiB boundaries, as parted and Windows place them: aligned to
/// every erase block and RAID stripe in common use, and to ext4's 4 KiB blocks.
inline constexpr uint64_t kAlignmentBytes = 1 * kMiB;

/// Partition 1: the EFI system partition (UEFI 2.10, 13.3.3), FAT32 with the loader as the
/// removable-media boot file and the configuration file. 64 MiB: room for the loader (12 MiB)
/// several times over, so that an update can write a new one beside the old, and for FAT32,
/// which UEFI asks of a fixed disk's ESP and which needs at least 65,525 clusters (Microsoft's
/// FAT specification, "FAT Type Determination"): mkfs.fat makes 129,022 of 512 bytes here.
inline constexpr uint32_t kEspNumber = 1;
inline constexpr uint64_t kEspBytes = 64 * kMiB;
inline constexpr std::string_view kEspName = "rootstock-esp";
/// FAT's volume serial number (mkfs.fat -i) and volume label (-n, at most 11 characters).
inline constexpr uint32_t kEspVolumeId = 0x763000C0;
inline constexpr std::string_view kEspVolumeLabel = "ROOTSTOCK";

/// Partition 2, the last: the data partition (ext4), which keeps the appliance's state; the
/// first boot grows it and its file system to the end of the disk, so its size here is only
/// what the image carries.
inline constexpr uint32_t kDataNumber = 2;
inline constexpr uint64_t kDataBytes = 64 * kMiB;
inline constexpr std::string_view kDataName = "rootstock-data";
/// ext4: the label (mke2fs -L, at most 16 bytes), the file system UUID (-U) and the seed of its
/// directory hashes (-E hash_seed=), which mke2fs would otherwise draw at random.
inline constexpr std::string_view kDataFsLabel = "rootstock-data";
inline constexpr std::string_view kDataFsUuid = "a82d3d9a-346a-4367-a3cb-657473bd4651";
inline constexpr std::string_view kDataFsHashSeed = "07252ae8-63a8-4c9e-812e-c8b93e56767d";

/// The GPT's disk GUID and the partitions' unique GUIDs.
inline constexpr gpt::Guid kDiskGuid = gpt::guid("9485B1B2-FAB1-4CF9-8FE6-667B10852C3F");
inline constexpr gpt::Guid kEspGuid = gpt::guid("08956129-8E61-46F8-A220-009DA94B488F");
inline constexpr gpt::Guid kDataGuid = gpt::guid("1E908F7F-87AE-4E04-9B88-1CCA87A8F5B0");

/// A partition to place: everything but its LBAs.
struct PartitionRequest {
  uint32_t number = 0;
  gpt::Guid type{};
  gpt::Guid unique{};
  std::string name{};
  uint64_t bytes = 0;  ///< whole sectors and whole alignment units
};

/// A disk laid out: its size and the table write_gpt() writes on it.
struct DiskLayout {
  uint32_t sector_size = 0;
  uint64_t sector_count = 0;
  gpt::DiskSpec spec{};
  [[nodiscard]] uint64_t bytes() const { return sector_count * sector_size; }
};

/// Places `partitions` in their order, each at the first aligned LBA after the GPT's primary
/// copy or the partition before it, and sizes the disk to end on the first alignment boundary
/// that leaves room for the backup copy after the last one. Refuses a sector size GPT does not
/// allow, an alignment that is not a whole number of sectors, an empty partition or one whose
/// size is not a whole number of alignment units, and a disk past 2^64 bytes.
[[nodiscard]] gpt::Result<DiskLayout> lay_out(uint32_t sector_size, uint64_t alignment_bytes,
                                              const std::vector<PartitionRequest>& partitions,
                                              const gpt::Guid& disk_guid);

/// rootstock.img's layout: the constants above through lay_out().
[[nodiscard]] gpt::Result<DiskLayout> rootstock_layout();

/// The layout as `key=value` lines for tools/make-disk-image.sh: sizes and LBAs in decimal,
/// GUIDs in their registry form, the FAT volume id in hex; values never need quoting.
[[nodiscard]] std::string layout_variables(const DiskLayout& layout);

}  // namespace rootstock::disk
