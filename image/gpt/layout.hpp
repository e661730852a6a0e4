// GPT's on-disk structures (UEFI 2.10, chapter 5 "GUID Partition Table (GPT) Disk Layout"):
// the protective MBR in LBA 0, the GPT header in LBA 1 and in the disk's last LBA, and the
// partition entries of the two entry arrays. All fields are little-endian; Rootstock builds
// only for x86-64 (and its build hosts), so they are read and written as native integers.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <bit>

#include "image/gpt/guid.hpp"

namespace rootstock::gpt {

static_assert(std::endian::native == std::endian::little,
              "GPT fields are little-endian and are used as native integers");

/// The smallest logical block size GPT allows, and the size of the MBR (UEFI 2.10, 5.2.1).
inline constexpr uint32_t kMinSectorSize = 512;
/// The largest sector size accepted: 4 KiB sectors are the largest seen on disks; 64 KiB
/// leaves room without letting a wrong value ask for huge buffers.
inline constexpr uint32_t kMaxSectorSize = 64 * 1024;

/// One partition record of an MBR (UEFI 2.10, 5.2.1, Table 5.2), as the protective MBR fills
/// it (5.2.3, Table 5.4).
struct [[gnu::packed]] MbrPartitionRecord {
  uint8_t boot_indicator;   ///< 0: not bootable (the protective record must be 0)
  uint8_t starting_chs[3];  ///< 0x000200: cylinder 0, head 0, sector 2 (= LBA 1)
  uint8_t os_type;          ///< kGptProtectiveOsType
  uint8_t ending_chs[3];    ///< the last LBA in CHS, or 0xFFFFFF when it does not fit
  uint32_t starting_lba;    ///< 1: the GPT header
  uint32_t size_in_lba;     ///< the disk's sector count less one, or 0xFFFFFFFF
};
static_assert(sizeof(MbrPartitionRecord) == 16);
static_assert(offsetof(MbrPartitionRecord, os_type) == 4);
static_assert(offsetof(MbrPartitionRecord, starting_lba) == 8);
static_assert(offsetof(MbrPartitionRecord, size_in_lba) == 12);

/// The OS type of the record that protects a GPT disk (UEFI 2.10, 5.2.2).
inline constexpr uint8_t kGptProtectiveOsType = 0xEE;
/// starting_chs of the protective record, "0x000200, corresponding to the Starting LBA field"
/// (UEFI 2.10, 5.2.3, Table 5.4): head 0, sector 2, cylinder 0.
inline constexpr uint8_t kProtectiveStartingChs[3] = {0x00, 0x02, 0x00};
/// The CHS and 32-bit size values that mean "too large to say" (UEFI 2.10, 5.2.3, Table 5.4).
inline constexpr uint8_t kChsTooLarge = 0xFF;
inline constexpr uint32_t kMbrSizeTooLarge = 0xFFFFFFFF;
/// The MBR's last two bytes (UEFI 2.10, 5.2.3, Table 5.3).
inline constexpr uint16_t kMbrSignature = 0xAA55;

/// LBA 0 of a GPT disk (UEFI 2.10, 5.2.3, Table 5.3): one record covering the whole disk so
/// that MBR-only tools see it as in use. On a disk with larger sectors the rest of LBA 0 is
/// zero.
struct [[gnu::packed]] ProtectiveMbr {
  uint8_t boot_code[440];                  ///< unused by UEFI; zero
  uint32_t unique_mbr_disk_signature;      ///< unused; zero
  uint16_t unknown;                        ///< unused; zero
  MbrPartitionRecord partition_record[4];  ///< [0] protective, [1..3] zero
  uint16_t signature;                      ///< kMbrSignature
};
static_assert(sizeof(ProtectiveMbr) == kMinSectorSize);
static_assert(offsetof(ProtectiveMbr, unique_mbr_disk_signature) == 440);
static_assert(offsetof(ProtectiveMbr, partition_record) == 446);
static_assert(offsetof(ProtectiveMbr, signature) == 510);

/// "EFI PART" read as a little-endian 64-bit integer (UEFI 2.10, 5.3.2, Table 5.5).
inline constexpr uint64_t kGptSignature = 0x5452415020494645;
/// Revision 1.0; the upper half is the major version (UEFI 2.10, 5.3.2, Table 5.5).
inline constexpr uint32_t kGptRevision = 0x00010000;
inline constexpr uint32_t kGptRevisionMajorShift = 16;
/// The primary header's LBA (UEFI 2.10, 5.3.1).
inline constexpr uint64_t kPrimaryHeaderLba = 1;
/// The primary entry array's usual LBA: right after the primary header (UEFI 2.10, 5.3.1).
inline constexpr uint64_t kPrimaryEntriesLba = 2;

/// The GPT header (UEFI 2.10, 5.3.2, Table 5.5); the rest of its block is reserved and zero.
struct [[gnu::packed]] GptHeader {
  uint64_t signature;      ///< kGptSignature
  uint32_t revision;       ///< kGptRevision
  uint32_t header_size;    ///< kGptHeaderSize .. the block size
  uint32_t header_crc32;   ///< over header_size bytes with this field zero
  uint32_t reserved;       ///< zero
  uint64_t my_lba;         ///< the LBA this header is in
  uint64_t alternate_lba;  ///< the other header's LBA
  uint64_t first_usable_lba;
  uint64_t last_usable_lba;  ///< inclusive
  Guid disk_guid;
  uint64_t partition_entry_lba;  ///< this copy's entry array
  uint32_t number_of_partition_entries;
  uint32_t size_of_partition_entry;      ///< 128 × 2^n
  uint32_t partition_entry_array_crc32;  ///< over number × size bytes
};
inline constexpr uint32_t kGptHeaderSize = 92;
static_assert(sizeof(GptHeader) == kGptHeaderSize);
static_assert(offsetof(GptHeader, header_crc32) == 16);
static_assert(offsetof(GptHeader, my_lba) == 24);
static_assert(offsetof(GptHeader, alternate_lba) == 32);
static_assert(offsetof(GptHeader, first_usable_lba) == 40);
static_assert(offsetof(GptHeader, last_usable_lba) == 48);
static_assert(offsetof(GptHeader, disk_guid) == 56);
static_assert(offsetof(GptHeader, partition_entry_lba) == 72);
static_assert(offsetof(GptHeader, number_of_partition_entries) == 80);
static_assert(offsetof(GptHeader, size_of_partition_entry) == 84);
static_assert(offsetof(GptHeader, partition_entry_array_crc32) == 88);

/// UTF-16 code units in a partition name (UEFI 2.10, 5.3.3, Table 5.6).
inline constexpr size_t kPartitionNameUnits = 36;

/// One partition entry (UEFI 2.10, 5.3.3, Table 5.6); an entry whose type is the nil GUID is
/// unused. An entry larger than this (size_of_partition_entry) has zero after it.
struct GptEntry {
  Guid partition_type_guid;
  Guid unique_partition_guid;
  uint64_t starting_lba;
  uint64_t ending_lba;  ///< inclusive
  uint64_t attributes;
  char16_t partition_name[kPartitionNameUnits];  ///< UTF-16LE, NUL-padded
};
inline constexpr uint32_t kGptEntrySize = 128;
static_assert(sizeof(GptEntry) == kGptEntrySize);
static_assert(offsetof(GptEntry, unique_partition_guid) == 16);
static_assert(offsetof(GptEntry, starting_lba) == 32);
static_assert(offsetof(GptEntry, ending_lba) == 40);
static_assert(offsetof(GptEntry, attributes) == 48);
static_assert(offsetof(GptEntry, partition_name) == 56);

/// The spec's minimum: "a minimum of 16,384 bytes of space must be reserved for the GPT
/// Partition Entry Array" (UEFI 2.10, 5.3.2), i.e. 128 entries of 128 bytes, what every
/// partitioning tool writes.
inline constexpr uint32_t kMinEntryArrayBytes = 16384;
inline constexpr uint32_t kDefaultEntryCount = kMinEntryArrayBytes / kGptEntrySize;
/// A bound on the entry array read from a disk (number × size), so that a corrupt header
/// cannot ask for a huge buffer: 64 times the usual 16 KiB.
inline constexpr uint32_t kMaxEntryArrayBytes = 1024 * 1024;

}  // namespace rootstock::gpt
