// The child's interrupt controller on SVM: event injection before each entry, interrupt
// windows, HLT, INIT and STARTUP, and the exits for the LAPIC's MSRs and the xAPIC and I/O APIC
// pages (docs/hypercalls.md "Child interrupts"; AMD APM vol. 2, 15.20 "Event Injection" and
// 15.21 "Interrupt and Local APIC Support").
#include <rootstock/x86/emulate.hpp>

#include "arch/x86/cpu.hpp"
#include "arch/x86/msr.hpp"
#include "arch/x86/svm/svm_child.hpp"
#include "console/log.hpp"
#include "partition/child_interrupts.hpp"
#include "root/child_run_state.hpp"
#include "root/hypercalls.hpp"
#include "vcpu/decoder_state.hpp"

extern "C" void* memset(void* dst, int c, __SIZE_TYPE__ n);

namespace hv::root {
namespace {

namespace dx = rootstock::x86;
using namespace svm::int_ctl;

constexpr uint64_t kRflagsIf = 1ull << 9;
constexpr uint64_t kLow32 = 0xffffffffull;
constexpr uint64_t kPageMask = 0xfff;
constexpr uint8_t kVectorNmi = 2;
constexpr unsigned kLoggedDecodeFailures = 8;

unsigned g_decode_failures = 0;  // a log line per failure up to kLoggedDecodeFailures

uint32_t vp_index(const Run& r) {
  return static_cast<uint32_t>(r.ticket.vp - r.ticket.partition->vps);
}

// INIT (SDM vol. 3A, 10.1 table 10-1, 11.4.7.3): the registers as after RESET, except that
// the TSC keeps counting; the LAPIC was reset when the INIT arrived.
void reset_for_init(Run& r) {
  const uint64_t tsc_offset = r.vmcb.control.tsc_offset;
  Partition& p = *r.ticket.partition;
  memset(&r.vmcb, 0, sizeof(r.vmcb));
  child_arch().reset(&r.vmcb, p.npt.root(), vp_index(r) == 0);
  r.vmcb.control.tsc_offset = tsc_offset;
  r.ticket.vp->regs = GuestRegisters{};
  x86::clear_child_breakpoints(r.ticket.vp->context);
  r.ticket.vp->nmi_blocked = false;  // the VMCB's IRET intercept went with the reset
  r.entry_vtpr = 0;
  r.window_requested = false;
}

// A STARTUP IPI (SDM vol. 3A, 9.4.4.1): real mode at vector:0000, i.e. CS = vector << 8.
void start_at_sipi(Run& r, uint8_t vector) {
  svm::VmcbSave& s = r.vmcb.save;
  s.cs.selector = static_cast<uint16_t>(vector << 8);
  s.cs.base = uint64_t{vector} << 12;
  s.rip = 0;
  r.vmcb.control.clean_bits = 0;
}

// The LAPIC's highest deliverable vector goes to the CPU as a virtual interrupt (APM vol. 2,
// 15.21.4): the CPU delivers it as soon as the child's RFLAGS.IF and interrupt shadow allow,
// without a window exit, and holds it while V_TPR is at or above its priority class. Not
// EVENTINJ: QEMU's TCG delivers an injected external interrupt at VMRUN but leaves it behind as
// a pending exception, which it delivers a second time if its CPU loop is asked to exit (another
// vCPU's turn, an I/O event) before the next #VMEXIT or exception — in the middle of the first
// delivery's handler, with IF clear; a Linux child then runs its handler on the user's GS base
// and double-faults. V_IRQ delivery has no such state.
void offer_vector(Run& r, uint8_t vector) {
  svm::VmcbControl& c = r.vmcb.control;
  // V_IRQ set by VP_INJECT (a 1.0 virtual interrupt) is the CPU's to deliver first.
  if ((c.int_control & kVIrq) != 0) return;
  c.int_control = (c.int_control & ~(kVIntrPrioMax | kVIgnTpr | kVIntrVectorMask)) | kVIrq |
                  (uint64_t{vector} >> 4 << kVIntrPrioShift) |
                  (uint64_t{vector} << kVIntrVectorShift);
  r.vector_offered = true;
  r.offered_vector = vector;
}

void request_window(Run& r) {
  svm::VmcbControl& c = r.vmcb.control;
  // V_IRQ set by VP_INJECT (a 1.0 virtual interrupt) is the CPU's to deliver: no window then.
  if ((c.int_control & kVIrq) != 0) return;
  c.int_control |= kVIrq | kVIntrPrioMax | kVIgnTpr;
  c.intercept3 |= svm::intercept3::kVintr;
  r.window_requested = true;
}

// Under the irq lock: the VP leaves the loop; kicks no longer reach it, the root wakes it.
void leave_locked(Run& r) {
  ChildVp& vp = *r.ticket.vp;
  vp.in_guest = false;
  const uint64_t deadline = vp.lapic.next_deadline_tsc();
  vp.published_deadline = deadline;
  r.ticket.run_page->timer_deadline_tsc = deadline;
  r.ticket.run_page->wake_vps = r.wake;
}

// Under the irq lock: what a LAPIC register write asked for besides its own state change.
void dispatch_actions(Run& r, const LapicActions& actions) {
  Partition& p = *r.ticket.partition;
  uint64_t reached = 0;
  if (actions.send_ipi) reached |= route_interrupt(p, actions.ipi, static_cast<int>(vp_index(r)));
  if (actions.eoi.valid) reached |= broadcast_eoi(p, actions.eoi);
  r.wake |= kick_reached(p, reached, hv_machine(), r.cpu.index);
}

// One register of the xAPIC page or the I/O APIC window, read or written under the irq lock.
struct MmioTarget {
  bool xapic = false;  ///< the LAPIC's page; else the I/O APIC's window
  uint32_t offset = 0;
};

uint32_t mmio_read(Run& r, const MmioTarget& t, uint8_t size, uint64_t now) {
  uint32_t value = 0;
  if (t.xapic) {
    (void)r.ticket.vp->lapic.mmio_read(t.offset, size, now, value);  // a failed read reads 0
  } else if (r.ticket.partition->ioapic.mmio_read(t.offset, size, value) != IoApicStatus::kOk) {
    value = ~0u;  // the I/O APIC's failed reads read all ones (vioapic.hpp)
  }
  return value;
}

void mmio_write(Run& r, const MmioTarget& t, uint8_t size, uint32_t value, uint64_t now) {
  Partition& p = *r.ticket.partition;
  if (t.xapic) {
    LapicActions actions;
    if (r.ticket.vp->lapic.mmio_write(t.offset, size, value, now, actions) == LapicStatus::kOk) {
      dispatch_actions(r, actions);
    }
    return;
  }
  p.reached = 0;
  (void)p.ioapic.mmio_write(t.offset, size, value);  // a failed write is dropped
  r.wake |= kick_reached(p, p.reached, hv_machine(), r.cpu.index);
}

}  // namespace

void enter_guest_loop(Run& r) {
  ChildVp& vp = *r.ticket.vp;
  SpinlockGuard irq(r.ticket.partition->irq_lock);
  vp.in_guest = true;
  vp.cpu = r.cpu.index;
  r.armed_deadline = vp.published_deadline;
  r.entry_vtpr = r.vmcb.control.int_control & kVTprMask;
}

EntryDecision prepare_entry(Run& r) {
  Partition& p = *r.ticket.partition;
  ChildVp& vp = *r.ticket.vp;
  svm::VmcbControl& c = r.vmcb.control;
  SpinlockGuard irq(p.irq_lock);
  if (vp.init_pending) {
    reset_for_init(r);
    vp.init_pending = false;
  }
  if (vp.sipi_pending) {
    start_at_sipi(r, vp.sipi_vector);
    vp.sipi_pending = false;
  }
  if (vp.activity == RS_ACTIVITY_WAIT_FOR_SIPI) {
    r.ticket.run_page->halt_state = RS_HALT_WAIT_FOR_SIPI;
    leave_locked(r);
    return EntryDecision::kWaitForSipi;
  }
  // The child's MOV to CR8 since the last entry changed V_TPR only (APM 15.21.3).
  const uint64_t vtpr = c.int_control & kVTprMask;
  if (vtpr != r.entry_vtpr) (void)vp.lapic.set_cr8(vtpr);
  vp.lapic.set_tsc_offset(c.tsc_offset);
  const uint64_t now = x86::rdtsc();
  (void)vp.lapic.advance(now);
  // The root's timer for this VP must fire no later than the LAPIC's next expiry; when it
  // would, or has already fired, the root re-arms it first (a return without an exit).
  const uint64_t deadline = vp.lapic.next_deadline_tsc();
  if (deadline != 0 &&
      (r.armed_deadline == 0 || deadline < r.armed_deadline || r.armed_deadline <= now)) {
    ++r.stats[RS_STAT_TIMER_REARM];
    leave_locked(r);
    return EntryDecision::kRearmTimer;
  }
  const bool event_pending = (c.event_inject & svm::event_inj::kValid) != 0;
  if (vp.nmi_pending && !vp.nmi_blocked && !event_pending) {
    // Delivering an NMI blocks the next until an IRET (SDM vol. 3A, 6.7.1): the IRET
    // intercept says when the child gets there (end_nmi_blocking()).
    c.event_inject = svm::event_inj::kValid | svm::event_inj::kTypeNmi | kVectorNmi;
    vp.nmi_pending = false;
    vp.nmi_blocked = true;
    c.intercept3 |= svm::intercept3::kIret;
  } else if (vp.nmi_pending && !vp.nmi_blocked) {
    request_window(r);  // the NMI follows the event on its way (re-delivery, an exception)
  }
  uint8_t vector = 0;
  if (!r.window_requested && vp.lapic.highest_deliverable(vector)) offer_vector(r, vector);
  c.int_control = (c.int_control & ~kVTprMask) | vp.lapic.cr8();
  r.entry_vtpr = vp.lapic.cr8();
  return EntryDecision::kEnter;
}

void after_exit(Run& r) {
  svm::VmcbControl& c = r.vmcb.control;
  uint64_t redeliver = (c.exit_int_info & svm::event_inj::kValid) != 0 ? c.exit_int_info : 0;
  if (r.window_requested) {
    c.int_control &= ~(kVIrq | kVIntrPrioMax | kVIgnTpr);
    c.intercept3 &= ~svm::intercept3::kVintr;
    r.window_requested = false;
  }
  if (r.vector_offered) {
    r.vector_offered = false;
    if ((c.int_control & kVIrq) != 0) {
      // Not taken (IF was clear, or the exit came first): withdrawn; the next entry offers
      // whatever is then the highest. QEMU leaves V_IRQ set when the delivery it began was cut
      // short by the exit and reports that delivery in EXITINTINFO as well: the offer covers
      // it, so it is not delivered a second time through EVENTINJ.
      c.int_control &= ~(kVIrq | kVIntrPrioMax | kVIntrVectorMask);
      if ((redeliver & 0xff) == r.offered_vector) redeliver = 0;
    } else {
      // Taken: the CPU acknowledged it as the LAPIC's INTA would (SDM vol. 3A, 11.8.4).
      SpinlockGuard irq(r.ticket.partition->irq_lock);
      (void)r.ticket.vp->lapic.on_delivered(r.offered_vector);
      ++r.stats[RS_STAT_INJECTED];
    }
  }
  // An event whose delivery the exit interrupted is delivered again (APM vol. 2, 15.7.2).
  c.event_inject = redeliver;
}

void end_nmi_blocking(Run& r) {
  SpinlockGuard irq(r.ticket.partition->irq_lock);
  r.ticket.vp->nmi_blocked = false;
  r.vmcb.control.intercept3 &= ~svm::intercept3::kIret;
}

bool halt_continues(Run& r) {
  ChildVp& vp = *r.ticket.vp;
  SpinlockGuard irq(r.ticket.partition->irq_lock);
  (void)vp.lapic.advance(x86::rdtsc());
  const bool if_set = (r.vmcb.save.rflags & kRflagsIf) != 0;
  uint8_t vector = 0;
  if ((vp.nmi_pending && !vp.nmi_blocked) || vp.init_pending || vp.sipi_pending ||
      (if_set && vp.lapic.highest_deliverable(vector))) {
    return true;
  }
  r.ticket.run_page->halt_state = if_set ? RS_HALT_INTERRUPTIBLE : RS_HALT_DISABLED;
  leave_locked(r);
  return false;
}

void leave_guest_loop(Run& r) {
  SpinlockGuard irq(r.ticket.partition->irq_lock);
  leave_locked(r);
}

void handle_lapic_msr(Run& r, uint32_t msr, bool write) {
  ChildVp& vp = *r.ticket.vp;
  svm::VmcbSave& s = r.vmcb.save;
  GuestRegisters& g = vp.regs;
  LapicStatus status = LapicStatus::kOk;
  {
    SpinlockGuard irq(r.ticket.partition->irq_lock);
    vp.lapic.set_tsc_offset(r.vmcb.control.tsc_offset);
    const uint64_t now = x86::rdtsc();
    if (write) {
      LapicActions actions;
      status = vp.lapic.msr_write(msr, (g.rdx << 32) | (s.rax & kLow32), now, actions);
      if (status == LapicStatus::kOk) dispatch_actions(r, actions);
    } else {
      uint64_t value = 0;
      status = vp.lapic.msr_read(msr, now, value);
      if (status == LapicStatus::kOk) {
        s.rax = value & kLow32;
        g.rdx = value >> 32;
      }
    }
  }
  if (status != LapicStatus::kOk) {
    inject_gp(r);  // x2APIC MSRs and IA32_APIC_BASE fault (SDM 11.12.1.3, 11.12.5)
    return;
  }
  skip_instruction(r, kLenMsr);
}

bool handle_interrupt_mmio(Run& r, uint64_t gpa) {
  Partition& p = *r.ticket.partition;
  ChildVp& vp = *r.ticket.vp;
  const uint64_t page = gpa & ~kPageMask;
  MmioTarget target;
  target.offset = static_cast<uint32_t>(gpa & kPageMask);
  {
    SpinlockGuard irq(p.irq_lock);
    target.xapic = vp.lapic.mode() == LapicMode::kXapic && page == vp.lapic.mmio_base();
  }
  if (!target.xapic && page != ioapic::kDefaultBase) return false;
  ++r.stats[target.xapic ? RS_STAT_XAPIC_MMIO : RS_STAT_IOAPIC_MMIO];
  uint8_t bytes[16];
  const uint8_t count = fetch_instruction(r, bytes);
  // Nothing readable at RIP: another VP changed the child's page tables since the access. The
  // access runs again (and exits again, or the child takes its own page fault fetching it).
  if (count == 0) return true;
  svm::VmcbSave& s = r.vmcb.save;
  dx::DecodedAccess a;
  const dx::DecodeStatus decoded = dx::decode(bytes, count, decoder_mode(s.efer, s.cs.attrib), a);
  if (decoded != dx::DecodeStatus::kOk) {
    // Not a plain load or store: the child gets a #GP rather than a guessed access.
    if (g_decode_failures++ < kLoggedDecodeFailures) {
      log::warn("child %s access at rip 0x%lx cannot be emulated: %s; #GP to the child",
                target.xapic ? "xAPIC" : "I/O APIC", s.rip, dx::describe(decoded));
    }
    inject_gp(r);
    return true;
  }
  dx::Gprs gprs = decoder_gprs(vp.regs, s.rax, s.rsp);
  {
    SpinlockGuard irq(p.irq_lock);
    vp.lapic.set_tsc_offset(r.vmcb.control.tsc_offset);
    const uint64_t now = x86::rdtsc();
    if (a.kind == dx::DecodedAccess::Kind::kWrite) {
      mmio_write(r, target, a.size, static_cast<uint32_t>(dx::store_value(a, gprs)), now);
    } else {
      const uint64_t loaded = mmio_read(r, target, a.size, now);
      const uint64_t stored = dx::complete_load(a, loaded, gprs, s.rflags);
      if (a.kind == dx::DecodedAccess::Kind::kReadModifyWrite) {
        mmio_write(r, target, a.size, static_cast<uint32_t>(stored), now);
      }
    }
  }
  store_decoder_gprs(gprs, vp.regs, s.rax, s.rsp);
  skip_instruction(r, a.length);
  return true;
}

}  // namespace hv::root
