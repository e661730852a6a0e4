#include "root/child_run.hpp"

#include "partition/child_interrupts.hpp"
#include "root/child_msr_policy.hpp"
#include "root/child_run_state.hpp"

#include "arch/x86/child_context.hpp"
#include "arch/x86/msr.hpp"
#include "arch/x86/safe_msr.hpp"
#include "arch/x86/svm/exit_decode.hpp"
#include "arch/x86/svm/svm_child.hpp"
#include "arch/x86/svm/vmcb.hpp"
#include "arch/x86/xsave.hpp"
#include "cpu/per_cpu.hpp"
#include "cpu/tlb_shootdown.hpp"
#include "root/guest_memory.hpp"
#include "root/hypercalls.hpp"
#include "root/root_exits.hpp"

extern "C" void hv_svm_vmrun(uint64_t guest_vmcb_pa, hv::GuestRegisters* regs,
                             uint64_t host_vmcb_pa);

namespace hv::root {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kLenCpuid = 2, kLenHlt = 1, kLenVmmcall = 3;
// PAUSE is F3 90. Skipped, as KVM does: it only hints, and the VP should not exit on it again
// when it comes back (a prefixed PAUSE skipped by 2 lands on its own tail, a PAUSE or a NOP).
constexpr uint64_t kLenPause = 2;
constexpr uint8_t kVectorGp = 13;
constexpr uint64_t kLow32 = 0xffffffffull;
// What a child sees at the hypervisor leaves: hv's signature and "no hypercalls" (version 0);
// hypercalls are the root's alone (docs/hypercalls.md §2).
constexpr uint32_t kChildMaxHypervisorLeaf = RS_CPUID_LEAF_ABI;
constexpr uint32_t kLeafFeatures = 0x1, kLeafTopology = 0xb, kLeafTopologyV2 = 0x1f,
                   kLeafExtendedApicId = 0x8000001e;
// IA32_TSC_AUX, IA32_SPEC_CTRL and IA32_PRED_CMD: the child's own (arch/x86/child_context.hpp).
// RDTSCP and RDPID stay hidden from it (CPUID 80000001h EDX bit 27, 07h ECX bit 22) as before,
// but a child that runs them anyway reads its own TSC_AUX.
constexpr uint32_t kMsrTscAux = static_cast<uint32_t>(x86::Msr::kTscAux);
constexpr uint32_t kMsrSpecCtrl = static_cast<uint32_t>(x86::Msr::kSpecCtrl);
constexpr uint32_t kMsrPredCmd = static_cast<uint32_t>(x86::Msr::kPredCmd);
constexpr uint64_t kPredCmdIbpb = 1;
// Protection keys and CET reach state VMRUN does not switch (PKRU, the shadow-stack MSRs): a
// child has neither (CPUID 07h ECX bits 3 PKU, 4 OSPKE, 7 CET_SS; EDX bit 20 CET_IBT) and may
// not set CR4.PKE or CR4.CET (arch/x86/cr4.hpp).
constexpr uint32_t kStructEcxPku = 1u << 3, kStructEcxOspke = 1u << 4, kStructEcxCetSs = 1u << 7;
constexpr uint32_t kStructEdxCetIbt = 1u << 20;
constexpr uint32_t kLeafStructuredExt = 0x7, kLeafExtFeatures = 0x80000001;
constexpr uint32_t kExtEdxRdtscp = 1u << 27, kStructEcxRdpid = 1u << 22;
// A child has no PMU (root/child_msr_policy.hpp): the performance counter extensions are hidden,
// as KVM hides them from a guest without one (AMD APM vol. 3, E.4.2: Fn8000_0001 ECX bits 23
// PerfCtrExtCore, 24 PerfCtrExtNB, 28 PerfCtrExtLLC; E.4.23: Fn8000_0022 PerfMonV2 and its
// counter counts).
constexpr uint32_t kExtEcxPerfCtrExt = (1u << 23) | (1u << 24) | (1u << 28);
constexpr uint32_t kLeafExtPerfMon = 0x80000022;
// CPUID 01h and 06h bits of the child's interrupt controller (SDM vol. 2A, CPUID).
constexpr uint32_t kFeatEcxX2apic = 1u << 21, kFeatEcxTscDeadline = 1u << 24,
                   kFeatEdxApic = 1u << 9;
constexpr uint32_t kLeafPower = 0x6, kPowerEaxArat = 1u << 2;
// XSAVE (SDM vol. 2A, CPUID 01h ECX bits 26-27 and leaf 0Dh): the child's own XCR0 and save
// area size; XSAVES is hidden (its IA32_XSS is not emulated).
constexpr uint32_t kFeatEcxXsave = 1u << 26, kFeatEcxOsxsave = 1u << 27;
constexpr uint32_t kLeafXsave = 0xd, kXsaveEaxXsaves = 1u << 3;
constexpr uint64_t kCr4Osxsave = 1ull << 18;
constexpr uint64_t kLenXsetbv = 3;

GuestState child_state(const svm::VmcbSave& s) {
  GuestState g;
  g.cs = {s.cs.selector, s.cs.attrib, s.cs.limit, s.cs.base};
  g.cr0 = s.cr0;
  g.cr3 = s.cr3;
  g.cr4 = s.cr4;
  g.efer = s.efer;
  g.rip = s.rip;
  return g;
}

}  // namespace

