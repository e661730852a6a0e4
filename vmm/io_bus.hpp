// The child's I/O port space as a bus (Firecracker's rule, ../shared/STYLE.md): each device owns
// a range of ports; the bus owns the ranges, refuses overlaps when a device is added, and
// answers accesses no device claims as an empty ISA bus does (reads all ones, writes dropped),
// counting them. It is itself a PortIoHandler, so the run loop hands every IN/OUT exit to it.
// The bus takes no lock: each device serialises its own accesses (locked_device.hpp), so that a
// vCPU in one device does not wait for another vCPU in a different one.
#pragma once

#include <stdint.h>

#include <atomic>
#include <string_view>

#include "vmm/address_ranges.hpp"
#include "vmm/devices.hpp"
#include "vmm/error.hpp"

namespace rootstock::vmm {

/// Port I/O routed by range.
class IoBus final : public PortIoHandler {
 public:
  /// Adds `device` for ports [first, first + count). The device gets the absolute port (so
  /// that one model can serve several bases) of each access that starts in its range; it must
  /// outlive the bus. Overlaps, an empty range and a range past 0xffff are refused, with `name`
  /// and the device already there in the error, and change nothing. Only before the bus is used
  /// from more than one thread (address_ranges.hpp).
  [[nodiscard]] Result<void> add(uint16_t first, uint32_t count, PortIoHandler& device,
                                 std::string_view name = "a device");

  Next out(uint16_t port, uint8_t size, uint32_t value) override;
  uint32_t in(uint16_t port, uint8_t size) override;

  /// Accesses no device claimed.
  [[nodiscard]] uint64_t unclaimed() const { return unclaimed_.load(std::memory_order_relaxed); }

 private:
  AddressRanges<PortIoHandler> ranges_;
  std::atomic<uint64_t> unclaimed_{0};
};

}  // namespace rootstock::vmm
