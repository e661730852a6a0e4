// A function's 256-byte configuration space as a register file (PCI Local Bus 3.0, 6.1-6.2):
// the bytes the child reads, and for each bit whether the child may write it. What a type 0
// header needs follows from that alone: read-only identity registers, the Command register's
// decode and bus-master bits, memory BARs whose address bits below their size read back as zero
// (so writing all ones and reading back gives the size, 6.2.5.1), storage registers for the
// OS (Interrupt Line, Cache Line Size), and a linked list of capabilities (6.7) whose bytes
// the function fills and opens for writing as each capability's rules say.
//
// A function keeps one and intercepts the registers with side effects (MSI-X's Message
// Control, virtio's PCI configuration access window) before handing the rest here.
#pragma once

#include <stdint.h>

#include <array>

#include "vmm/pci/config_space.hpp"
#include "vmm/pci/pci_function.hpp"

namespace rootstock::vmm::pci {

/// What identifies a function (PCI 3.0, 6.2.1).
struct Identity {
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  uint8_t revision_id = 0;
  uint32_t class_code = 0;  ///< base class << 16 | subclass << 8 | programming interface
  uint16_t subsystem_vendor_id = 0;
  uint16_t subsystem_id = 0;
};

class ConfigHeader {
 public:
  /// A type 0 header for `identity`: no BARs, no capabilities, no interrupt pin, decoding off.
  explicit ConfigHeader(const Identity& identity);

  // ---- The function's side ----

  /// BAR `index` (< kBarCount) as a 32-bit, non-prefetchable memory BAR of `size` bytes (a
  /// power of two from 16) at `base` (a multiple of `size`), as firmware would leave it.
  /// Returns false (nothing changed) for arguments out of range.
  [[nodiscard]] bool set_memory_bar(unsigned index, uint32_t size, uint32_t base);
  /// Appends a capability of `length` bytes (4 to 64, a multiple of 4) with `id` and links it
  /// into the list; returns its offset, or 0 if the space is full. Its bytes after the ID and
  /// next pointer are zero and read-only until set() and open_for_writes() say otherwise.
  [[nodiscard]] uint16_t add_capability(CapabilityId id, uint8_t length);
  /// Stores `size` bytes of `value` at `offset`, whatever the write masks say.
  void set(uint16_t offset, uint8_t size, uint32_t value);
  /// Lets the child write the bits of `mask` in the `size` bytes at `offset`.
  void open_for_writes(uint16_t offset, uint8_t size, uint32_t mask);

  // ---- The child's side ----

  /// `size` (1, 2, 4) bytes at `offset`, little-endian; bytes past the space read as 0.
  [[nodiscard]] uint32_t read(uint16_t offset, uint8_t size) const;
  /// Writes the child may make; other bits keep their value.
  void write(uint16_t offset, uint8_t size, uint32_t value);

  /// The Command register.
  [[nodiscard]] uint16_t command() const;
  /// Where the memory BARs decode now: each with an address and Memory Space set.
  [[nodiscard]] BarWindows bar_windows() const;

 private:
  std::array<uint8_t, kConfigSize> bytes_{};
  std::array<uint8_t, kConfigSize> writable_{};  // per bit: 1 the child may write it
  std::array<uint32_t, kBarCount> bar_sizes_{};  // 0: no BAR
  uint16_t last_capability_ = 0;                 // 0: none yet
  uint16_t next_capability_ = kFirstCapability;
};

}  // namespace rootstock::vmm::pci
