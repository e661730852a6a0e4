#include "root/child_run.hpp"

#include "arch/x86/msr.hpp"
#include "arch/x86/svm/exit_decode.hpp"
#include "arch/x86/svm/svm_child.hpp"
#include "arch/x86/svm/vmcb.hpp"
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
constexpr uint64_t kLenCpuid = 2, kLenMsr = 2, kLenHlt = 1, kLenVmmcall = 3;
constexpr uint8_t kVectorGp = 13;
constexpr uint64_t kExitSmi = 0x62;  // APM vol. 2, appendix C
constexpr uint64_t kLow32 = 0xffffffffull;
// What a child sees at the hypervisor leaves: hv's signature and "no hypercalls" (version 0);
// hypercalls are the root's alone (docs/hypercalls.md §2).
constexpr uint32_t kChildMaxHypervisorLeaf = RS_CPUID_LEAF_ABI;
constexpr uint32_t kLeafFeatures = 0x1, kLeafTopology = 0xb, kLeafTopologyV2 = 0x1f,
                   kLeafExtendedApicId = 0x8000001e;
// MTRRs: a child has none (IA32_MTRRCAP reads 0, so VCNT = 0 and no fixed ranges) and memory
// types come from its PAT; MTRR_DEF_TYPE reads 0 and writes are ignored (Intel SDM vol. 3A,
// 12.11.1-12.11.2). Linux then says "MTRRs disabled by BIOS" instead of taking a #GP.
constexpr uint32_t kMsrMtrrCap = 0xfe, kMsrMtrrDefType = 0x2ff;
// IA32_TSC_AUX is not switched by VMRUN: the CPU's value is the root's (its CPU number for
// getcpu). A child keeps its own copy in hv, and RDTSCP and RDPID, which would read the
// root's, are hidden from it (CPUID 80000001h EDX bit 27, 07h ECX bit 22).
constexpr uint32_t kMsrTscAux = 0xc0000103;
constexpr uint32_t kLeafStructuredExt = 0x7, kLeafExtFeatures = 0x80000001;
constexpr uint32_t kExtEdxRdtscp = 1u << 27, kStructEcxRdpid = 1u << 22;

struct Run {
  PerCpu& cpu;
  const RunTicket& ticket;
  svm::Vmcb& vmcb;
  LastExit& exit;
};

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

// Up to 15 bytes at CS:RIP through the child's paging and nested tables; the count read.
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
    c = guest_cpuid(leaf, static_cast<uint32_t>(g.rcx));
    // The VP's own APIC ID where the CPU reports the running CPU's (Intel SDM vol. 2A CPUID
    // leaves 01h EBX[31:24], 0Bh/1Fh EDX; AMD APM vol. 3, Fn8000_001E EAX): a child must see
    // its VP index there, not the physical CPU its thread happens to run on.
    const auto apic_id = static_cast<uint32_t>(r.ticket.vp - r.ticket.partition->vps);
    if (leaf == kLeafFeatures) {
      c.ebx = (c.ebx & 0x00ffffffu) | (apic_id << 24);
    } else if (leaf == kLeafTopology || leaf == kLeafTopologyV2) {
      c.edx = apic_id;
    } else if (leaf == kLeafExtendedApicId) {
      c.eax = apic_id;
    } else if (leaf == kLeafExtFeatures) {
      c.edx &= ~kExtEdxRdtscp;
    } else if (leaf == kLeafStructuredExt && g.rcx == 0) {
      c.ecx &= ~kStructEcxRdpid;
    }
  }
  s.rax = c.eax;
  g.rbx = c.ebx;
  g.rcx = c.ecx;
  g.rdx = c.edx;
  s.rip += kLenCpuid;
}