uint8_t fetch_instruction(const Run& r, uint8_t (&bytes)[16]) {
  const svm::VmcbSave& s = r.vmcb.save;
  // Through the partitions' lock: another CPU may be unmapping the page at the same time.
  const PhysicalReader reader{[](void* context, uint64_t gpa, void* out, size_t len) {
                                const auto* run = static_cast<const Run*>(context);
                                return partitions().read_child(run->ticket, gpa, out, len);
                              },
                              const_cast<Run*>(&r)};
  const uint64_t linear = s.cs.base + s.rip;
  const GuestState g = child_state(s);
  if (read_guest_virtual(g, linear, bytes, 15, reader)) return 15;
  const auto rest = static_cast<size_t>(kPage - (linear & (kPage - 1)));
  if (rest < 15 && read_guest_virtual(g, linear, bytes, rest, reader)) {
    return static_cast<uint8_t>(rest);
  }
  return 0;
}

void skip_instruction(Run& r, uint64_t length) {
  r.vmcb.save.rip += length;
  r.vmcb.control.int_state &= ~svm::kInterruptShadow;
}

void inject_gp(Run& r) {
  r.vmcb.control.event_inject = svm::event_inj::kValid | svm::event_inj::kTypeException |
                                svm::event_inj::kErrorValid | kVectorGp;
}

