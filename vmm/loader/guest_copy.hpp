// Writing a loader's parts into the child's RAM, with errors that say which loader and which
// part (shared by linux_loader and pvh_loader).
#pragma once

#include <stdint.h>

#include <span>
#include <string_view>

#include "vmm/error.hpp"
#include "vmm/guest_memory.hpp"

namespace rootstock::vmm::loader {

/// Writes `data` at `gpa`; an error reads "<loader>: <what>: <why>".
[[nodiscard]] Result<void> copy_in(GuestMemory& ram, uint64_t gpa, std::span<const uint8_t> data,
                                   std::string_view loader, std::string_view what);

/// Writes `cmdline` and its terminating NUL at `gpa`.
[[nodiscard]] Result<void> copy_cmdline(GuestMemory& ram, uint64_t gpa, std::string_view cmdline,
                                        std::string_view loader);

}  // namespace rootstock::vmm::loader
