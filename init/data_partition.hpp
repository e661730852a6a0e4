// The appliance's state: the ext4 data partition on the boot disk, mounted at kDataMount. The
// image carries it small; the first boot on a larger disk grows it to the disk's end (the GPT
// with both copies, image/gpt/grow.hpp; the kernel's view with BLKPG; the file system online
// with EXT4_IOC_RESIZE_FS), and every boot finishes a grow a power cut interrupted. A file
// system that does not mount is reported and left alone: nothing here ever formats a disk.
#pragma once

#include <stdint.h>

#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "boot_disk.hpp"
#include "rootstock/milestone.hpp"

namespace rootstock::init {

/// Where the data partition is mounted.
inline constexpr const char* kDataMount = "/var/lib/rootstock";
/// The VM spec files the appliance keeps (NAME.json, as rootstock.vm_specs holds them).
inline constexpr const char* kDataVmSpecs = "/var/lib/rootstock/vms";
/// The management API's TLS key and certificate (appliance/tls_identity.hpp).
inline constexpr const char* kDataApiIdentity = "/var/lib/rootstock/api";
/// The appliance's JSON-lines log (appliance/event_log.hpp): appliance.jsonl and .1.
inline constexpr const char* kDataLogs = "/var/lib/rootstock/log";
/// Where VMs made through the API may keep their logger's and metrics' files (and their
/// console logs), beside /run/rootstock/vm: not the appliance's own log, one folder up.
inline constexpr const char* kDataVmLogs = "/var/lib/rootstock/log/vms";
/// The images the management API takes (appliance/image_store.hpp).
inline constexpr const char* kDataImages = "/var/lib/rootstock/images";
/// Images built into the root's initramfs: the default child's kernel and initramfs, and the
/// examples' disks.
inline constexpr const char* kBuiltInChildImages = "/lib/rootstock";
inline constexpr const char* kBuiltInExamples = "/usr/share/rootstock";
/// The boot counter on it: the number of boots that mounted it, this one included.
inline constexpr const char* kBootCountFile = "/var/lib/rootstock/boot-count";

/// The fields of an ext4 superblock PID 1 needs (the kernel's fs/ext4/ext4.h, struct
/// ext4_super_block; it starts 1024 bytes into the partition).
struct Ext4Geometry {
  uint64_t blocks = 0;      ///< s_blocks_count (hi half only with the 64bit feature)
  uint32_t block_size = 0;  ///< 1024 << s_log_block_size
};
inline constexpr size_t kExt4SuperblockOffset = 1024;
inline constexpr size_t kExt4SuperblockSize = 1024;

/// Reads the superblock's 1024 bytes; nullopt when the magic or the block size is wrong.
[[nodiscard]] std::optional<Ext4Geometry> parse_ext4_superblock(std::span<const uint8_t> bytes);

/// The boot counter file's text ("12\n") as a number; nullopt for anything else.
[[nodiscard]] std::optional<uint64_t> parse_boot_count(std::string_view text);

/// What mount_data_partition() did.
struct DataPartition {
  std::string device;  ///< "/dev/nvme0n1p2"
  uint64_t size_mib = 0;
  uint64_t free_mib = 0;
  uint64_t boots = 0;  ///< this boot's number; 1 on the first
  /// The file system was grown at this boot: its size before, in MiB.
  std::optional<uint64_t> grown_from_mib;
};

/// Grows (when the disk has room) and mounts the data partition of `disk` at kDataMount, and
/// counts this boot on it. `say` hears what went wrong on the way that did not stop it (a GPT
/// that could not be grown still mounts). Fails, with the reason, when there is no data
/// partition or it does not mount.
[[nodiscard]] std::expected<DataPartition, std::string> mount_data_partition(
    const BootDisk& disk, const std::function<void(const std::string&)>& say);

}  // namespace rootstock::init