namespace {

// CPUID leaf 0Dh for the child's XCR0 (SDM vol. 1, 13.2): the states it may enable, the area
// size for what it enabled, no supervisor states.
void adjust_xsave_leaf(const Run& r, uint32_t subleaf, x86::CpuidResult& c) {
  const x86::XsaveFeatures& fx = x86::xsave_features();
  if (!fx.xsave) {
    c = {0, 0, 0, 0};
  } else if (subleaf == 0) {
    c.eax = static_cast<uint32_t>(fx.child_mask);
    c.edx = static_cast<uint32_t>(fx.child_mask >> 32);
    c.ebx = x86::xsave_size(r.ticket.vp->xcr0);
    c.ecx = fx.child_max_bytes;
  } else if (subleaf == 1) {
    c.eax &= ~kXsaveEaxXsaves;
    c.ebx = x86::xsave_size(r.ticket.vp->xcr0);
    c.ecx = 0;
    c.edx = 0;
  } else if (subleaf >= 64 || (fx.child_mask & (1ull << subleaf)) == 0) {
    c = {0, 0, 0, 0};
  }
}

// XSETBV (SDM vol. 2C): XCR0 only, at CPL 0, a combination the CPU and hv allow; else #GP.
// The child's XCR0 is on the CPU while it runs, so the new value goes there at once.
void handle_xsetbv(Run& r) {
  svm::VmcbSave& s = r.vmcb.save;
  GuestRegisters& g = r.ticket.vp->regs;
  const uint64_t value = (g.rdx << 32) | (s.rax & kLow32);
  if (s.cpl != 0 || (g.rcx & kLow32) != 0 ||
      !x86::valid_child_xcr0(value, x86::xsave_features().child_mask)) {
    inject_gp(r);
    return;
  }
  r.ticket.vp->xcr0 = value;
  x86::write_xcr0(value);
  skip_instruction(r, kLenXsetbv);
}

void handle_cpuid(Run& r) {
  svm::VmcbSave& s = r.vmcb.save;
  GuestRegisters& g = r.ticket.vp->regs;
  const auto leaf = static_cast<uint32_t>(s.rax);
  x86::CpuidResult c{};
  if (leaf == RS_CPUID_LEAF_SIGNATURE) {
    c = {kChildMaxHypervisorLeaf, RS_CPUID_SIGNATURE_EBX, RS_CPUID_SIGNATURE_ECX,
         RS_CPUID_SIGNATURE_EDX};
  } else if (leaf >= RS_CPUID_LEAF_ABI && leaf <= 0x400000ff) {
    c = {0, 0, 0, 0};
  } else {
    const auto subleaf = static_cast<uint32_t>(g.rcx);
    c = guest_cpuid(leaf, subleaf);
    // The VP's own APIC ID where the CPU reports the running CPU's (Intel SDM vol. 2A CPUID
    // leaves 01h EBX[31:24], 0Bh/1Fh EDX; AMD APM vol. 3, Fn8000_001E EAX): a child must see
    // its VP index there, not the physical CPU its thread happens to run on.
    const auto apic_id = static_cast<uint32_t>(r.ticket.vp - r.ticket.partition->vps);
    switch (leaf) {
      case kLeafFeatures: {
        c.ebx = (c.ebx & 0x00ffffffu) | (apic_id << 24);
        // XSAVE as hv offers it, OSXSAVE as the child's CR4 has it (hv's own CR4 answered here).
        const x86::XsaveFeatures& fx = x86::xsave_features();
        c.ecx &= ~(kFeatEcxXsave | kFeatEcxOsxsave);
        if (fx.xsave) c.ecx |= kFeatEcxXsave;
        if (fx.xsave && (s.cr4 & kCr4Osxsave) != 0) c.ecx |= kFeatEcxOsxsave;
        // hv's LAPIC (hv/vlapic): x2APIC and the TSC-deadline timer are always there; the APIC
        // bit follows IA32_APIC_BASE.EN (SDM vol. 2A, CPUID 01h EDX bit 9).
        c.ecx |= kFeatEcxX2apic | kFeatEcxTscDeadline;
        const ChildVp& vp = *r.ticket.vp;
        c.edx =
            vp.lapic.mode() == LapicMode::kDisabled ? c.edx & ~kFeatEdxApic : c.edx | kFeatEdxApic;
        break;
      }
      case kLeafPower:
        // The LAPIC timer keeps running in every C-state the child can enter (ARAT): it is hv's.
        c.eax |= kPowerEaxArat;
        break;
      case kLeafStructuredExt:
        if (g.rcx == 0) {
          c.ecx &= ~(kStructEcxRdpid | kStructEcxPku | kStructEcxOspke | kStructEcxCetSs);
          c.edx &= ~kStructEdxCetIbt;
        }
        break;
      case kLeafTopology:
      case kLeafTopologyV2:
        c.edx = apic_id;
        break;
      case kLeafXsave:
        adjust_xsave_leaf(r, subleaf, c);
        break;
      case kLeafExtFeatures:
        c.edx &= ~kExtEdxRdtscp;
        c.ecx &= ~kExtEcxPerfCtrExt;
        break;
      case kLeafExtPerfMon:
        c = {0, 0, 0, 0};
        break;
      case kLeafExtendedApicId:
        c.eax = apic_id;
        break;
      default:
        break;
    }
  }
  s.rax = c.eax;
  g.rbx = c.ebx;
  g.rcx = c.ecx;
  g.rdx = c.edx;
  skip_instruction(r, kLenCpuid);
}

// The ABI register an MSR is (docs/hypercalls.md §8), or 0 when hv does not emulate it.
uint32_t msr_register(uint32_t msr) {
  switch (msr) {
    case 0xc0000080:
      return RS_REG_EFER;
    case 0xc0000081:
      return RS_REG_STAR;
    case 0xc0000082:
      return RS_REG_LSTAR;
    case 0xc0000083:
      return RS_REG_CSTAR;
    case 0xc0000084:
      return RS_REG_SFMASK;
    case 0xc0000102:
      return RS_REG_KERNEL_GS_BASE;
    case 0x174:
      return RS_REG_SYSENTER_CS;
    case 0x175:
      return RS_REG_SYSENTER_ESP;
    case 0x176:
      return RS_REG_SYSENTER_EIP;
    case 0x277:
      return RS_REG_PAT;
    case 0x10:
      return RS_REG_TSC;
    case 0xc0000100:
      return RS_REG_FS;
    case 0xc0000101:
      return RS_REG_GS;
    default:
      return 0;
  }
}

// The MSRs of the child's context (arch/x86/child_context.hpp). While the loop runs, the CPU
// holds the child's TSC_AUX; SPEC_CTRL is the child's only inside VMRUN. False: #GP, as the
// CPU gives for reserved bits (Intel SDM vol. 4) and for reading the write-only PRED_CMD.
bool handle_context_msr(Run& r, uint32_t msr, bool write) {
  svm::VmcbSave& s = r.vmcb.save;
  GuestRegisters& g = r.ticket.vp->regs;
  x86::ChildContext& ctx = r.ticket.vp->context;
  const x86::ChildContextFeatures& f = x86::child_context_features();
  const uint64_t value = (g.rdx << 32) | (s.rax & kLow32);
  uint64_t out = 0;
  if (msr == kMsrTscAux) {
    if (write && (value >> 32) != 0) return false;
    if (write) {
      ctx.tsc_aux = value;
      x86::wrmsr(x86::Msr::kTscAux, value);
    }
    out = ctx.tsc_aux;
  } else if (msr == kMsrSpecCtrl) {
    if (!f.spec_ctrl || (write && (value & ~f.spec_ctrl_bits) != 0)) return false;
    if (write) ctx.spec_ctrl = value;
    out = ctx.spec_ctrl;
  } else {
    if (!f.ibpb || !write || (value & ~kPredCmdIbpb) != 0) return false;
    if (value != 0) x86::prediction_barrier();
  }
  if (!write) {
    s.rax = out & kLow32;
    g.rdx = out >> 32;
  }
  return true;
}

// RDMSR/WRMSR: the LAPIC's, the child's context, the stateless answers of
// root/child_msr_policy.hpp, then the registers the VMCB holds; any other MSR raises #GP.
void handle_msr(Run& r, VpArch& arch, bool write) {
  svm::VmcbSave& s = r.vmcb.save;
  GuestRegisters& g = r.ticket.vp->regs;
  const auto msr = static_cast<uint32_t>(g.rcx);
  if (VirtualLapic::owns_msr(msr)) {
    handle_lapic_msr(r, msr, write);
    return;
  }
  if (msr == kMsrTscAux || msr == kMsrSpecCtrl || msr == kMsrPredCmd) {
    if (!handle_context_msr(r, msr, write)) {
      inject_gp(r);
      return;
    }
    skip_instruction(r, kLenMsr);
    return;
  }
  child_msr::HostFacts host;
  if (child_msr::needs_host_facts(msr) && !x86::safe_rdmsr(child_msr::kAmdDeCfg, host.de_cfg)) {
    host.de_cfg = 0;
  }
  const child_msr::Answer answer =
      child_msr::judge(msr, write, (g.rdx << 32) | (s.rax & kLow32), host);
  switch (answer.action) {
    case child_msr::Action::kNotHere:
      break;
    case child_msr::Action::kFault:
      inject_gp(r);
      return;
    case child_msr::Action::kRead:
      s.rax = answer.value & kLow32;
      g.rdx = answer.value >> 32;
      skip_instruction(r, kLenMsr);
      return;
    case child_msr::Action::kDrop:
      skip_instruction(r, kLenMsr);
      return;
  }
  const uint32_t name = msr_register(msr);
  bool ok = name != 0;
  if (ok) {
    rs_hc_register_value v{};
    ok = arch.get_register(&r.vmcb, g, name, v) == RS_STATUS_SUCCESS;
    const bool segment = name == RS_REG_FS || name == RS_REG_GS;
    if (ok && !write) {
      const uint64_t value = segment ? v.segment.base : v.scalar.value;
      s.rax = value & kLow32;
      g.rdx = value >> 32;
    } else if (ok) {
      const uint64_t value = (g.rdx << 32) | (s.rax & kLow32);
      if (segment) {
        v.segment.base = value;
      } else {
        v.scalar.value = value;
      }
      ok = arch.check_register(name, v) == RS_STATUS_SUCCESS;
      if (ok) arch.set_register(&r.vmcb, g, name, v);
    }
  }
  if (!ok) {
    inject_gp(r);
    return;
  }
  skip_instruction(r, kLenMsr);
}

void report_hardware(Run& r, uint32_t reason) {
  rs_run_page& page = *r.ticket.run_page;
  rs_exit_hardware& h = page.exit.hardware;
  h = rs_exit_hardware{};
  h.arch = RS_ARCH_SVM;
  h.code = r.vmcb.control.exit_code;
  h.info1 = r.vmcb.control.exit_info1;
  h.info2 = r.vmcb.control.exit_info2;
  h.instruction_byte_count = fetch_instruction(r, h.instruction_bytes);
  r.exit.reason = reason;
}

void report_io(Run& r, const IoAccess& io) {
  if (io.string || io.rep) {
    report_hardware(r, RS_EXIT_UNSUPPORTED);  // 1.0: no string I/O exits (§7)
    return;
  }
  rs_exit_io& out = r.ticket.run_page->exit.io;
  out = rs_exit_io{};
  out.port = io.port;
  out.size = io.size;
  out.direction = io.in ? RS_IO_IN : RS_IO_OUT;
  const uint64_t mask = io.size == 4 ? 0xffffffffull : io.size == 2 ? 0xffffull : 0xffull;
  if (!io.in) out.data = r.vmcb.save.rax & mask;
  r.exit.reason = RS_EXIT_IO;
  r.exit.instruction_length = static_cast<uint8_t>(io.next_rip - r.vmcb.save.rip);
  r.exit.io_in = io.in;
  r.exit.io_size = io.size;
}

// Returns how many instruction bytes hv could fetch at the child's RIP.
uint8_t report_memory(Run& r, const NestedFault& f) {
  rs_exit_memory& m = r.ticket.run_page->exit.memory;
  m = rs_exit_memory{};
  m.gpa = f.gpa;
  m.access = f.execute ? RS_ACCESS_EXECUTE : f.write ? RS_ACCESS_WRITE : RS_ACCESS_READ;
  m.flags = f.present ? RS_MEMORY_MAPPED : 0;
  const uint8_t fetched = fetch_instruction(r, m.instruction_bytes);
  m.instruction_byte_count = fetched;
  r.exit.reason = RS_EXIT_MEMORY;
  return fetched;
}

// The RS_STAT_* an exit counts under; RS_STAT_COUNT for a nested page fault, counted where it
// is handled (the interrupt controller's pages in child_interrupt_exits.cpp, the root's below).
uint32_t stat_of(const VcpuExit& e, const Run& r) {
  switch (e.kind) {
    case ExitKind::kCpuid:
      return RS_STAT_CPUID;
    case ExitKind::kMsrRead:
    case ExitKind::kMsrWrite:
      return VirtualLapic::owns_msr(static_cast<uint32_t>(r.ticket.vp->regs.rcx))
                 ? RS_STAT_LAPIC_MSR
                 : RS_STAT_MSR;
    case ExitKind::kHlt:
      return RS_STAT_HLT;
    case ExitKind::kPause:
      return RS_STAT_PAUSE;
    case ExitKind::kInterruptWindow:
      return RS_STAT_WINDOW;
    case ExitKind::kExternalInterrupt:
      return RS_STAT_INTERRUPT;
    case ExitKind::kNmi:
      return RS_STAT_NMI;
    case ExitKind::kIo:
      return RS_STAT_IO;
    case ExitKind::kNestedPageFault:
      return RS_STAT_COUNT;
    default:
      return static_cast<svm::ExitCode>(e.raw_code) == svm::ExitCode::kXsetbv ? RS_STAT_XSETBV
                                                                              : RS_STAT_OTHER;
  }
}

}  // namespace