// #GP(0) at the child's next entry: the faulting instruction does not complete.
void inject_gp(Run& r) {
  r.vmcb.control.event_inject = svm::event_inj::kValid | svm::event_inj::kTypeException |
                                svm::event_inj::kErrorValid | kVectorGp;
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

// RDMSR/WRMSR of the registers the VMCB holds; any other MSR raises #GP in the child (it has no
// other MSRs in 1.0).
void handle_msr(Run& r, VpArch& arch, bool write) {
  svm::VmcbSave& s = r.vmcb.save;
  GuestRegisters& g = r.ticket.vp->regs;
  const auto msr = static_cast<uint32_t>(g.rcx);
  if (msr == kMsrTscAux) {
    ChildVp& vp = *r.ticket.vp;
    if (write && (g.rdx & kLow32) != 0) {
      // Bits 63:32 are reserved: #GP, as the CPU does (Intel SDM vol. 4, IA32_TSC_AUX).
      inject_gp(r);
      return;
    }
    if (write) {
      vp.tsc_aux = s.rax & kLow32;
    } else {
      s.rax = vp.tsc_aux;
      g.rdx = 0;
    }
    s.rip += kLenMsr;
    return;
  }
  if (msr == kMsrMtrrCap || msr == kMsrMtrrDefType) {
    if (!write) {
      s.rax = 0;
      g.rdx = 0;
    }
    s.rip += kLenMsr;
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
  s.rip += kLenMsr;
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

void report_memory(Run& r, const NestedFault& f) {
  rs_exit_memory& m = r.ticket.run_page->exit.memory;
  m = rs_exit_memory{};
  m.gpa = f.gpa;
  m.access = f.execute ? RS_ACCESS_EXECUTE : f.write ? RS_ACCESS_WRITE : RS_ACCESS_READ;
  m.flags = f.present ? RS_MEMORY_MAPPED : 0;
  m.instruction_byte_count = fetch_instruction(r, m.instruction_bytes);
  r.exit.reason = RS_EXIT_MEMORY;
}

}  // namespace

uint16_t run_child_vp(void* context, const RunTicket& ticket, LastExit& exit) {
  Run r{*static_cast<PerCpu*>(context), ticket, *static_cast<svm::Vmcb*>(ticket.state), exit};
  svm::VmcbControl& c = r.vmcb.control;
  VpArch& arch = child_arch();
  rs_run_page& page = *ticket.run_page;
  exit = LastExit{};
  for (;;) {
    if (r.cpu.nmi_for_root != 0) break;  // the root's NMI: let it in first
    // Every child shares one ASID: entering another VP than the last one here (VPs are told
    // apart by a uid never reused, not by their VMCB, whose frame a later VP may get), or
    // after a flush request, starts from an empty TLB.
    if (take_flush(r.cpu) || r.cpu.last_child_vp != ticket.vp->uid) {
      c.tlb_control = static_cast<uint8_t>(svm::TlbControl::kFlushAll);
      r.cpu.last_child_vp = ticket.vp->uid;
    }
    hv_svm_vmrun(ticket.vp->state_pa, &ticket.vp->regs, r.cpu.host_vmcb_pa);
    c.tlb_control = static_cast<uint8_t>(svm::TlbControl::kNothing);
    c.clean_bits = 0;
    // An event whose delivery the exit interrupted is delivered again (APM vol. 2, 15.7.2).
    c.event_inject = (c.exit_int_info & svm::event_inj::kValid) != 0 ? c.exit_int_info : 0;
    const VcpuExit e = svm::decode_exit({c.exit_code, c.exit_info1, c.exit_info2, c.exit_int_info});
    switch (e.kind) {
      case ExitKind::kExternalInterrupt:
      case ExitKind::kNmi:
      case ExitKind::kInit:
        break;  // the root takes it natively as soon as it runs again
      case ExitKind::kCpuid:
        handle_cpuid(r);
        continue;
      case ExitKind::kMsrRead:
      case ExitKind::kMsrWrite:
        handle_msr(r, arch, e.kind == ExitKind::kMsrWrite);
        continue;
      case ExitKind::kHlt:
        r.vmcb.save.rip += kLenHlt;  // "RIP is already past the HLT" (§7)
        exit.reason = RS_EXIT_HALT;
        break;
      case ExitKind::kIo:
        report_io(r, e.io);
        break;
      case ExitKind::kNestedPageFault:
        report_memory(r, e.npf);
        break;
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
      default:
        if (e.raw_code == kExitSmi) break;
        report_hardware(r, RS_EXIT_UNSUPPORTED);
        break;
    }
    break;
  }
  page.exit_reason = exit.reason;
  page.instruction_length = exit.instruction_length;
  return exit.reason == RS_EXIT_NONE ? RS_STATUS_INTERRUPTED : RS_STATUS_SUCCESS;
}

}  // namespace hv::root
