// Reading the root's memory as the root's code sees it: guest-virtual addresses through its own
// page tables (AMD APM vol. 2, 5.3 long-mode translation, 4- and 5-level, 1 GiB/2 MiB/4 KiB
// pages), guest-physical = host-physical for the root (DESIGN.md §2). Used to fetch the
// instruction at the guest's RIP when an exit gives no instruction bytes (no decode assists).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vcpu/vcpu.hpp"

namespace hv::root {

/// Whether a guest-physical range may be read by hv on the root's behalf (root RAM, not hv's).
using PhysicalCheck = bool (*)(uint64_t gpa, uint64_t length);

/// Copies `len` bytes at guest-virtual `gva` (in `state`'s paging mode) to `out`, page by page.
/// False when a translation is missing or lands outside what `allowed` accepts.
bool read_guest_virtual(const GuestState& state, uint64_t gva, void* out, size_t len,
                        PhysicalCheck allowed);

/// Reads guest-physical memory for read_guest_virtual(): false when [gpa, gpa + len) is not
/// readable (a child's unmapped GPA, hv's memory).
struct PhysicalReader {
  bool (*read)(void* context, uint64_t gpa, void* out, size_t len);
  void* context;
};

/// The same for any guest (a child, whose GPAs hv translates through its nested tables).
bool read_guest_virtual(const GuestState& state, uint64_t gva, void* out, size_t len,
                        const PhysicalReader& reader);

}  // namespace hv::root
