// The default child's kernel and initramfs, as the root's initramfs carries them
// (image/initramfs/root.list.in): read whole for the VMM's loaders.
#pragma once

#include <stdint.h>

#include <vector>

namespace rootstock::init {

inline constexpr const char* kChildKernel = "/lib/rootstock/child/bzImage";
inline constexpr const char* kChildInitramfs = "/lib/rootstock/child/initramfs.cpio";

struct ChildImages {
  std::vector<uint8_t> kernel;     ///< empty when missing or unreadable
  std::vector<uint8_t> initramfs;  ///< empty when missing or unreadable
};

/// Reads both files.
ChildImages read_child_images();

}  // namespace rootstock::init
