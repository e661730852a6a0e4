#include "arch/x86/svm/svm_child.hpp"

#include "arch/x86/cpu.hpp"
#include "arch/x86/cr4.hpp"
#include "arch/x86/msr.hpp"

namespace hv::svm {
namespace {

// Reset state (AMD APM vol. 2, 14.1.3, table 14-1).
constexpr uint64_t kResetCr0 = 0x60000010;  // CD, NW, ET
constexpr uint64_t kResetRflags = 0x2;
constexpr uint64_t kResetRip = 0xfff0;
constexpr uint16_t kResetCsSelector = 0xf000;
constexpr uint64_t kResetCsBase = 0xffff0000;
constexpr uint64_t kPatReset = 0x0007040600070406ull;
constexpr uint64_t kDr6Reset = 0xffff0ff0;
constexpr uint64_t kDr7Reset = 0x400;
constexpr uint16_t kAttrCodeReset = 0x09b;  // P, S, code RX accessed
constexpr uint16_t kAttrDataReset = 0x093;  // P, S, data RW accessed
constexpr uint16_t kAttrLdt = 0x082;
constexpr uint16_t kAttrTss16Busy = 0x083;  // the reset TR (APM table 14-1: 16-bit busy TSS)
constexpr uint64_t kNpEnable = 1;
using namespace int_ctl;
// Bits a child may set (docs/hypercalls.md §8).
constexpr uint64_t kEferAllowed =
    x86::efer::kSce | (1ull << 8) | (1ull << 10) | x86::efer::kNxe | (1ull << 13) | (1ull << 14);
constexpr uint64_t kEferLma = 1ull << 10;
// CR4 through VP_SET_REGISTERS: the bits every child may have (arch/x86/cr4.hpp).
constexpr uint64_t kCr4Allowed = x86::cr4::kChildBase;
constexpr uint16_t kInterceptCr4 = 1u << 4;  // APM vol. 2, 15.9: one bit per CRn
constexpr uint64_t kCr0Pe = 1ull << 0, kCr0Nw = 1ull << 29, kCr0Cd = 1ull << 30,
                   kCr0Pg = 1ull << 31;
constexpr uint64_t kRflagsFixed1 = 1ull << 1;
constexpr uint64_t kRflagsFixed0 = (1ull << 3) | (1ull << 5) | (1ull << 15) | ~((1ull << 22) - 1);
constexpr unsigned kPhysBits = 52;

bool canonical(uint64_t v) {
  const auto s = static_cast<int64_t>(v << 16) >> 16;
  return static_cast<uint64_t>(s) == v;
}

bool valid_pat(uint64_t pat) {
  for (unsigned i = 0; i < 8; ++i) {
    const uint64_t t = (pat >> (i * 8)) & 0xff;
    if (t != 0 && t != 1 && t != 4 && t != 5 && t != 6 && t != 7) return false;
  }
  return true;
}

Vmcb& vmcb(void* state) {
  return *static_cast<Vmcb*>(state);
}
const Vmcb& vmcb(const void* state) {
  return *static_cast<const Vmcb*>(state);
}

// The VMCB's segment for an RS_REG_ segment name (Sreg order, then LDTR, TR).
VmcbSegment* segment(VmcbSave& s, uint32_t name) {
  switch (name) {
    case RS_REG_ES:
      return &s.es;
    case RS_REG_CS:
      return &s.cs;
    case RS_REG_SS:
      return &s.ss;
    case RS_REG_DS:
      return &s.ds;
    case RS_REG_FS:
      return &s.fs;
    case RS_REG_GS:
      return &s.gs;
    case RS_REG_LDTR:
      return &s.ldtr;
    case RS_REG_TR:
      return &s.tr;
    default:
      return nullptr;
  }
}

// The 64-bit MSR-like registers that live in the save area as they are.
uint64_t* plain_field(VmcbSave& s, uint32_t name) {
  switch (name) {
    case RS_REG_CR2:
      return &s.cr2;
    case RS_REG_CR3:
      return &s.cr3;
    case RS_REG_CR4:
      return &s.cr4;
    case RS_REG_STAR:
      return &s.star;
    case RS_REG_LSTAR:
      return &s.lstar;
    case RS_REG_CSTAR:
      return &s.cstar;
    case RS_REG_SFMASK:
      return &s.sfmask;
    case RS_REG_KERNEL_GS_BASE:
      return &s.kernel_gs_base;
    case RS_REG_SYSENTER_CS:
      return &s.sysenter_cs;
    case RS_REG_SYSENTER_ESP:
      return &s.sysenter_esp;
    case RS_REG_SYSENTER_EIP:
      return &s.sysenter_eip;
    case RS_REG_PAT:
      return &s.g_pat;
    case RS_REG_RIP:
      return &s.rip;
    case RS_REG_RFLAGS:
      return &s.rflags;
    default:
      return nullptr;
  }
}

// GPRs in ModRM order; RAX and RSP are in the VMCB.
uint64_t* gpr(VmcbSave& s, GuestRegisters& g, uint32_t name) {
  uint64_t* const table[16] = {&s.rax, &g.rcx, &g.rdx, &g.rbx, &s.rsp, &g.rbp, &g.rsi, &g.rdi,
                               &g.r8,  &g.r9,  &g.r10, &g.r11, &g.r12, &g.r13, &g.r14, &g.r15};
  return name <= RS_REG_R15 ? table[name] : nullptr;
}

}  // namespace

uint8_t cpu_mode(const VmcbSave& save) {
  if ((save.cr0 & kCr0Pe) == 0 || (save.rflags & (1ull << 17)) != 0) return RS_CPU_MODE_REAL;
  if ((save.efer & kEferLma) != 0 && (save.cs.attrib & seg_attr::kLong) != 0) {
    return RS_CPU_MODE_LONG64;
  }
  return (save.cs.attrib & seg_attr::kDefault32) != 0 ? RS_CPU_MODE_PROT32 : RS_CPU_MODE_PROT16;
}

void SvmChildArch::reset(void* state, uint64_t npt_root, bool bootstrap) {
  (void)bootstrap;  // the BSP flag lives in the emulated LAPIC (issue 7)
  Vmcb& v = vmcb(state);
  VmcbControl& c = v.control;
  using namespace intercept3;
  // INVD would drop dirty cache lines of memory that is not the child's: the child may not.
  // RDPMC would read the host's counters, INVLPGA flush the root's ASID, a MOV to CR4 enable
  // state VMRUN does not switch (root/child_instruction_exits.cpp).
  c.intercept3 = kIntr | kNmi | kSmi | kInit | kCpuid | kRdpmc | kInvd | kHlt | kInvlpga |
                 kIoioProt | kMsrProt | kShutdown;
  // A spinning VP leaves so that the root can run the sibling it waits for (pause_filter.hpp).
  if (maps_.pause.intercept) {
    c.intercept3 |= kPause;
    c.pause_filter_count = maps_.pause.filter_count;
    c.pause_filter_threshold = maps_.pause.filter_threshold;
  }
  c.intercept_cr_write = kInterceptCr4;
  c.intercept4 = intercept4::kVmrun | intercept4::kVmmcall | intercept4::kVmload |
                 intercept4::kVmsave | intercept4::kStgi | intercept4::kClgi | intercept4::kSkinit |
                 intercept4::kXsetbv;
  c.iopm_base_pa = maps_.iopm_pa;
  c.msrpm_base_pa = maps_.msrpm_pa;
  c.guest_asid = kChildAsid;
  c.tlb_control = static_cast<uint8_t>(TlbControl::kFlushAll);
  // The child's IF masks only its virtual interrupts; physical ones always exit (APM 15.21.1).
  c.int_control = kVIntrMasking;
  c.np_control = kNpEnable;
  c.n_cr3 = npt_root;
  VmcbSave& s = v.save;
  const VmcbSegment data{0, kAttrDataReset, 0xffff, 0};
  s.es = s.ss = s.ds = s.fs = s.gs = data;
  s.cs = {kResetCsSelector, kAttrCodeReset, 0xffff, kResetCsBase};
  s.gdtr = {0, 0, 0xffff, 0};
  s.idtr = {0, 0, 0xffff, 0};
  s.ldtr = {0, kAttrLdt, 0xffff, 0};
  s.tr = {0, kAttrTss16Busy, 0xffff, 0};
  s.cr0 = kResetCr0;
  s.efer = x86::efer::kSvme;  // VMRUN needs it (APM 15.5.1); the child reads EFER as 0
  s.rflags = kResetRflags;
  s.rip = kResetRip;
  s.g_pat = kPatReset;
  s.dr6 = kDr6Reset;
  s.dr7 = kDr7Reset;
}

uint16_t SvmChildArch::get_register(const void* state, const GuestRegisters& gprs, uint32_t name,
                                    rs_hc_register_value& out) {
  out = rs_hc_register_value{};
  // The const view is enough; the helpers are shared with the writers.
  auto& s = const_cast<VmcbSave&>(vmcb(state).save);
  auto& g = const_cast<GuestRegisters&>(gprs);
  if (uint64_t* r = gpr(s, g, name)) {
    out.scalar.value = *r;
  } else if (uint64_t* f = plain_field(s, name)) {
    out.scalar.value = *f;
  } else if (VmcbSegment* seg = segment(s, name)) {
    out.segment = {seg->base, seg->limit, seg->selector, seg->attrib};
  } else if (name == RS_REG_GDTR || name == RS_REG_IDTR) {
    const VmcbSegment& t = name == RS_REG_GDTR ? s.gdtr : s.idtr;
    out.table.base = t.base;
    out.table.limit = static_cast<uint16_t>(t.limit);
  } else if (name == RS_REG_CR0) {
    out.scalar.value = s.cr0;
  } else if (name == RS_REG_CR8) {
    out.scalar.value = vmcb(state).control.int_control & kVTprMask;
  } else if (name == RS_REG_EFER) {
    out.scalar.value = s.efer & ~x86::efer::kSvme;
  } else if (name == RS_REG_TSC) {
    out.scalar.value = x86::rdtsc() + vmcb(state).control.tsc_offset;
  } else if (name == RS_REG_XCR0 || name == RS_REG_APIC_BASE) {
    return RS_STATUS_NOT_SUPPORTED;  // hv's VP holds them, not the VMCB (partition_vp_registers)
  } else {
    return RS_STATUS_INVALID_PARAMETER;
  }
  return RS_STATUS_SUCCESS;
}

uint16_t SvmChildArch::check_register(uint32_t name, const rs_hc_register_value& value) {
  const uint64_t v = value.scalar.value;
  const bool scalar = name <= RS_REG_RFLAGS || (name >= RS_REG_CR0 && name <= RS_REG_XCR0) ||
                      (name >= RS_REG_EFER && name <= RS_REG_APIC_BASE);
  if (scalar && value.scalar.reserved0 != 0) return RS_STATUS_RESERVED_NONZERO;
  if (name <= RS_REG_R15 || name == RS_REG_RIP || name == RS_REG_CR2 || name == RS_REG_TSC) {
    return RS_STATUS_SUCCESS;
  }
  switch (name) {
    case RS_REG_RFLAGS:
      return (v & kRflagsFixed0) == 0 && (v & kRflagsFixed1) != 0 ? RS_STATUS_SUCCESS
                                                                  : RS_STATUS_INVALID_PARAMETER;
    case RS_REG_ES:
    case RS_REG_CS:
    case RS_REG_SS:
    case RS_REG_DS:
    case RS_REG_FS:
    case RS_REG_GS:
    case RS_REG_LDTR:
    case RS_REG_TR:
      if ((value.segment.attributes & RS_SEGMENT_ATTR_RESERVED_MASK) != 0) {
        return RS_STATUS_RESERVED_NONZERO;
      }
      return canonical(value.segment.base) ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    case RS_REG_GDTR:
    case RS_REG_IDTR:
      if (value.table.reserved0 != 0 || value.table.reserved1 != 0) {
        return RS_STATUS_RESERVED_NONZERO;
      }
      return canonical(value.table.base) ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    case RS_REG_CR0: {
      const bool ok = (v >> 32) == 0 && ((v & kCr0Pg) == 0 || (v & kCr0Pe) != 0) &&
                      ((v & kCr0Nw) == 0 || (v & kCr0Cd) != 0);
      return ok ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    }
    case RS_REG_CR3:
      return (v >> kPhysBits) == 0 ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    case RS_REG_CR4:
      return (v & ~kCr4Allowed) == 0 ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    case RS_REG_CR8:
      return v <= 15 ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    case RS_REG_EFER:
      return (v & ~kEferAllowed) == 0 ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    case RS_REG_LSTAR:
    case RS_REG_CSTAR:
    case RS_REG_KERNEL_GS_BASE:
    case RS_REG_SYSENTER_ESP:
    case RS_REG_SYSENTER_EIP:
      return canonical(v) ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    case RS_REG_STAR:
      return RS_STATUS_SUCCESS;
    case RS_REG_SYSENTER_CS:
    case RS_REG_SFMASK:
      return (v >> 32) == 0 ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    case RS_REG_PAT:
      return valid_pat(v) ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    case RS_REG_XCR0:
    case RS_REG_APIC_BASE:
      return RS_STATUS_NOT_SUPPORTED;
    default:
      return RS_STATUS_INVALID_PARAMETER;
  }
}

void SvmChildArch::set_register(void* state, GuestRegisters& gprs, uint32_t name,
                                const rs_hc_register_value& value) {
  Vmcb& vm = vmcb(state);
  VmcbSave& s = vm.save;
  const uint64_t v = value.scalar.value;
  if (uint64_t* r = gpr(s, gprs, name)) {
    *r = v;
  } else if (name == RS_REG_EFER) {
    // LMA is the CPU's to derive (§8): keep what the VP has; SVME stays hv's.
    s.efer = (v & ~kEferLma) | (s.efer & kEferLma) | x86::efer::kSvme;
  } else if (uint64_t* f = plain_field(s, name)) {
    *f = v;
  } else if (VmcbSegment* seg = segment(s, name)) {
    *seg = {value.segment.selector, value.segment.attributes, value.segment.limit,
            value.segment.base};
    if (name == RS_REG_SS) s.cpl = static_cast<uint8_t>((value.segment.attributes >> 5) & 3);
  } else if (name == RS_REG_GDTR || name == RS_REG_IDTR) {
    VmcbSegment& t = name == RS_REG_GDTR ? s.gdtr : s.idtr;
    t = {0, 0, value.table.limit, value.table.base};
  } else if (name == RS_REG_CR0) {
    s.cr0 = v;
  } else if (name == RS_REG_CR8) {
    vm.control.int_control = (vm.control.int_control & ~kVTprMask) | (v & kVTprMask);
  } else if (name == RS_REG_TSC) {
    vm.control.tsc_offset = v - x86::rdtsc();
  }
  if (name == RS_REG_EFER || name == RS_REG_CR0 || name == RS_REG_CR4) {
    // LMA is what the CPU would have derived had the child set these itself: long mode is
    // active when LME, PG and PAE are all set (APM vol. 2, 14.6.1). VMRUN loads EFER as it is.
    constexpr uint64_t kCr4Pae = 1ull << 5;
    const bool active =
        (s.efer & x86::efer::kLme) != 0 && (s.cr0 & kCr0Pg) != 0 && (s.cr4 & kCr4Pae) != 0;
    s.efer = active ? s.efer | kEferLma : s.efer & ~kEferLma;
  }
  // A changed state: the CPU must not use cached VMCB fields (APM 15.15.3).
  vm.control.clean_bits = 0;
}

void SvmChildArch::publish(const void* state, const GuestRegisters& gprs, rs_run_page& page) {
  const Vmcb& vm = vmcb(state);
  const VmcbSave& s = vm.save;
  auto& g = const_cast<GuestRegisters&>(gprs);
  auto& sv = const_cast<VmcbSave&>(s);
  for (uint32_t r = RS_REG_RAX; r <= RS_REG_R15; ++r) page.regs.gpr[r] = *gpr(sv, g, r);
  page.regs.rip = s.rip;
  page.regs.rflags = s.rflags;
  page.cr0 = s.cr0;
  page.cr3 = s.cr3;
  page.cr4 = s.cr4;
  page.efer = s.efer & ~x86::efer::kSvme;
  page.cpu_mode = cpu_mode(s);
  page.cpl = s.cpl;
}

void SvmChildArch::queue_event(void* state, uint64_t event) {
  VmcbControl& c = vmcb(state).control;
  const auto vector = event & RS_EVENT_VECTOR_MASK;
  const auto type = (event & RS_EVENT_TYPE_MASK) >> RS_EVENT_TYPE_SHIFT;
  if (type == RS_EVENT_TYPE_INTERRUPT) {
    // A virtual interrupt the CPU delivers once the child's IF and shadow allow (APM 15.21.4).
    c.int_control = (c.int_control & ~kVIntrVectorMask) | kVIrq | kVIntrPrioMax | kVIgnTpr |
                    (vector << kVIntrVectorShift);
    return;
  }
  // EVENTINJ has VP_INJECT's layout in bits 10:0 and the error code in 63:32 (APM 15.20).
  c.event_inject =
      event_inj::kValid | (event & (RS_EVENT_VECTOR_MASK | RS_EVENT_TYPE_MASK |
                                    RS_EVENT_ERROR_CODE_VALID | RS_EVENT_ERROR_CODE_MASK));
}

bool SvmChildArch::event_pending(const void* state) {
  return (vmcb(state).control.event_inject & event_inj::kValid) != 0;
}

}  // namespace hv::svm
