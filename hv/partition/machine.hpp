// What the partition code needs from the machine around it, as one seam: hv implements it with
// its identity map, the root's nested page tables and cross-CPU TLB flushes
// (root/root_machine.cpp); host tests with a buffer and counters.
#pragma once

#include <stdint.h>

namespace hv {

/// The machine under the partition code.
class Machine {
 public:
  /// Where hv reads and writes the RAM frame at physical address `pa` (any owner).
  virtual void* frame(uint64_t pa) = 0;
  /// Takes the frame at `pa` out of the root's nested page tables (a deposit). False when hv's
  /// own memory for the root's tables ran out; then nothing changed.
  virtual bool hide_from_root(uint64_t pa) = 0;
  /// Puts a frame hidden by hide_from_root() back.
  virtual bool show_to_root(uint64_t pa) = 0;
  /// Every CPU drops cached translations of every guest (root and children) before it enters
  /// a guest again; returns when no CPU can still use one made before the call.
  virtual void flush_guest_tlbs() = 0;
  /// Makes the guest running on CPU `cpu` (hv's CPU index) leave it and return to hv, which
  /// then looks at its pending interrupts again. Does not wait.
  virtual void kick_cpu(uint32_t cpu) = 0;

 protected:
  Machine() = default;
  ~Machine() = default;
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;
};

}  // namespace hv
