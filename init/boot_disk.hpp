// The disk the appliance booted from and its two partitions of ours: the EFI system partition
// the loader was started from (its unique GUID reaches PID 1 as rootstock.esp=, efi/boot_device
// .hpp) and, on the same disk, the data partition that keeps the appliance's state. Disks probe
// in the background (NVMe, and USB sticks seconds later), so PID 1 waits for the one it booted
// from: it rescans whenever the kernel announces a block device, up to a deadline.
#pragma once

#include <stdint.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/disk/disk_layout.hpp"
#include "image/gpt/gpt_copy.hpp"

namespace rootstock::init {

/// The data partition's GPT name: the image's second partition.
inline constexpr std::string_view kDataPartitionName = disk::kDataName;

/// What locate_partitions() found in one disk's table.
struct BootPartitions {
  gpt::Partition esp;
  std::optional<gpt::Partition> data;  ///< kDataPartitionName, a Linux filesystem partition
};

/// The partition with unique GUID `esp` in `table`, with the data partition beside it; nullopt
/// when the table has no such partition (another disk).
[[nodiscard]] std::optional<BootPartitions> locate_partitions(const gpt::GptCopy& table,
                                                              const gpt::Guid& esp);

/// A disk found with the boot partition on it.
struct BootDisk {
  std::string name;          ///< the kernel's ("nvme0n1", "vda", "sda")
  std::string device;        ///< "/dev/nvme0n1"
  uint32_t sector_size = 0;  ///< logical, as the GPT's LBAs count
  BootPartitions partitions;
};

/// The device node of partition `number` of `disk`, as sysfs (below `sys_block`) names it:
/// "/dev/nvme0n1p2", "/dev/sda2"; empty when the kernel has no such partition.
[[nodiscard]] std::string partition_device(const std::string& sys_block, const std::string& disk,
                                           uint32_t number);

/// Looks through every disk in /sys/block for the GPT partition `esp`, rescanning as block
/// devices appear until `wait` has passed. Problems reading a disk (not GPT, unreadable) are
/// not errors: that disk is not the one. `say` hears about the wait once it takes a second.
[[nodiscard]] std::optional<BootDisk> find_boot_disk(
    const gpt::Guid& esp, std::chrono::milliseconds wait,
    const std::function<void(const std::string&)>& say);

}  // namespace rootstock::init
