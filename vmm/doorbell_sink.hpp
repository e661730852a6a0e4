// Doorbells (docs/hvroot.md "Doorbells", docs/hypercalls.md §11): a notify address whose plain
// writes hv completes and hvroot turns into a signal of an eventfd, so the device thread
// waiting on it serves its queue without an exit to the VMM. A transport names the doorbells it
// wants; the owner of the board (LinuxVm: HVROOT_DOORBELL) makes them.
#pragma once

#include <stdint.h>

#include <optional>

#include "vmm/error.hpp"

namespace rootstock::vmm {

/// One doorbell.
struct DoorbellSpec {
  uint64_t gpa = 0;
  uint8_t length = 0;             ///< the size of the write: 1, 2, 4 or 8
  std::optional<uint64_t> value;  ///< only a write of this value rings it; none: any value
  int eventfd = -1;               ///< what a ring signals
  bool operator==(const DoorbellSpec&) const = default;
};

/// Where a transport's doorbells go.
class DoorbellSink {
 public:
  virtual ~DoorbellSink() = default;
  /// Adds `doorbell`; an error leaves the address an ordinary MMIO exit, which still works.
  [[nodiscard]] virtual Result<void> add(const DoorbellSpec& doorbell) = 0;
  /// Removes the doorbell add() made with the same gpa, length and value.
  [[nodiscard]] virtual Result<void> remove(const DoorbellSpec& doorbell) = 0;
};

}  // namespace rootstock::vmm