uint16_t run_child_vp(void* context, const RunTicket& ticket, LastExit& exit) {
  Run r{*static_cast<PerCpu*>(context), ticket, *static_cast<svm::Vmcb*>(ticket.state), exit};
  svm::VmcbControl& c = r.vmcb.control;
  VpArch& arch = child_arch();
  rs_run_page& page = *ticket.run_page;
  exit = LastExit{};
  page.halt_state = RS_HALT_DISABLED;
  // The vector registers and XCR0 become the child's until the loop ends; nothing in hv uses
  // them (it is built without SSE).
  const x86::XsaveFeatures& fx = x86::xsave_init();
  const uint64_t root_xcr0 = fx.xsave ? x86::read_xcr0() : 0;
  auto* root_area = reinterpret_cast<void*>(r.cpu.root_xsave);
  auto* child_area = reinterpret_cast<void*>(ticket.vp->xsave_pa);
  x86::save_state(root_area, root_xcr0 & fx.fits_mask);
  if (fx.xsave) x86::write_xcr0(ticket.vp->xcr0);
  x86::restore_state(child_area, ticket.vp->xcr0);
  x86::RootContext root_context;
  x86::load_child_context(ticket.vp->context, root_context);
  enter_guest_loop(r);
  for (;;) {
    // The root's NMI, or an INIT the root sent this CPU: the root first.
    if (r.cpu.nmi_for_root != 0 || root_init_pending(r.cpu)) break;
    // GIF stays clear from here to the entry: a kick for an interrupt routed to this VP after
    // prepare_entry() looked is held and makes the entry exit at once (APM vol. 2, 15.17).
    asm volatile("clgi" ::: "memory");
    const EntryDecision decision = prepare_entry(r);
    if (decision != EntryDecision::kEnter) {
      asm volatile("stgi" ::: "memory");
      if (decision == EntryDecision::kWaitForSipi) exit.reason = RS_EXIT_HALT;
      break;
    }
    // Every child shares one ASID, so this CPU's child TLB entries are this VP's only if it
    // was the last VP entered here (VPs are told apart by a uid never reused, not by their
    // VMCB, whose frame a later VP may get) and it has not run on another CPU since: the
    // child's own INVLPGs and CR3 writes there did not reach this CPU's TLB (KVM flushes on
    // a vCPU's move between CPUs for the same reason). Otherwise, or after a flush request,
    // the entry starts from an empty TLB.
    if (take_flush(r.cpu) || r.cpu.last_child_vp != ticket.vp->uid ||
        ticket.vp->tlb_cpu != r.cpu.index) {
      c.tlb_control = static_cast<uint8_t>(svm::TlbControl::kFlushAll);
      // Another VP's branch predictions must not steer this one (KVM: IBPB when a CPU loads
      // another vCPU's VMCB).
      if (r.cpu.last_child_vp != ticket.vp->uid) x86::prediction_barrier();
      r.cpu.last_child_vp = ticket.vp->uid;
      ticket.vp->tlb_cpu = r.cpu.index;
    }
    x86::enter_spec_ctrl(ticket.vp->context, root_context);
    hv_svm_vmrun(ticket.vp->state_pa, &ticket.vp->regs, r.cpu.host_vmcb_pa);
    x86::leave_spec_ctrl(ticket.vp->context, root_context);
    c.tlb_control = static_cast<uint8_t>(svm::TlbControl::kNothing);
    c.clean_bits = 0;
    after_exit(r);
    const VcpuExit e = svm::decode_exit({c.exit_code, c.exit_info1, c.exit_info2, c.exit_int_info});
    if (const uint32_t stat = stat_of(e, r); stat < RS_STAT_COUNT) ++r.stats[stat];
    switch (e.kind) {
      case ExitKind::kNmi:
        if (r.cpu.nmi_for_root != 0 || root_init_pending(r.cpu)) break;
        continue;  // a kick (or a TLB flush request): look at the VP's interrupts again
      case ExitKind::kInterruptWindow:
        continue;  // prepare_entry() injects what the window was for
      case ExitKind::kExternalInterrupt:
      case ExitKind::kInit:
        break;  // the root takes it natively as soon as it runs again
      case ExitKind::kCpuid:
        handle_cpuid(r);
        continue;
      case ExitKind::kMsrRead:
      case ExitKind::kMsrWrite:
        handle_msr(r, arch, e.kind == ExitKind::kMsrWrite);
        if (r.wake != 0) break;  // an IPI reached a VP the root must wake
        continue;
      case ExitKind::kHlt:
        skip_instruction(r, kLenHlt);  // "RIP is already past the HLT" (§7)
        if (halt_continues(r)) continue;
        exit.reason = RS_EXIT_HALT;
        break;
      case ExitKind::kIo:
        report_io(r, e.io);
        break;
      case ExitKind::kPause:
        // A spinning VP (pause_filter.hpp): back to the root, which may run the sibling it
        // waits for before it calls VP_RUN again. Nothing to complete.
        skip_instruction(r, kLenPause);
        r.spun = true;
        break;
      case ExitKind::kNestedPageFault: {
        if (handle_interrupt_mmio(r, e.npf.gpa)) {
          if (r.wake != 0) break;
          continue;
        }
        if (ring_doorbell(r, e.npf)) break;
        ++r.stats[RS_STAT_MEMORY];
        const uint8_t fetched = report_memory(r, e.npf);
        // A data access whose instruction hv cannot fetch (another VP changed the child's page
        // tables since): the VMM could not complete it either; the child runs it again. An
        // instruction fetch from there goes to the VMM as it is.
        if (!e.npf.execute && fetched == 0) {
          exit.reason = RS_EXIT_NONE;
          continue;
        }
        break;
      }
      case ExitKind::kShutdown:
        exit.reason = RS_EXIT_SHUTDOWN;
        break;
      case ExitKind::kHypercall:
        exit.reason = RS_EXIT_HYPERCALL;
        exit.instruction_length = kLenVmmcall;
        break;
      case ExitKind::kInvalidState:
        report_hardware(r, RS_EXIT_INVALID_STATE);
        break;
      default: {
        // Exits the decoder has no kind for, by their SVM code (APM vol. 2, appendix C).
        const auto code = static_cast<svm::ExitCode>(e.raw_code);
        if (code == svm::ExitCode::kXsetbv) {
          handle_xsetbv(r);
          continue;
        }
        if (code == svm::ExitCode::kIret) {
          end_nmi_blocking(r);
          continue;
        }
        if (code == svm::ExitCode::kCr4Write) {
          handle_cr4_write(r);
          continue;
        }
        if (code == svm::ExitCode::kRdpmc) {
          handle_rdpmc(r);
          continue;
        }
        if (handle_svm_instruction(r, e.raw_code)) continue;
        if (code == svm::ExitCode::kSmi) break;
        report_hardware(r, RS_EXIT_UNSUPPORTED);
        break;
      }
    }
    break;
  }
  leave_guest_loop(r);
  x86::restore_root_context(ticket.vp->context, root_context);
  for (uint32_t i = 0; i < RS_STAT_COUNT; ++i) page.exit_stats[i] += r.stats[i];
  x86::save_state(child_area, ticket.vp->xcr0);
  if (fx.xsave) x86::write_xcr0(root_xcr0);
  x86::restore_state(root_area, root_xcr0 & fx.fits_mask);
  page.exit_reason =
      exit.reason == RS_EXIT_NONE && r.spun && ticket.report_pause ? RS_EXIT_PAUSE : exit.reason;
  page.instruction_length = exit.instruction_length;
  return exit.reason == RS_EXIT_NONE ? RS_STATUS_INTERRUPTED : RS_STATUS_SUCCESS;
}

}  // namespace hv::root
