// Which GPT partition the loader was started from: the Hard Drive node of its device's path
// (UEFI 2.10, 10.3.5.1 "Hard Drive Media Device Path"). The loader passes that partition's
// unique GUID to the root as `rootstock.esp=GUID`, so that PID 1 waits for exactly the disk
// it booted from and finds the data partition on it, not on whatever other disk is plugged in.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace rootstock::efi {

/// A device path node's header (UEFI 2.10, 10.2 "EFI Device Path Protocol", Table 10.1).
struct [[gnu::packed]] DevicePathNode {
  uint8_t type;
  uint8_t sub_type;
  uint16_t length;  ///< of the whole node, header included
};
static_assert(sizeof(DevicePathNode) == 4);

inline constexpr uint8_t kMediaDevicePath = 0x04;
inline constexpr uint8_t kHardDriveSubType = 0x01;
inline constexpr uint8_t kEndDevicePath = 0x7F;
inline constexpr uint8_t kEndEntireSubType = 0xFF;

/// The Hard Drive media node (UEFI 2.10, 10.3.5.1, Table 10.49).
struct [[gnu::packed]] HardDriveNode {
  DevicePathNode header;  ///< kMediaDevicePath, kHardDriveSubType, 42
  uint32_t partition_number;
  uint64_t partition_start;  ///< LBA
  uint64_t partition_size;   ///< in LBAs
  uint8_t partition_signature[16];
  uint8_t partition_format;  ///< kGptPartitionFormat or 0x01 (MBR)
  uint8_t signature_type;    ///< kGuidSignature, 0x01 (MBR 32-bit), 0x00 (none)
};
static_assert(sizeof(HardDriveNode) == 42);
inline constexpr uint8_t kGptPartitionFormat = 0x02;
inline constexpr uint8_t kGuidSignature = 0x02;

/// Characters of a GUID's registry form, without the NUL.
inline constexpr size_t kGuidTextLength = 36;

/// Walks the device path at `path` (at most `limit` bytes; firmware-made, still checked: a
/// node shorter than its header or reaching past the limit ends the walk) for a Hard Drive node
/// of a GPT partition with a GUID signature, and writes its GUID in registry form, lower case,
/// to `out` (kGuidTextLength + 1 bytes, NUL-terminated). False when there is none: started
/// from an MBR disk, a network, a firmware volume.
[[nodiscard]] bool gpt_partition_guid(const void* path, size_t limit,
                                      char (&out)[kGuidTextLength + 1]);

/// The most bytes gpt_partition_guid() looks at: device paths are a few nodes long.
inline constexpr size_t kMaxDevicePathBytes = 4096;

}  // namespace rootstock::efi
