// What each physical CPU owns in hv: its descriptor tables, stacks and SVM host state. Reached
// through GS (IA32_GS_BASE points at the CPU's PerCpu), so code never looks up its own index.
#pragma once

#include <stdint.h>

#include "arch/x86/descriptors.hpp"

namespace hv {

/// Most CPUs hv brings up (the MADT parser's capacity).
inline constexpr uint32_t kMaxCpus = 256;

/// One physical CPU's hv state.
struct PerCpu {
  PerCpu* self;    ///< at offset 0: this_cpu() reads it through GS
  uint32_t index;  ///< 0 = the boot CPU, then MADT order
  uint32_t apic_id;
  x86::Gdt gdt;
  x86::Tss64 tss;
  uint64_t stack_top;           ///< hv's stack on this CPU
  uint64_t emergency_top;       ///< IST1: #DF, NMI, #MC
  uint64_t host_save_pa;        ///< VM_HSAVE_PA page
  uint64_t host_vmcb_pa;        ///< VMSAVE/VMLOAD area for the host's FS/GS/TR state
  uint64_t firmware_apic_base;  ///< IA32_APIC_BASE as the firmware left it (its xAPIC page)
  volatile uint32_t online;     ///< set by the CPU itself once it runs hv's code
  volatile uint32_t svm_ready;
  volatile uint32_t selftest_done;
  uint32_t selftest_passed;
  uint32_t selftest_failed;
  // Cross-CPU TLB flushes and NMIs (cpu/tlb_shootdown.hpp).
  volatile uint32_t flush_request;  ///< set by the requesting CPU, cleared by this one's NMI
  uint32_t must_flush;              ///< flush every guest ASID before the next guest entry
  volatile uint32_t nmi_signalled;  ///< an NMI of hv's is on its way here; cleared by its handler
  volatile uint32_t root_nmi_request;  ///< the root sent this CPU an NMI through its ICR
  uint32_t nmi_for_root;               ///< an NMI that was the root's: inject it at its next entry
  uint32_t root_x2apic;    ///< the root has this CPU's APIC in x2APIC mode (hv sees every switch)
  uint64_t last_child_vp;  ///< uid of the child VP last entered here (its TLB entries)
  uint64_t hypercall_in;   ///< 4 KiB: hv's copy of a hypercall's input page
  uint64_t hypercall_out;  ///< 4 KiB: a hypercall's output before it is copied out
  uint64_t root_xsave;     ///< 4 KiB: the root's vector registers while a child runs
};

/// The calling CPU's PerCpu.
inline PerCpu& this_cpu() {
  PerCpu* p;
  asm volatile("movq %%gs:0, %0" : "=r"(p));
  return *p;
}

/// Loads this CPU's GDT, TSS and IDT and points GS at `cpu` (run once per CPU, on the CPU).
void install_per_cpu(PerCpu& cpu);

}  // namespace hv
