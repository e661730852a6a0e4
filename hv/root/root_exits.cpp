#include "root/root_exits.hpp"

#include <rootstock/hypercall_abi.h>
#include <rootstock/milestone.hpp>
#include <rootstock/x86/decoder.hpp>
#include <rootstock/x86/emulate.hpp>

#include "arch/x86/cpu.hpp"
#include "arch/x86/cpuid.hpp"
#include "arch/x86/msr.hpp"
#include "arch/x86/port_io.hpp"
#include "arch/x86/safe_msr.hpp"
#include "console/log.hpp"
#include "cpu/smp.hpp"
#include "cpu/tlb_shootdown.hpp"
#include "mm/hv_address_space.hpp"
#include "panic.hpp"
#include "platform/power.hpp"
#include "root/apic_base_policy.hpp"
#include "root/guest_memory.hpp"
#include "root/hypercalls.hpp"
#include "vcpu/decoder_state.hpp"

extern char __hv_start[];  // arch/x86/linker.ld: hv's image
extern char __hv_end[];

namespace hv::root {
namespace {

namespace dx = rootstock::x86;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kLow32 = 0xffffffffull;
// Instruction lengths without prefixes (AMD APM vol. 3): hv advances RIP itself, as TCG and
// older CPUs have no next-RIP saving.
constexpr uint64_t kLenCpuid = 2, kLenMsr = 2;
constexpr uint8_t kVectorUd = 6, kVectorGp = 13;
// CPUID: hv's leaves and what it changes for the root (docs/hypercalls.md §1).
constexpr uint32_t kHypervisorLeafLast = 0x400000ff;
constexpr uint32_t kHypervisorMaxLeaf = RS_CPUID_LEAF_HV_CANARY;
// EFER bits a guest may set (APM vol. 2, 3.1.7): SCE, LME, LMA (ignored), NXE, LMSLE, FFXSR,
// TCE, and AutomaticIBRS (bit 21). SVME is hv's.
constexpr uint64_t kEferGuestBits = (1ull << 0) | (1ull << 8) | (1ull << 10) | (1ull << 11) |
                                    (1ull << 13) | (1ull << 14) | (1ull << 15) | (1ull << 21);
// PM1 control (ACPI 6.5, 4.8.3.2.1): SLP_EN and SLP_TYPx; the PIIX/ICH reset control register
// 0xcf9: bit 2 starts the reset.
constexpr uint32_t kSlpEn = 1u << 13;
constexpr unsigned kSlpTypShift = 10;
constexpr uint32_t kResetCpu = 1u << 2;
constexpr unsigned kLoggedProtectionFaults = 16;
// xAPIC registers (Intel SDM table 10-1).
constexpr uint64_t kXapicIcrLow = 0x300;
constexpr uint64_t kXapicIcrHigh = 0x310;

uint64_t& counter(PerCpu& cpu, ExitKind k) {
  return state().exits[cpu.index][static_cast<unsigned>(k)];
}

bool readable_by_hv(uint64_t gpa, uint64_t length) {
  return gpa + length >= gpa && gpa + length <= hv_mapped_end() && !in_hv_range(gpa, length);
}

// The guest's GPRs in ModRM order for the decoder (RSP lives in the VMCB).
// Fetches and decodes the instruction at the guest's RIP.
dx::DecodeStatus decode_at_rip(svm::SvmVcpu& v, dx::DecodedAccess& out) {
  const GuestState s = v.state();
  const uint64_t linear = s.cs.base + s.rip;
  uint8_t bytes[15];
  size_t have = sizeof(bytes);
  // Near the end of a page the next may be unmapped: take what the page holds and let the
  // decoder say whether it needed more.
  if (!read_guest_virtual(s, linear, bytes, have, readable_by_hv)) {
    have = static_cast<size_t>(kPage - (linear & (kPage - 1)));
    if (have >= sizeof(bytes) || !read_guest_virtual(s, linear, bytes, have, readable_by_hv)) {
      return dx::DecodeStatus::kTruncated;
    }
  }
  return dx::decode(bytes, have, decoder_mode(s.efer, s.cs.attrib), out);
}

void set_result32(GuestRegisters& r, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  r.rax = a;
  r.rbx = b;
  r.rcx = c;
  r.rdx = d;
}

void handle_cpuid(svm::SvmVcpu& v) {
  GuestRegisters& r = v.regs();
  const auto leaf = static_cast<uint32_t>(r.rax);
  const auto sub = static_cast<uint32_t>(r.rcx);
  if (leaf >= RS_CPUID_LEAF_SIGNATURE && leaf <= kHypervisorLeafLast) {
    const RootState& st = state();
    if (leaf == RS_CPUID_LEAF_SIGNATURE) {
      set_result32(r, kHypervisorMaxLeaf, RS_CPUID_SIGNATURE_EBX, RS_CPUID_SIGNATURE_ECX,
                   RS_CPUID_SIGNATURE_EDX);
    } else if (leaf == RS_CPUID_LEAF_ABI) {
      set_result32(r, hypercall_abi_version(), 0, 0, 0);
    } else if (leaf == RS_CPUID_LEAF_HV_MEMORY) {
      set_result32(r, static_cast<uint32_t>(st.config.reservation.base),
                   static_cast<uint32_t>(st.config.reservation.base >> 32),
                   static_cast<uint32_t>(st.config.reservation.length >> 20), 0);
    } else if (leaf == RS_CPUID_LEAF_HV_CANARY) {
      set_result32(r, static_cast<uint32_t>(st.canary_page),
                   static_cast<uint32_t>(st.canary_page >> 32), canary_intact() ? 1u : 0u, 0);
    } else {
      set_result32(r, 0, 0, 0, 0);
    }
  } else {
    const x86::CpuidResult c = guest_cpuid(leaf, sub);
    set_result32(r, c.eax, c.ebx, c.ecx, c.edx);
  }
  v.set_rip(v.rip() + kLenCpuid);
}

}  // namespace

x86::CpuidResult guest_cpuid(uint32_t leaf, uint32_t sub) {
  x86::CpuidResult c = x86::cpuid(leaf, sub);
  if (leaf == x86::cpuid_bit::kLeafFeatures) {
    c.ecx |= x86::cpuid_bit::kFeaturesEcxHypervisor;
    c.ecx &= ~x86::cpuid_bit::kFeaturesEcxVmx;
  } else if (leaf == x86::cpuid_bit::kLeafExtFeatures) {
    c.ecx &= ~x86::cpuid_bit::kExtFeaturesEcxSvm;
  } else if (leaf == x86::cpuid_bit::kLeafSvm) {
    c = {0, 0, 0, 0};  // no SVM: no SVM features either
  }
  return c;
}

namespace {

// Sends an ordinary IPI the root asked for, in the APIC mode it asked in.
void forward_icr(uint64_t value, bool x2apic_format) {
  const RootState& s = state();
  if (x2apic_format) {
    x86::wrmsr(x86::Msr::kX2apicIcr, value);
    return;
  }
  auto* apic = reinterpret_cast<volatile uint32_t*>(s.config.lapic_base);
  apic[kXapicIcrHigh / 4] = static_cast<uint32_t>(value >> 32);
  apic[kXapicIcrLow / 4] = static_cast<uint32_t>(value);
}

// The root wrote the ICR: INIT and STARTUP to hv's CPUs are emulated, an NMI becomes a request
// on each target (send_root_nmi), the rest is sent. A CPU
// that runs the root when its INIT comes is taken out of it with an NMI (it then waits for its
// STARTUP in before_root_entry()).
void handle_icr(PerCpu& self, uint64_t value, bool x2apic_format) {
  const IcrWrite w = decode_icr(value, x2apic_format);
  if (w.action == IcrAction::kForward) {
    forward_icr(value, x2apic_format);
    return;
  }
  if (w.action == IcrAction::kIgnore) return;
  if (w.action == IcrAction::kNmi) {
    for (uint32_t i = 0; i < cpu_count(); ++i) {
      const PerCpu* target = cpu(i);
      if (target != nullptr && icr_addresses(w, target->apic_id, target == &self)) {
        send_root_nmi(i);
      }
    }
    return;
  }
  RootState& s = state();
  for (uint32_t i = 0; i < cpu_count(); ++i) {
    PerCpu* target = cpu(i);
    const bool addressed = target != &self && (w.all_but_self || target->apic_id == w.destination);
    if (!addressed) continue;
    ApStartState& st = s.ap_state[i];
    if (w.action == IcrAction::kInit) {
      st.sipi_vector = 0;
      __atomic_store_n(&st.init_received, 1u, __ATOMIC_RELEASE);
      if (st.running != 0) kick_cpu(i);
    } else if (w.action == IcrAction::kStartup && st.init_received != 0 && st.sipi_vector == 0) {
      __atomic_store_n(&st.sipi_vector, static_cast<uint32_t>(w.vector) + 1, __ATOMIC_RELEASE);
    }
  }
  if (w.action != IcrAction::kStartup || s.every_ap_started) return;
  for (uint32_t i = 1; i < cpu_count(); ++i) {
    if (s.ap_state[i].sipi_vector == 0 && s.ap_state[i].running == 0) return;
  }
  s.every_ap_started = true;
  log::info("root: every AP started (through the %s ICR); INIT and STARTUP stay hv's",
            x2apic_format ? "x2APIC" : "xAPIC");
}

// The root's WRMSR to IA32_APIC_BASE: done when root/apic_base_policy.hpp allows it, else
// refused (false: #GP) and logged.
bool write_apic_base(PerCpu& cpu, uint64_t value) {
  RootState& s = state();
  const uint64_t current = x86::rdmsr(x86::Msr::kApicBase);
  const ApicBaseWrite verdict = judge_apic_base_write(current, value, s.config.x2apic);
  if (verdict != ApicBaseWrite::kAllowed) {
    if (__atomic_fetch_add(&s.refused_apic_base_writes, 1, __ATOMIC_RELAXED) <
        kLoggedProtectionFaults) {
      log::warn("root on cpu %u: IA32_APIC_BASE 0x%lx -> 0x%lx refused (%s); #GP", cpu.index,
                current, value, describe(verdict));
    }
    return false;
  }
  x86::wrmsr(x86::Msr::kApicBase, value);
  cpu.root_x2apic = (value & x86::apic_base::kX2apicEnable) != 0 ? 1 : 0;
  return true;
}

void handle_msr(PerCpu& cpu, svm::SvmVcpu& v, bool write) {
  GuestRegisters& r = v.regs();
  const auto msr = static_cast<uint32_t>(r.rcx);
  const uint64_t value = (r.rdx << 32) | (r.rax & kLow32);
  svm::VmcbSave& save = v.vmcb().save;
  using x86::Msr;
  bool fault = false;
  if (msr == static_cast<uint32_t>(Msr::kEfer)) {
    if (!write) {
      r.rax = save.efer & ~x86::efer::kSvme & kLow32;
      r.rdx = (save.efer & ~x86::efer::kSvme) >> 32;
    } else if ((value & ~kEferGuestBits) != 0) {
      fault = true;  // SVME or a reserved bit: the root has no SVM
    } else {
      save.efer = (value & ~x86::efer::kLma) | (save.efer & x86::efer::kLma) | x86::efer::kSvme;
    }
  } else if (msr == static_cast<uint32_t>(Msr::kVmCr) ||
             msr == static_cast<uint32_t>(Msr::kVmHsavePa) || msr == kMsrSvmKey) {
    // SVM looks disabled and locked by firmware: VM_CR reads SVMDIS|LOCK, the rest 0, and
    // writes fault as they would on such a machine.
    if (write) {
      fault = true;
    } else {
      const uint64_t v_cr = x86::vm_cr::kSvmDis | x86::vm_cr::kLock;
      const uint64_t out = msr == static_cast<uint32_t>(Msr::kVmCr) ? v_cr : 0;
      r.rax = out & kLow32;
      r.rdx = out >> 32;
    }
  } else if (msr == static_cast<uint32_t>(Msr::kX2apicIcr) && write) {
    handle_icr(cpu, value, true);
  } else if (msr == static_cast<uint32_t>(Msr::kApicBase) && write) {
    fault = !write_apic_base(cpu, value);
  } else if (write) {
    fault = !x86::safe_wrmsr(msr, value);  // outside the MSR map: the root's own hardware
  } else {
    uint64_t out = 0;
    fault = !x86::safe_rdmsr(msr, out);
    r.rax = out & kLow32;
    r.rdx = out >> 32;
  }
  if (fault) {
    v.inject_exception(kVectorGp, true, 0);
  } else {
    v.set_rip(v.rip() + kLenMsr);
  }
}

// hv's power-off milestone with its exit counts, summed over every CPU.
void announce_power(const char* action) {
  uint64_t sums[kExitKinds] = {};
  uint64_t total = 0;
  for (uint32_t c = 0; c < cpu_count(); ++c) {
    for (unsigned k = 0; k < kExitKinds; ++k) {
      sums[k] += state().exits[c][k];
      total += state().exits[c][k];
    }
  }
  rootstock::milestone::Writer m("poweroff");
  m.field("component", "hv").field("action", action).field("exits", total);
  for (unsigned k = 0; k < kExitKinds; ++k) {
    if (sums[k] != 0) m.field(exit_kind_name(static_cast<ExitKind>(k)), sums[k]);
  }
  m.field("hv_faults", state().protection_faults);
  log::milestone(m);
  log::flush();
}

void handle_io(svm::SvmVcpu& v, const IoAccess& io) {
  GuestRegisters& r = v.regs();
  const RootConfig& c = state().config;
  if (io.string) {
    v.inject_exception(kVectorGp, true, 0);  // no string I/O on these ports
    return;
  }
  const uint32_t mask = io.size == 4 ? 0xffffffffu : io.size == 2 ? 0xffffu : 0xffu;
  if (io.in) {
    const uint32_t value = io.size == 4   ? x86::inl(io.port)
                           : io.size == 2 ? x86::inw(io.port)
                                          : x86::inb(io.port);
    r.rax = io.size == 4 ? value : (r.rax & ~uint64_t{mask}) | value;
  } else {
    const auto value = static_cast<uint32_t>(r.rax) & mask;
    const bool pm1 = c.power.acpi_s5 &&
                     (io.port == c.power.pm1a_control_port || io.port == c.power.pm1b_control_port);
    if (pm1 && (value & kSlpEn) != 0 && ((value >> kSlpTypShift) & 7) == c.power.slp_typa) {
      announce_power("poweroff");
      power_off(c.power, RunResult::kPassed);
    }
    if (io.port == c.reset_port && (value & kResetCpu) != 0) announce_power("reset");
    if (io.size == 4) {
      x86::outl(io.port, value);
    } else if (io.size == 2) {
      x86::outw(io.port, static_cast<uint16_t>(value));
    } else {
      x86::outb(io.port, static_cast<uint8_t>(value));
    }
  }
  v.set_rip(io.next_rip);
}

// An access to the xAPIC page while it is trapped: done on the real APIC, except ICR writes.
void emulate_xapic(PerCpu& cpu, svm::SvmVcpu& v, uint64_t gpa) {
  dx::DecodedAccess a;
  if (const dx::DecodeStatus s = decode_at_rip(v, a); s != dx::DecodeStatus::kOk) {
    // Not a plain load or store (string or vector instructions): the root gets the #GP a
    // real APIC page would not give, and hv says why, instead of guessing.
    log::error("root xAPIC access at rip 0x%lx cannot be emulated: %s; #GP to the root", v.rip(),
               dx::describe(s));
    v.inject_exception(kVectorGp, true, 0);
    return;
  }
  const uint64_t offset = gpa & (kPage - 1) & ~uint64_t{3};
  auto* reg = reinterpret_cast<volatile uint32_t*>(state().config.lapic_base + offset);
  svm::VmcbSave& save = v.vmcb().save;
  dx::Gprs g = decoder_gprs(v.regs(), v.regs().rax, save.rsp);
  if (a.kind == dx::DecodedAccess::Kind::kWrite) {
    const auto value = static_cast<uint32_t>(dx::store_value(a, g));
    if (offset == kXapicIcrLow) {
      // The destination was written to the real ICR high half already (forwarded below).
      const uint64_t high =
          *reinterpret_cast<volatile uint32_t*>(state().config.lapic_base + kXapicIcrHigh);
      handle_icr(cpu, (high << 32) | value, false);
    } else {
      *reg = value;
    }
  } else {
    const uint64_t loaded = *reg;
    const uint64_t stored = dx::complete_load(a, loaded, g, save.rflags);
    if (a.kind == dx::DecodedAccess::Kind::kReadModifyWrite) *reg = static_cast<uint32_t>(stored);
    store_decoder_gprs(g, v.regs(), v.regs().rax, save.rsp);
  }
  v.set_rip(v.rip() + a.length);
}

// Steps over the instruction at RIP as if it had accessed an empty bus: a load gets all ones,
// a store is dropped. False when hv cannot decode it (the caller gives the root a #GP).
bool complete_as_empty_bus(svm::SvmVcpu& v) {
  dx::DecodedAccess a;
  if (decode_at_rip(v, a) != dx::DecodeStatus::kOk) return false;
  if (a.kind != dx::DecodedAccess::Kind::kWrite) {
    svm::VmcbSave& save = v.vmcb().save;
    dx::Gprs g = decoder_gprs(v.regs(), v.regs().rax, save.rsp);
    (void)dx::complete_load(a, ~uint64_t{0}, g, save.rflags);
    store_decoder_gprs(g, v.regs(), v.regs().rax, save.rsp);
  }
  v.set_rip(v.rip() + a.length);
  return true;
}

// The root touched hv's memory or a frame deposited to hv (DESIGN.md §2): nothing of hv is
// read or written. Reads see a page of all ones (an empty bus), writes are dropped; both are
// logged. A write to a page that was read before finds the void page mapped read-only: the
// same rule.
void protect_hv(svm::SvmVcpu& v, const NestedFault& f) {
  RootState& s = state();
  if (__atomic_fetch_add(&s.protection_faults, 1, __ATOMIC_RELAXED) < kLoggedProtectionFaults) {
    log::warn("root %s of hv memory at 0x%lx from rip 0x%lx: %s", f.write ? "write" : "read", f.gpa,
              v.rip(), f.write ? "dropped" : "reads all ones");
  }
  // Later reads of the page run without an exit. Mapping the void page needs no table for a
  // hidden frame (its table was kept); for hv's own ranges it may, and when hv's pool has
  // none left this one access is emulated instead.
  if (!f.write &&
      map_for_root(f.gpa & ~(kPage - 1), s.void_page, kPage, false) == PagingStatus::kOk) {
    return;
  }
  if (!complete_as_empty_bus(v)) v.inject_exception(kVectorGp, true, 0);
}

void handle_npf(PerCpu& cpu, svm::SvmVcpu& v, const NestedFault& f) {
  RootState& s = state();
  const uint64_t page = f.gpa & ~(kPage - 1);
  if (page == (s.config.lapic_base & ~(kPage - 1))) {
    emulate_xapic(cpu, v, f.gpa);  // trapped for good: the ICR is in it
    return;
  }
  if (!in_hv_range(page, kPage) && page >= s.mapped_top) {
    // High MMIO (a 64-bit BAR) the start-up map did not reach: map it one to one now. Out of
    // hv memory for the tables, the access sees an empty bus instead (logged once).
    if (!f.present && map_for_root(page, page, kPage, true) == PagingStatus::kOk) return;
    if (__atomic_fetch_add(&s.protection_faults, 1, __ATOMIC_RELAXED) < kLoggedProtectionFaults) {
      log::warn("root access to 0x%lx: no hv memory left to map it; empty bus", f.gpa);
    }
    if (!complete_as_empty_bus(v)) v.inject_exception(kVectorGp, true, 0);
    return;
  }
  // Below mapped_top everything is the root's, mapped writable, except hv's ranges and the
  // frames deposited to hv (not mapped, or mapped to the void page read-only once read).
  const Translation t = root_translation(page);
  if (in_hv_range(page, kPage) || !t || t.phys == s.void_page) {
    protect_hv(v, f);
    return;
  }
  // Mapped writable now: another CPU gave the frame back (a withdrawal) after this access
  // faulted. It simply runs again.
  if (!f.write || has(t.flags, PageFlags::kWritable)) return;
  panic("unexpected nested page fault for the root at 0x%lx (%s%s) rip 0x%lx", f.gpa,
        f.present ? "present, " : "", f.write ? "write" : "read", v.rip());
}

// An INIT for this CPU while it ran the root (handle_icr()): the CPU waits in hv for its STARTUP
// as a CPU in wait-for-SIPI would, flush and kick NMIs still taken, then starts the root again
// in real mode at the vector (Intel SDM vol. 3A, 9.4.4; table 10-1 for INIT's register state).
void wait_for_startup(PerCpu& cpu, svm::SvmVcpu& v) {
  ApStartState& st = state().ap_state[cpu.index];
  st.running = 0;
  asm volatile("stgi" ::: "memory");
  log::debug("root: cpu %u got INIT; waiting for STARTUP", cpu.index);
  while (__atomic_load_n(&st.sipi_vector, __ATOMIC_ACQUIRE) == 0) asm volatile("pause");
  asm volatile("clgi" ::: "memory");
  const auto vector = static_cast<uint8_t>(st.sipi_vector - 1);
  st.init_received = 0;
  st.running = 1;
  v.set_state(real_mode_start(vector));
  v.regs() = {};
  svm::VmcbControl& c = v.vmcb().control;
  c.event_inject = 0;
  c.int_control = 0;
  c.int_state = 0;
  c.tlb_control = static_cast<uint8_t>(svm::TlbControl::kFlushAll);
  cpu.nmi_for_root = 0;  // an NMI for the CPU before its INIT is not for the new start
  log::debug("root: cpu %u starts again at vector 0x%x", cpu.index, vector);
}

// What must happen before the root runs again on this CPU: a TLB flush another CPU asked for,
// an INIT, and an NMI that arrived for the root while hv ran (cpu/tlb_shootdown.hpp). An NMI
// waits while another event is being re-delivered: EVENTINJ holds one event.
void before_root_entry(PerCpu& cpu, svm::SvmVcpu& v) {
  svm::VmcbControl& c = v.vmcb().control;
  if (root_init_pending(cpu)) wait_for_startup(cpu, v);
  if (take_flush(cpu)) c.tlb_control = static_cast<uint8_t>(svm::TlbControl::kFlushAll);
  if (cpu.nmi_for_root != 0 && (c.event_inject & svm::event_inj::kValid) == 0) {
    cpu.nmi_for_root = 0;
    c.event_inject = svm::event_inj::kValid | svm::event_inj::kTypeNmi | 2;
  }
}

[[noreturn]] void root_triple_fault(PerCpu& cpu, svm::SvmVcpu& v) {
  const GuestState s = v.state();
  log::error("root partition: shutdown (triple fault) on cpu %u at rip 0x%lx rsp 0x%lx", cpu.index,
             s.rip, s.rsp);
  log::error("cr0=0x%lx cr3=0x%lx cr4=0x%lx efer=0x%lx cs=0x%x", s.cr0, s.cr3, s.cr4, s.efer,
             s.cs.selector);
  log::milestone(rootstock::milestone::Writer("panic")
                     .field("component", "root")
                     .field("reason", "triple-fault"));
  power_off(state().config.power, RunResult::kFailed);
}

// Whether the state VMRUN's #VMEXIT saved as the root's is hv's own: hv's CR3 and an RIP in
// hv's image. Real SVM never saves the host's state into the guest's VMCB; QEMU's TCG was seen
// to, rarely and only multi-threaded (README, Known problems). Entering that "root" would run
// hv's code in guest mode: hv's protection holds (the root's nested tables do not map hv, so
// its writes are dropped), but the root's own state is gone.
bool root_state_is_hvs(svm::SvmVcpu& v) {
  const svm::VmcbSave& save = v.vmcb().save;
  const auto start = reinterpret_cast<uint64_t>(__hv_start);
  const auto end = reinterpret_cast<uint64_t>(__hv_end);
  return save.cr3 == x86::read_cr3() && save.rip >= start && save.rip < end;
}

[[noreturn]] void root_state_lost(PerCpu& cpu, svm::SvmVcpu& v, const VcpuExit& e) {
  const svm::VmcbControl& c = v.vmcb().control;
  log::error(
      "root partition on cpu %u: the CPU saved hv's own state as the root's at #VMEXIT "
      "(rip 0x%lx, hv's CR3), which SVM never does; the root cannot go on",
      cpu.index, v.rip());
  log::error("exit %s (code 0x%lx) info1 0x%lx info2 0x%lx intinfo 0x%lx", exit_kind_name(e.kind),
             e.raw_code, c.exit_info1, c.exit_info2, c.exit_int_info);
  log::milestone(rootstock::milestone::Writer("panic")
                     .field("component", "hv")
                     .field("reason", "root-state-lost"));
  power_off(state().config.power, RunResult::kFailed);
}

}  // namespace

bool root_init_pending(const PerCpu& cpu) {
  return __atomic_load_n(&state().ap_state[cpu.index].init_received, __ATOMIC_ACQUIRE) != 0;
}

void run_root_vcpu(PerCpu& cpu, svm::SvmVcpu& v) {
  // The APIC is in the mode the firmware left (main.cpp restored it); every later switch is
  // the root's WRMSR, which hv makes itself (write_apic_base).
  cpu.root_x2apic = (x86::rdmsr(x86::Msr::kApicBase) & x86::apic_base::kX2apicEnable) != 0 ? 1 : 0;
  ApStartState& st = state().ap_state[cpu.index];
  st.init_received = 0;
  __atomic_store_n(&st.running, 1u, __ATOMIC_RELEASE);
  for (;;) {
    // GIF stays clear from the flush check to VMRUN: an NMI asking this CPU to flush (which it
    // acknowledges at once) waits and makes the entry exit before the root runs an instruction
    // with a translation the requester has just removed (cpu/tlb_shootdown.hpp).
    asm volatile("clgi" ::: "memory");
    before_root_entry(cpu, v);
    const VcpuExit e = v.run();
    ++counter(cpu, e.kind);
    if (root_state_is_hvs(v)) root_state_lost(cpu, v, e);
    switch (e.kind) {
      case ExitKind::kCpuid:
        handle_cpuid(v);
        break;
      case ExitKind::kMsrRead:
      case ExitKind::kMsrWrite:
        handle_msr(cpu, v, e.kind == ExitKind::kMsrWrite);
        break;
      case ExitKind::kIo:
        handle_io(v, e.io);
        break;
      case ExitKind::kNestedPageFault:
        handle_npf(cpu, v, e.npf);
        break;
      case ExitKind::kHypercall:
        // Only the root's kernel in 64-bit mode may call (docs/hypercalls.md §2).
        if (v.vmcb().save.cpl != 0 || (v.vmcb().save.efer & x86::efer::kLma) == 0 ||
            (v.vmcb().save.cs.attrib & svm::seg_attr::kLong) == 0) {
          v.inject_exception(kVectorUd, false, 0);
        } else {
          handle_hypercall(cpu, v);
        }
        break;
      case ExitKind::kNmi:
        break;  // taken by hv's NMI handler as the exit ended (cpu/tlb_shootdown.hpp); an
                // INIT that came with it is handled before the next entry
      case ExitKind::kShutdown:
        root_triple_fault(cpu, v);
      case ExitKind::kUnhandled:
        if (e.raw_code >= 0x80 && e.raw_code <= 0x86) {
          v.inject_exception(kVectorUd, false, 0);  // SVM instructions: the root has no SVM
          break;
        }
        [[fallthrough]];
      default:
        panic("root vCPU on cpu %u: unexpected exit %s (code 0x%lx) at rip 0x%lx", cpu.index,
              exit_kind_name(e.kind), e.raw_code, v.rip());
    }
  }
}

}  // namespace hv::root
