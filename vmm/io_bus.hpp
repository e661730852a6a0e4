// The child's I/O port space as a bus (Firecracker's rule, ../shared/STYLE.md): each device owns
// a range of ports and sees offsets into it; the bus owns the ranges, refuses overlaps when a
// device is added, and answers accesses no device claims as an empty ISA bus does (reads all
// ones, writes dropped), counting them. It is itself a PortIoHandler, so the run loop hands
// every IN/OUT exit to it.
#pragma once

#include <stdint.h>

#include <vector>

#include "vmm/devices.hpp"
#include "vmm/error.hpp"

namespace rootstock::vmm {

/// Port I/O routed by range.
class IoBus final : public PortIoHandler {
 public:
  /// Adds `device` for ports [first, first + count). The device gets the absolute port (so
  /// that one model can serve several bases); it must outlive the bus. Overlaps, an empty range
  /// and a range past 0xffff are refused and change nothing.
  [[nodiscard]] Result<void> add(uint16_t first, uint32_t count, PortIoHandler& device);

  Next out(uint16_t port, uint8_t size, uint32_t value) override;
  uint32_t in(uint16_t port, uint8_t size) override;

  /// Accesses no device claimed.
  [[nodiscard]] uint64_t unclaimed() const { return unclaimed_; }

 private:
  struct Range {
    uint16_t first;
    uint32_t count;
    PortIoHandler* device;
  };
  PortIoHandler* find(uint16_t port) const;

  std::vector<Range> ranges_;  ///< sorted by first port, never overlapping
  uint64_t unclaimed_ = 0;
};

}  // namespace rootstock::vmm
