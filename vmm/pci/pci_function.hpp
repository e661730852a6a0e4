// One PCI function as the bus sees it (pci_bus.hpp): its configuration space, where its memory
// BARs decode now, and the accesses that land in them. A function is a model behind its board
// lock (locked_device.hpp); the bus calls it from vCPU threads and never holds the function's
// lock while it holds another function's.
#pragma once

#include <stdint.h>

#include <array>

#include "vmm/pci/config_space.hpp"

namespace rootstock::vmm::pci {

/// Where one memory BAR decodes: guest-physical [base, base + size); size 0 when it does not
/// (no such BAR, memory decoding off, or the BAR holding the sizing pattern).
struct BarWindow {
  uint64_t base = 0;
  uint64_t size = 0;
};

using BarWindows = std::array<BarWindow, kBarCount>;

class PciFunction {
 public:
  virtual ~PciFunction() = default;
  /// A configuration read of `size` (1, 2 or 4) bytes at `offset`, naturally aligned, inside
  /// the 256 bytes of kConfigSize.
  [[nodiscard]] virtual uint32_t config_read(uint16_t offset, uint8_t size) = 0;
  /// A configuration write, as config_read.
  virtual void config_write(uint16_t offset, uint8_t size, uint32_t value) = 0;
  /// Where the function's memory BARs decode now; the bus asks after every configuration write.
  [[nodiscard]] virtual BarWindows bar_windows() = 0;
  /// A load of `size` (1, 2, 4 or 8) bytes at `offset` inside memory BAR `bar`'s window.
  [[nodiscard]] virtual uint64_t bar_read(unsigned bar, uint64_t offset, uint8_t size) = 0;
  /// A store, as bar_read.
  virtual void bar_write(unsigned bar, uint64_t offset, uint8_t size, uint64_t value) = 0;
};

}  // namespace rootstock::vmm::pci
