// Address ranges owned by devices, for a bus (Firecracker's rule, ../shared/STYLE.md: the bus
// owns the ranges and refuses overlaps when a device is added). One implementation for the port
// bus (io_bus.hpp) and the MMIO bus (mmio_bus.hpp): ranges are kept sorted and never
// overlapping, so a lookup is one binary search. Ranges are closed ([first, last]) so that one
// may end at the last address of a 64-bit space without its end overflowing.
//
// add() is not thread-safe: a machine adds its devices before any vCPU runs; after that the
// ranges do not change, and find() may run on every vCPU thread at once.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/error.hpp"

namespace rootstock::vmm {

/// "0x3f8" for an address.
[[nodiscard]] std::string describe_address(uint64_t address);
/// "0x3f8-0x3ff" for the closed range [first, last].
[[nodiscard]] std::string describe_range(uint64_t first, uint64_t last);

/// Sorted, non-overlapping ranges [first, last], each with its handler and a name for errors.
template <typename Handler>
class AddressRanges {
 public:
  /// One device's range.
  struct Range {
    uint64_t first;
    uint64_t last;
    Handler* handler;
    std::string name;
  };

  /// Adds [first, last] for `handler`; a range overlapping one already added is refused with
  /// both ranges and names in the error, and changes nothing. `what` begins the error ("io bus:
  /// ports").
  [[nodiscard]] Result<void> add(std::string_view what, uint64_t first, uint64_t last,
                                 Handler& handler, std::string_view name) {
    // The first range ending at or after `first` is the only one that can overlap from below or
    // inside; those after it start past its end, so past `last` if it does not overlap.
    const auto at = std::lower_bound(ranges_.begin(), ranges_.end(), first,
                                     [](const Range& r, uint64_t a) { return r.last < a; });
    if (at != ranges_.end() && at->first <= last) {
      return fail(std::string(what) + " " + describe_range(first, last) + " (" + std::string(name) +
                  ") overlaps " + describe_range(at->first, at->last) + " (" + at->name + ")");
    }
    ranges_.insert(at, Range{first, last, &handler, std::string(name)});
    return {};
  }

  /// The handler whose range holds `address`, or nullptr.
  [[nodiscard]] Handler* find(uint64_t address) const {
    const auto after = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                                        [](uint64_t a, const Range& r) { return a < r.first; });
    if (after == ranges_.begin()) return nullptr;
    const Range& r = *(after - 1);
    return address <= r.last ? r.handler : nullptr;
  }

  /// Every range, by address.
  [[nodiscard]] const std::vector<Range>& ranges() const { return ranges_; }

 private:
  std::vector<Range> ranges_;
};

}  // namespace rootstock::vmm
