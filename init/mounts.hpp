// The file systems PID 1 mounts at start (proc, sys, devtmpfs, a tmpfs /run) and takes down in
// reverse order at shutdown. devtmpfs is mounted by PID 1 itself: DEVTMPFS_MOUNT does not
// apply to an initramfs (../shared/TOOLCHAIN.md).
#pragma once

#include <string>
#include <vector>

#include "system.hpp"

namespace rootstock::init {

/// One mount(2) call.
struct MountSpec {
  std::string source, target, fstype;
  unsigned long flags = 0;
  std::string data;
};

/// What PID 1 mounts, in order.
std::vector<MountSpec> early_mounts();

/// Mounts each spec (creating its target); returns those that succeeded, in order, and appends
/// a message for each that failed (PID 1 goes on without it).
std::vector<MountSpec> mount_all(System& sys, const std::vector<MountSpec>& specs,
                                 std::vector<std::string>& errors);

/// Unmounts `mounted` in reverse order; a busy file system is detached (MNT_DETACH) instead.
/// Appends a message for each that could not be taken down either way.
void unmount_all(System& sys, const std::vector<MountSpec>& mounted,
                 std::vector<std::string>& errors);

}  // namespace rootstock::init
