// The physical address behind a virtual address of this process, from /proc/self/pagemap
// (Documentation/admin-guide/mm/pagemap.rst): bits 0-54 the frame number when bit 63 (present)
// is set. The kernel shows frame numbers only to CAP_SYS_ADMIN, which PID 1 has. The
// hypercall-abuse self-test uses it to name frames it knows the owner of (a child's, its own)
// in hypercalls that must refuse them.
#pragma once

#include <stdint.h>

#include <optional>
#include <vector>

namespace rootstock::selftest {

/// The physical address of the page holding `address`, if it is present and the kernel says.
[[nodiscard]] std::optional<uint64_t> physical_address(const void* address);

/// The physical addresses of the `pages` pages from `address` (page-aligned), in one read of
/// the pagemap; 0 for a page that is not present or whose frame the kernel does not show.
[[nodiscard]] std::vector<uint64_t> physical_addresses(const void* address, size_t pages);

}  // namespace rootstock::selftest
