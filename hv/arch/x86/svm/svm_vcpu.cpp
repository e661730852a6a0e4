#include "arch/x86/svm/svm_vcpu.hpp"

#include <stddef.h>

#include "arch/x86/msr.hpp"
#include "arch/x86/svm/exit_decode.hpp"
#include "vcpu/guest_registers_layout.h"

extern "C" void hv_svm_vmrun(uint64_t guest_vmcb_pa, hv::GuestRegisters* regs,
                             uint64_t host_vmcb_pa);

namespace hv::svm {

static_assert(offsetof(GuestRegisters, rax) == GR_RAX);
static_assert(offsetof(GuestRegisters, rsi) == GR_RSI);
static_assert(offsetof(GuestRegisters, rbp) == GR_RBP);
static_assert(offsetof(GuestRegisters, r8) == GR_R8);
static_assert(offsetof(GuestRegisters, r15) == GR_R15);

namespace {

constexpr uint64_t kNpEnable = 1ull << 0;
// Debug registers' values after reset (APM vol. 2, 13.1.1.5 and 13.1.1.6).
constexpr uint64_t kDr6Reset = 0xffff0ff0;
constexpr uint64_t kDr7Reset = 0x400;

VmcbSegment to_vmcb(const Segment& s) {
  return {s.selector, s.attrib, s.limit, s.base};
}
Segment from_vmcb(const VmcbSegment& s) {
  return {s.selector, s.attrib, s.limit, s.base};
}

}  // namespace

void SvmVcpu::init(const SvmVcpuConfig& c) {
  vmcb_ = c.vmcb;
  vmcb_pa_ = c.vmcb_pa;
  host_vmcb_pa_ = c.host_vmcb_pa;
  VmcbControl& ctl = vmcb_->control;
  // VMRUN must be intercepted or VMRUN fails its consistency checks (APM 15.5.1); hv always
  // wants VMMCALL (its hypercall), the SVM instructions (a guest must not use hv's SVM state)
  // and shutdown (a triple fault must not reset the machine). The caller adds the NMI intercept
  // (hv's flush and kick signal). INIT is not intercepted: none reaches a CPU that runs the
  // root, whose ICR hv traps and whose INIT and STARTUP it emulates (root/apic_startup.hpp).
  ctl.intercept3 =
      c.intercept3 | intercept3::kShutdown | intercept3::kIoioProt | intercept3::kMsrProt;
  ctl.intercept4 = c.intercept4 | intercept4::kVmrun | intercept4::kVmmcall | intercept4::kVmload |
                   intercept4::kVmsave | intercept4::kStgi | intercept4::kClgi |
                   intercept4::kSkinit;
  ctl.intercept_exceptions = c.intercept_exceptions;
  ctl.iopm_base_pa = c.iopm_pa;
  ctl.msrpm_base_pa = c.msrpm_pa;
  ctl.guest_asid = c.asid;
  // A new VMCB for this ASID: entries another guest left under the same ASID must go. Flush
  // the ASID alone where the CPU can; otherwise everything (APM 15.16.1).
  ctl.tlb_control = static_cast<uint8_t>(TlbControl::kFlushAll);
  ctl.np_control = kNpEnable;
  ctl.n_cr3 = c.nested_cr3;
  ctl.clean_bits = 0;  // hv does not track what it changed: the CPU reloads everything
}

VcpuExit SvmVcpu::run() {
  vmcb_->save.rax = regs_.rax;
  hv_svm_vmrun(vmcb_pa_, &regs_, host_vmcb_pa_);
  regs_.rax = vmcb_->save.rax;
  VmcbControl& ctl = vmcb_->control;
  ctl.tlb_control = static_cast<uint8_t>(TlbControl::kNothing);
  // An event whose delivery the exit interrupted (EXITINTINFO valid: an interrupt or exception
  // was being delivered when, say, a nested page fault hit the IDT or the stack) must be
  // delivered again at the next entry, or it is lost (AMD APM vol. 2, 15.7.2). EXITINTINFO has
  // EVENTINJ's layout. Otherwise what was injected has been delivered.
  ctl.event_inject = (ctl.exit_int_info & event_inj::kValid) != 0 ? ctl.exit_int_info : 0;
  return decode_exit({ctl.exit_code, ctl.exit_info1, ctl.exit_info2, ctl.exit_int_info});
}

GuestState SvmVcpu::state() const {
  const VmcbSave& s = vmcb_->save;
  GuestState g;
  g.cs = from_vmcb(s.cs);
  g.ds = from_vmcb(s.ds);
  g.es = from_vmcb(s.es);
  g.fs = from_vmcb(s.fs);
  g.gs = from_vmcb(s.gs);
  g.ss = from_vmcb(s.ss);
  g.tr = from_vmcb(s.tr);
  g.ldtr = from_vmcb(s.ldtr);
  g.gdtr = {s.gdtr.base, static_cast<uint16_t>(s.gdtr.limit)};
  g.idtr = {s.idtr.base, static_cast<uint16_t>(s.idtr.limit)};
  g.cr0 = s.cr0;
  g.cr2 = s.cr2;
  g.cr3 = s.cr3;
  g.cr4 = s.cr4;
  g.efer = s.efer;
  g.rip = s.rip;
  g.rsp = s.rsp;
  g.rflags = s.rflags;
  g.pat = s.g_pat;
  return g;
}

void SvmVcpu::set_state(const GuestState& g) {
  VmcbSave& s = vmcb_->save;
  s.cs = to_vmcb(g.cs);
  s.ds = to_vmcb(g.ds);
  s.es = to_vmcb(g.es);
  s.fs = to_vmcb(g.fs);
  s.gs = to_vmcb(g.gs);
  s.ss = to_vmcb(g.ss);
  s.tr = to_vmcb(g.tr);
  s.ldtr = to_vmcb(g.ldtr);
  s.gdtr = {0, 0, g.gdtr.limit, g.gdtr.base};
  s.idtr = {0, 0, g.idtr.limit, g.idtr.base};
  // CPL comes from SS.DPL (APM 15.5.1: the VMCB's CPL must be consistent with it).
  s.cpl = static_cast<uint8_t>((g.ss.attrib >> 5) & 3);
  s.cr0 = g.cr0;
  s.cr2 = g.cr2;
  s.cr3 = g.cr3;
  s.cr4 = g.cr4;
  // EFER.SVME must be set in the guest's EFER or VMRUN fails (APM 15.5.1).
  s.efer = g.efer | x86::efer::kSvme;
  s.rip = g.rip;
  s.rsp = g.rsp;
  s.rflags = g.rflags;
  s.g_pat = g.pat;
  s.dr6 = kDr6Reset;
  s.dr7 = kDr7Reset;
}

void SvmVcpu::inject_interrupt(uint8_t vector) {
  vmcb_->control.event_inject = event_inj::kValid | event_inj::kTypeExternal | vector;
}

void SvmVcpu::inject_exception(uint8_t vector, bool has_error, uint32_t error_code) {
  uint64_t ev = event_inj::kValid | event_inj::kTypeException | vector;
  if (has_error) {
    ev |= event_inj::kErrorValid | (static_cast<uint64_t>(error_code) << event_inj::kErrorShift);
  }
  vmcb_->control.event_inject = ev;
}

}  // namespace hv::svm
