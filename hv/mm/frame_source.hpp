// The seam through which page-table code gets the memory for its tables. In hv it is backed by
// the frame allocator and the identity map; in host tests by a heap buffer with made-up physical
// addresses, so the same builder code runs in both.
#pragma once

#include <stdint.h>

namespace hv {

/// True when A and B are the same type (no <type_traits> in freestanding hv).
template <typename A, typename B>
concept SameAs = __is_same(A, B);

/// What a page-table builder needs from its memory provider:
///  - allocate_zeroed(pa): a zero-filled, 4 KiB-aligned 4 KiB frame; false when none is left;
///  - free(pa): give back a frame this source handed out;
///  - to_pointer(pa): where the frame at physical address pa can be read and written by hv.
template <typename T>
concept FrameSource = requires(T& source, uint64_t& out, uint64_t pa) {
  { source.allocate_zeroed(out) } -> SameAs<bool>;
  { source.free(pa) } -> SameAs<void>;
  { source.to_pointer(pa) } -> SameAs<void*>;
};

}  // namespace hv
