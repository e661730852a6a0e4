// The real Backend: the hvroot driver's ioctls on /dev/hvroot and the fds it returns
// (drivers/hvroot/uapi/hvroot.h). Every fd is owned (UniqueFd) and every run page unmapped
// when its object goes.
#pragma once

#include <memory>

#include "vmm/backend.hpp"

namespace rootstock::vmm {

/// Where the hvroot driver's misc device appears (devtmpfs).
inline constexpr const char* kHvrootDevice = "/dev/hvroot";

/// Opens the driver. Fails with ENOENT when the module is not loaded (no device node).
[[nodiscard]] Result<std::unique_ptr<Backend>> open_hvroot(const char* path = kHvrootDevice);

}  // namespace rootstock::vmm
