// MSI-X for a PCI function (PCI Local Bus 3.0, 6.8.2): the capability's Message Control, the
// vector table and the Pending Bit Array in a memory BAR, and the function's side, signal(),
// which sends a vector's message through the machine's InterruptSink (for a LinuxVm hv's
// PARTITION_INTERRUPT) or, while the vector or the whole function is masked, marks it pending
// and sends it when the child unmasks (6.8.2.8, 6.8.3.4).
//
// The child writes the table: every address and data it writes is hostile. The sink checks the
// message (docs/hypercalls.md, PARTITION_INTERRUPT: an address outside FEEx_xxxxh, reserved
// bits, bad delivery modes are refused); a message with a non-zero upper address, which no x86
// interrupt has, is not sent at all. Either way the failure is counted and nothing else
// changes.
//
// Thread-safe: signal() comes from device threads, the table and Message Control accesses from
// vCPU threads under the function's board lock. The state is under the object's own mutex, a
// leaf apart from the sink's calls made under it (which keep a vector's messages in order).
#pragma once

#include <stdint.h>

#include <mutex>
#include <vector>

#include "vmm/interrupt_line.hpp"
#include "vmm/pci/config_space.hpp"

namespace rootstock::vmm::pci {

namespace msix {

/// The capability's layout (6.8.2): ID, next, Message Control, Table Offset/BIR, PBA
/// Offset/BIR.
inline constexpr uint8_t kCapabilityLength = 12;
inline constexpr uint16_t kMessageControl = 2;  ///< offset in the capability, 16 bits
inline constexpr uint16_t kTableOffset = 4;     ///< 32 bits: offset in the BAR | BIR
inline constexpr uint16_t kPbaOffset = 8;       ///< 32 bits: offset in the BAR | BIR

/// Message Control bits (6.8.2.3).
inline constexpr uint16_t kTableSizeMask = 0x07ff;  ///< N - 1, read-only
inline constexpr uint16_t kFunctionMask = 1u << 14;
inline constexpr uint16_t kEnable = 1u << 15;

/// A table entry (6.8.2.6-6.8.2.9): 16 bytes.
inline constexpr uint64_t kEntrySize = 16;
inline constexpr uint64_t kMessageAddress = 0;       ///< 32 bits (bits 1:0 zero)
inline constexpr uint64_t kMessageUpperAddress = 4;  ///< 32 bits
inline constexpr uint64_t kMessageData = 8;          ///< 32 bits
inline constexpr uint64_t kVectorControl = 12;       ///< 32 bits: bit 0 the mask
inline constexpr uint32_t kVectorMasked = 1u << 0;

/// At most 2048 vectors (the 11-bit table size).
inline constexpr uint32_t kMaxVectors = 2048;

}  // namespace msix

class MsixVectors {
 public:
  /// `count` vectors (1..kMaxVectors), all masked, MSI-X disabled, as after reset (6.8.2.3,
  /// 6.8.2.9); their messages go to `sink`, which outlives this.
  MsixVectors(uint16_t count, InterruptSink& sink);
  MsixVectors(const MsixVectors&) = delete;
  MsixVectors& operator=(const MsixVectors&) = delete;

  [[nodiscard]] uint16_t count() const { return static_cast<uint16_t>(entries_.size()); }
  /// The table's and the PBA's sizes in bytes (the PBA in whole QWORDs, 6.8.2.10).
  [[nodiscard]] uint64_t table_bytes() const { return entries_.size() * msix::kEntrySize; }
  [[nodiscard]] uint64_t pba_bytes() const;

  // ---- The child's side ----

  /// Message Control as read (table size, Function Mask, MSI-X Enable).
  [[nodiscard]] uint16_t message_control() const;
  /// A write of Message Control: Function Mask and MSI-X Enable; an unmasking sends what is
  /// pending.
  void write_message_control(uint16_t value);
  /// Accesses to the table and the PBA, at offsets from their starts. 6.8.2: software uses
  /// aligned DWORD or QWORD accesses; anything else reads 0 and is dropped. The PBA is
  /// read-only.
  [[nodiscard]] uint64_t read_table(uint64_t offset, uint8_t size) const;
  void write_table(uint64_t offset, uint8_t size, uint64_t value);
  [[nodiscard]] uint64_t read_pba(uint64_t offset, uint8_t size) const;

  // ---- The function's side ----

  /// Whether MSI-X is enabled (else the function would use INTx, 6.8.2.3).
  [[nodiscard]] bool enabled() const;
  /// Vector `vector`'s interrupt: sent, or pending while masked. False if MSI-X is disabled
  /// or there is no such vector (nothing happens).
  bool signal(uint16_t vector);
  /// Back to the state after reset: all vectors masked, none pending, MSI-X disabled.
  void reset();
  /// The function's Bus Master Enable (Command bit 2): a message is a memory write, which a
  /// function may not make while it is clear (PCI 3.0, 6.2.2). Meanwhile messages wait in the
  /// PBA as if masked, and go when it is set again. On until the function turns it off; not
  /// changed by reset() (the Command register is not MSI-X's).
  void set_bus_master(bool on);
  /// Messages the sink refused, or that could not be sent (a non-zero upper address).
  [[nodiscard]] uint64_t failed() const;

 private:
  struct Entry {
    uint32_t address = 0;
    uint32_t upper_address = 0;
    uint32_t data = 0;
    uint32_t control = msix::kVectorMasked;
    bool pending = false;
  };

  /// Under mutex_: sends `entry`'s message, counting a failure.
  void send_locked(const Entry& entry);
  /// Under mutex_: sends and clears what is pending and no longer masked.
  void flush_pending_locked();
  [[nodiscard]] bool masked_locked(const Entry& entry) const;

  InterruptSink* const sink_;
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;  // under mutex_; never resized
  uint16_t control_ = 0;        // Function Mask and Enable, under mutex_
  uint64_t failed_ = 0;         // under mutex_
  bool bus_master_ = true;      // under mutex_
};

}  // namespace rootstock::vmm::pci
