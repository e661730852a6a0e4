// Reading the firmware's and boot loader's structures through hv's boot identity map, for the
// boot-info and ACPI parsers (rootstock/boot/phys_reader.hpp). Anything outside the map is
// unreadable rather than a fault in hv.
#pragma once

#include <rootstock/boot/phys_reader.hpp>

#include "mm/frame_allocator.hpp"

extern "C" void* memcpy(void* dst, const void* src, size_t n);

namespace hv {

/// A PhysReader over [0, 4 GiB), which hv's boot page tables identity-map.
class IdentityReader final : public rootstock::boot::PhysReader {
 public:
  bool read(uint64_t paddr, void* out, size_t len) const override {
    if (paddr >= kBootIdentityMapEnd || len > kBootIdentityMapEnd - paddr) return false;
    if (len != 0) memcpy(out, reinterpret_cast<const void*>(paddr), len);
    return true;
  }
};

}  // namespace hv
