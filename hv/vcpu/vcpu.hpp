// The arch-neutral virtual CPU: enter the guest until it exits, read and change its state,
// inject events. SVM implements it today (arch/x86/svm/svm_vcpu.hpp), VMX later.
#pragma once

#include <stdint.h>

#include "vcpu/exit.hpp"

namespace hv {

/// A segment register in the packed attribute form both SVM and VMX derive from the
/// descriptor: attrib[7:0] = descriptor bits 47:40, attrib[11:8] = bits 55:52.
struct Segment {
  uint16_t selector = 0;
  uint16_t attrib = 0;
  uint32_t limit = 0;
  uint64_t base = 0;
};

/// A descriptor-table register (GDTR, IDTR).
struct DescriptorTable {
  uint64_t base = 0;
  uint16_t limit = 0;
};

/// The guest's architectural state apart from the general-purpose registers.
struct GuestState {
  Segment cs, ds, es, fs, gs, ss, tr, ldtr;
  DescriptorTable gdtr, idtr;
  uint64_t cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0, efer = 0;
  uint64_t rip = 0, rsp = 0, rflags = 0;
  uint64_t pat = 0;
};

/// One virtual CPU of a guest, bound to the physical CPU that runs it.
class Vcpu {
 public:
  /// Runs the guest until its next exit and returns it decoded.
  virtual VcpuExit run() = 0;

  virtual GuestState state() const = 0;
  virtual void set_state(const GuestState& state) = 0;
  virtual uint64_t rip() const = 0;
  virtual void set_rip(uint64_t rip) = 0;

  /// Queues an external interrupt for delivery at the next entry (the guest must accept it).
  virtual void inject_interrupt(uint8_t vector) = 0;
  /// Queues an exception for delivery at the next entry, with an error code when has_error.
  virtual void inject_exception(uint8_t vector, bool has_error, uint32_t error_code) = 0;

  GuestRegisters& regs() { return regs_; }

 protected:
  Vcpu() = default;
  ~Vcpu() = default;
  Vcpu(const Vcpu&) = delete;
  Vcpu& operator=(const Vcpu&) = delete;

  GuestRegisters regs_{};
};

}  // namespace hv
