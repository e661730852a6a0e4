// A device's interrupt output as the machine wires it: the device sets the level of its output
// pin and knows nothing of how the interrupt reaches the child; the line, made by the board for
// one GSI with the trigger mode the child's MADT gives that GSI (ACPI 6.5, 5.2.12.5 "Interrupt
// Source Override"), turns levels into what the interrupt controller takes, and a sink (for a
// LinuxVm: hv's PARTITION_INTERRUPT, docs/hypercalls.md) delivers it.
//
//   edge   a rising level is one edge (the I/O APIC latches it); a falling level sends
//          nothing. A device that wants a second edge while high lowers and raises again,
//          as the 16550 does on a THR write (devices/uart16550.hpp).
//   level  every change is sent (asserted or not); the controller redelivers while asserted.
//
// Setting the level it already has sends nothing either way. Thread-safe: the level and the
// sends are under the line's own mutex, so the sink sees changes in the order they were made.
#pragma once

#include <stdint.h>

#include <mutex>

#include "vmm/error.hpp"

namespace rootstock::vmm {

/// How the interrupt controller samples a line.
enum class Trigger : uint8_t { kEdge, kLevel };

/// "edge" or "level".
[[nodiscard]] const char* describe(Trigger trigger);

/// Where a machine's lines deliver (the owner's side: a LinuxVm's is hv's interrupt path).
class InterruptSink {
 public:
  virtual ~InterruptSink() = default;
  /// One edge (rising then falling) on `gsi`.
  [[nodiscard]] virtual Result<void> edge(uint32_t gsi) = 0;
  /// `gsi`'s line asserted or not.
  [[nodiscard]] virtual Result<void> level(uint32_t gsi, bool asserted) = 0;
  /// A message signalled interrupt: `data` written to `address` (Intel SDM vol. 3A, 11.11), as
  /// a PCI function's MSI-X does (msix.hpp). A machine without a path for them refuses.
  [[nodiscard]] virtual Result<void> msi(uint32_t address, uint32_t data);
};

/// One device's output pin on one GSI.
class InterruptLine {
 public:
  /// Low until set; `sink` must outlive the line.
  InterruptLine(uint32_t gsi, Trigger trigger, InterruptSink& sink)
      : gsi_(gsi), trigger_(trigger), sink_(&sink) {}
  InterruptLine(const InterruptLine&) = delete;
  InterruptLine& operator=(const InterruptLine&) = delete;

  /// The device's output is now `level` (true: requesting an interrupt).
  void set(bool level);
  void raise() { set(true); }
  void lower() { set(false); }

  [[nodiscard]] uint32_t gsi() const { return gsi_; }
  [[nodiscard]] Trigger trigger() const { return trigger_; }
  /// The level last set.
  [[nodiscard]] bool level() const;
  /// Sends the sink refused (the level is kept: it is the device's, whatever the sink did).
  [[nodiscard]] uint64_t failed() const;

 private:
  const uint32_t gsi_;
  const Trigger trigger_;
  InterruptSink* const sink_;
  mutable std::mutex mutex_;
  bool level_ = false;
  uint64_t failed_ = 0;
};

}  // namespace rootstock::vmm
