// The child's guest-physical address space outside its RAM as a bus, the port bus's twin
// (io_bus.hpp): each device owns a range of addresses, the bus refuses overlaps when a device is
// added, and an access no device claims behaves as on an empty PC bus: a read gives all ones, a
// write is dropped, and the bus counts it. The LAPIC and I/O APIC pages never get here: hv
// emulates them (docs/hypercalls.md §10). The bus takes no lock; each device serialises its own
// accesses (locked_device.hpp).
#pragma once

#include <stdint.h>

#include <atomic>
#include <string_view>

#include "vmm/address_ranges.hpp"
#include "vmm/devices.hpp"
#include "vmm/error.hpp"

namespace rootstock::vmm {

/// MMIO routed by range.
class MmioBus final : public MmioHandler {
 public:
  /// Adds `device` for guest-physical [gpa, gpa + size). The device gets the absolute address
  /// of each access that starts in its range (as IoBus gives ports), also one that runs past the
  /// range's end; it must outlive the bus. Overlaps, an empty range and one past the top of the
  /// 64-bit space are refused, with `name` and the device already there in the error, and change
  /// nothing. Only before the bus is used from more than one thread (address_ranges.hpp).
  [[nodiscard]] Result<void> add(uint64_t gpa, uint64_t size, MmioHandler& device,
                                 std::string_view name = "a device");

  uint64_t read(uint64_t gpa, uint8_t size) override;
  Next write(uint64_t gpa, uint8_t size, uint64_t value) override;

  /// Accesses no device claimed.
  [[nodiscard]] uint64_t unclaimed() const { return unclaimed_.load(std::memory_order_relaxed); }

 private:
  AddressRanges<MmioHandler> ranges_;
  std::atomic<uint64_t> unclaimed_{0};
};

}  // namespace rootstock::vmm
