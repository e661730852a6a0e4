// VP_RUN's guest phase as the stress test simulates it (root_cpu.hpp): between begin_run() and
// end_run() (both in hypercall::dispatch's run_vp) the CPU owns the VP's state page and run page
// and meets other CPUs only where hv's guest loop does: under the partition's irq_lock to enter
// and leave the loop and for every LAPIC and I/O APIC access (root/child_interrupt_exits.cpp),
// and under the partitions' lock for an instruction fetch (Partitions::read_child).
#include <thread>

#include "arch/x86/svm/vmcb.hpp"
#include "partition/child_interrupts.hpp"
#include "root_cpu.hpp"

namespace stress {
namespace {

namespace icr = hv::apic::icr;
namespace rte = hv::ioapic::rte;

uint32_t reg(hv::apic::Reg r) {
  return static_cast<uint32_t>(r);
}
uint32_t window(hv::ioapic::Mmio r) {
  return static_cast<uint32_t>(r);
}
// IOREDTBL registers behind IOREGSEL (82093AA datasheet 3.2.4): pin n is 10h + 2n, 11h + 2n.
uint32_t redirection_low(uint32_t pin) {
  return 0x10 + 2 * pin;
}

}  // namespace

uint16_t RootCpu::run_hook(void* self, const hv::RunTicket& ticket, hv::LastExit& exit) {
  return static_cast<RootCpu*>(self)->guest(ticket, exit);
}

uint16_t RootCpu::guest(const hv::RunTicket& t, hv::LastExit& exit) {
  hv::Partition& p = *t.partition;
  hv::ChildVp& vp = *t.vp;
  ++guest_stats.entries;
  {
    // enter_guest_loop(): kicks reach this CPU from now on.
    hv::SpinlockGuard irq(p.irq_lock);
    vp.in_guest = true;
    vp.cpu = index_;
  }
  // VMRUN took the queued event (APM vol. 2, 15.20): EVENTINJ is the CPU's, then clear.
  static_cast<hv::svm::Vmcb*>(t.state)->control.event_inject = 0;
  uint64_t wake = 0;
  const uint64_t rounds = 1 + pick(6);
  for (uint64_t i = 0; i < rounds; ++i) guest_step(t, wake);
  {
    // leave_locked(): the VP leaves the loop and publishes its timer.
    hv::SpinlockGuard irq(p.irq_lock);
    vp.in_guest = false;
    const uint64_t deadline = vp.lapic.next_deadline_tsc();
    vp.published_deadline = deadline;
    t.run_page->timer_deadline_tsc = deadline;
    t.run_page->wake_vps = wake;
  }
  complete_exit(t, exit);
  return exit.reason == RS_EXIT_NONE ? RS_STATUS_INTERRUPTED : RS_STATUS_SUCCESS;
}

void RootCpu::guest_step(const hv::RunTicket& t, uint64_t& wake) {
  hv::Partition& p = *t.partition;
  hv::ChildVp& vp = *t.vp;
  const int self = static_cast<int>(&vp - p.vps);
  tsc_ += 1000;
  // What a LAPIC write asked for besides its own change (dispatch_actions()).
  auto act = [&](const hv::LapicActions& a) {
    uint64_t reached = 0;
    if (a.send_ipi) reached |= hv::route_interrupt(p, a.ipi, self);
    if (a.eoi.valid) reached |= hv::broadcast_eoi(p, a.eoi);
    wake |= hv::kick_reached(p, reached, shared_.world.machine, index_);
  };
  auto lapic_write = [&](hv::apic::Reg r, uint32_t value) {
    hv::LapicActions a;
    if (vp.lapic.mmio_write(reg(r), 4, value, tsc_, a) == hv::LapicStatus::kOk) act(a);
  };
  switch (pick(8)) {
    case 0: {  // the child enables its LAPIC, sets its logical ID or its TPR
      hv::SpinlockGuard irq(p.irq_lock);
      lapic_write(hv::apic::Reg::kSvr, hv::apic::svr::kSoftwareEnable | hv::apic::svr::kVector);
      if (one_in(2)) lapic_write(hv::apic::Reg::kLdr, (1u << (24 + self % 8)));
      if (one_in(4)) lapic_write(hv::apic::Reg::kTpr, static_cast<uint32_t>(pick(3)) << 4);
      break;
    }
    case 1: {  // an IPI (SDM 11.6.1): fixed, lowest priority, NMI, INIT or STARTUP
      constexpr hv::IpiDelivery kModes[] = {
          hv::IpiDelivery::kFixed,          hv::IpiDelivery::kFixed, hv::IpiDelivery::kFixed,
          hv::IpiDelivery::kLowestPriority, hv::IpiDelivery::kNmi,   hv::IpiDelivery::kInit,
          hv::IpiDelivery::kStartup};
      const auto mode = static_cast<uint32_t>(kModes[pick(std::size(kModes))]);
      const auto shorthand = static_cast<uint32_t>(one_in(4) ? pick(4) : 0);
      const uint32_t low = static_cast<uint32_t>(32 + pick(224)) |
                           (mode << icr::kDeliveryModeShift) |
                           (one_in(4) ? icr::kDestinationLogical : 0u) | icr::kLevelAssert |
                           (shorthand << icr::kShorthandShift);
      hv::SpinlockGuard irq(p.irq_lock);
      lapic_write(hv::apic::Reg::kIcrHigh, static_cast<uint32_t>(pick(8))
                                               << icr::kXapicDestinationShift);
      lapic_write(hv::apic::Reg::kIcrLow, low);
      ++guest_stats.ipis;
      break;
    }
    case 2: {  // the CPU takes the highest deliverable vector, the handler ends with EOI
      hv::SpinlockGuard irq(p.irq_lock);
      uint8_t vector = 0;
      if (vp.lapic.highest_deliverable(vector)) {
        (void)vp.lapic.on_delivered(vector);
        ++guest_stats.deliveries;
      }
      if (one_in(2)) {
        lapic_write(hv::apic::Reg::kEoi, 0);
        ++guest_stats.eois;
      }
      break;
    }
    case 3: {  // an I/O APIC redirection entry (82093AA datasheet 3.2.4), unmasked
      const uint32_t pin = static_cast<uint32_t>(pick(RS_INTERRUPT_GSI_COUNT));
      const auto mode = static_cast<uint64_t>(one_in(4) ? hv::IoApicDeliveryMode::kLowestPriority
                                                        : hv::IoApicDeliveryMode::kFixed);
      const auto low = static_cast<uint32_t>((32 + pick(224)) | (mode << rte::kDeliveryModeShift) |
                                             (one_in(2) ? rte::kTriggerLevel : 0) |
                                             (one_in(8) ? rte::kMasked : 0));
      const auto high = static_cast<uint32_t>(pick(8) << (rte::kDestinationShift - 32));
      hv::SpinlockGuard irq(p.irq_lock);
      p.reached = 0;
      (void)p.ioapic.mmio_write(window(hv::ioapic::Mmio::kIoRegSel), 4, redirection_low(pin) + 1);
      (void)p.ioapic.mmio_write(window(hv::ioapic::Mmio::kIoWin), 4, high);
      (void)p.ioapic.mmio_write(window(hv::ioapic::Mmio::kIoRegSel), 4, redirection_low(pin));
      (void)p.ioapic.mmio_write(window(hv::ioapic::Mmio::kIoWin), 4, low);
      wake |= hv::kick_reached(p, p.reached, shared_.world.machine, index_);
      ++guest_stats.ioapic_writes;
      break;
    }
    case 4: {  // an instruction fetch for an exit: the child's memory under the lock
      uint8_t bytes[15];
      const uint64_t gpa = pick(512) * kPage + pick(kPage);
      const uint64_t len = 1 + pick(15);
      if (shared_.world.partitions->read_child(t, gpa, bytes, len)) ++guest_stats.child_reads;
      break;
    }
    case 5: {  // the child changes its registers: the state page is this CPU's while it runs
      rs_hc_register_value value{};
      value.scalar.value = rng_();
      shared_.world.arch.set_register(t.state, vp.regs, RS_REG_RAX, value);
      value.scalar.value = 0x1000 + pick(0x1000);
      shared_.world.arch.set_register(t.state, vp.regs, RS_REG_RIP, value);
      break;
    }
    default:  // the guest runs a while: other CPUs go on
      std::this_thread::yield();
      break;
  }
}

void RootCpu::complete_exit(const hv::RunTicket& t, hv::LastExit& exit) {
  exit = hv::LastExit{};
  switch (pick(16)) {
    case 0:
    case 1:
    case 2:
      break;  // RS_EXIT_NONE: INTERRUPTED by a physical interrupt
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
      exit.reason = RS_EXIT_IO;
      exit.instruction_length = static_cast<uint8_t>(1 + pick(2));
      exit.io_in = one_in(2);
      exit.io_size = static_cast<uint8_t>(1u << pick(3));
      break;
    case 8:
    case 9:
    case 10:
      exit.reason = RS_EXIT_HALT;
      exit.instruction_length = 1;
      break;
    case 11:
      // A shutdown exit: the VP is never entered again (another VP's IPI must still find it).
      exit.reason = shared_.shutdown_exits ? RS_EXIT_SHUTDOWN : RS_EXIT_HALT;
      break;
    default:
      exit.reason = RS_EXIT_MEMORY;
      break;
  }
  t.run_page->exit_reason = exit.reason;
  // The root's completion for the next VP_RUN (§7), written while this CPU still owns the run
  // page: mostly valid; now and then one the next VP_RUN refuses (the VP then stays refused
  // until it is destroyed, as on hardware).
  uint32_t completion =
      exit.instruction_length != 0 && one_in(2) ? RS_RUN_COMPLETE_ADVANCE : RS_RUN_COMPLETE_NONE;
  if (one_in(128)) completion = 7;
  t.run_page->completion = completion;
  t.run_page->root_flags = one_in(4) ? RS_RUN_LOAD_REGS : 0;  // end_run() publishes valid regs
  if (one_in(256)) t.run_page->reserved3[pick(7)] = 1;
  if (exit.reason == RS_EXIT_IO) t.run_page->exit.io.data = rng_();
}

}  // namespace stress
