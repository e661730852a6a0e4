// The SVM implementation of Vcpu: a VMCB, the guest's registers, and VMRUN.
#pragma once

#include <stdint.h>

#include "arch/x86/svm/vmcb.hpp"
#include "vcpu/vcpu.hpp"

namespace hv::svm {

/// Where a VP's VMCB lives and what it runs under.
struct SvmVcpuConfig {
  Vmcb* vmcb = nullptr;  ///< a zeroed, 4 KiB-aligned page hv owns
  uint64_t vmcb_pa = 0;
  uint64_t host_vmcb_pa = 0;  ///< this CPU's host VMCB for VMSAVE/VMLOAD of host state
  uint64_t iopm_pa = 0;       ///< 12 KiB I/O permission map (APM 15.10.1)
  uint64_t msrpm_pa = 0;      ///< 8 KiB MSR permission map (APM 15.11)
  uint64_t nested_cr3 = 0;    ///< root of the nested page tables
  uint32_t asid = 1;          ///< never 0: ASID 0 is the host's (APM 15.16)
  uint32_t intercept3 = 0;    ///< extra intercepts (vector 3) beyond hv's mandatory ones
  uint32_t intercept4 = 0;    ///< extra intercepts (vector 4)
  uint32_t intercept_exceptions = 0;
};

/// A virtual CPU on SVM.
class SvmVcpu final : public Vcpu {
 public:
  SvmVcpu() = default;
  ~SvmVcpu() = default;

  /// Prepares the VMCB: intercepts, maps, nested paging, ASID; the guest state is set
  /// separately with set_state(). The first run flushes the ASID's TLB entries.
  void init(const SvmVcpuConfig& config);

  VcpuExit run() override;
  GuestState state() const override;
  void set_state(const GuestState& state) override;
  uint64_t rip() const override { return vmcb_->save.rip; }
  void set_rip(uint64_t rip) override { vmcb_->save.rip = rip; }
  void inject_interrupt(uint8_t vector) override;
  void inject_exception(uint8_t vector, bool has_error, uint32_t error_code) override;

  Vmcb& vmcb() { return *vmcb_; }

 private:
  Vmcb* vmcb_ = nullptr;
  uint64_t vmcb_pa_ = 0;
  uint64_t host_vmcb_pa_ = 0;
};

}  // namespace hv::svm
