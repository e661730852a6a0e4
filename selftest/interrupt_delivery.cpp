// The `interrupt-delivery` self-test (rootstock.selftest=interrupt-delivery): a child takes a few
// hundred LAPIC timer interrupts whose handler spins with IF clear (payload irq64,
// selftest/payloads/test_device.h). Each must be delivered exactly once and never while IF is clear
// — the invariant whose breach made Linux children run an interrupt handler on the user's GS base
// and double-fault (docs/hypercalls.md §10). Under QEMU's single-threaded TCG, EVENTINJ-injected
// interrupts failed it within one run (about 10 extra deliveries in 250). Then two NMIs, the
// second sent from the first one's handler: it must wait for that handler's IRET.
#include <chrono>
#include <string>

#include "selftest/payloads/payload_vm.hpp"
#include "selftest/selftests.hpp"
#include "vmm/exit_report.hpp"
#include "vmm/hvroot_backend.hpp"
#include "vmm/tsc_frequency.hpp"

namespace rootstock::selftest {
namespace {

using payloads::PayloadKind;
using payloads::PayloadVm;

constexpr uint32_t kInterrupts = 250;
constexpr uint32_t kPayloadId = 11;
// Longer than the root's tick (4 ms at HZ=250): an interrupt delivered twice shows up in the
// handler whatever made the CPU deliver it again, before the next exit would have stopped it.
constexpr uint64_t kHandlerSpinMs = 10;
constexpr uint64_t kSumBytes = uint64_t{1} << 20;  // irq64 does not checksum; the VM needs one

void check_delivery(vmm::Backend& backend, SelftestResult& r) {
  const uint64_t tsc_khz = vmm::measure_tsc_khz();
  const uint64_t spin = tsc_khz * kHandlerSpinMs;
  if (tsc_khz == 0 || spin > UINT32_MAX) {
    return r.check(false, "no usable TSC frequency (" + std::to_string(tsc_khz) + " kHz)");
  }
  payloads::PayloadVmConfig config;
  config.kind = PayloadKind::kIrq64;
  config.id = kPayloadId;
  config.sum_size = kSumBytes;
  config.irq_count = kInterrupts;
  config.irq_spin_cycles = static_cast<uint32_t>(spin);
  auto vm = PayloadVm::create(backend, config);
  if (!vm) return r.check(false, "" + vmm::describe(vm.error()));
  const auto start = std::chrono::steady_clock::now();
  const auto exit = (*vm)->run();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  if (!exit) return r.check(false, "" + vmm::describe(exit.error()));
  const rs_run_page& page = (*vm)->vp().run_page();
  r.check(exit->kind == vmm::VpExit::Kind::kHalt,
          "irq64 ended with " + vmm::exit_report(*exit, page) + ", not halt");
  const auto& dev = (*vm)->device();
  for (const std::string& line : dev.lines()) r.note("interrupt-delivery: irq64 says: " + line);
  const payloads::IrqReport& irq = dev.irq_report();
  const uint64_t hv_taken = page.exit_stats[RS_STAT_INJECTED];
  r.check(irq.has_taken && irq.taken == kInterrupts,
          "the handler ran " + std::to_string(irq.taken) + " times for " +
              std::to_string(kInterrupts) + " timer interrupts");
  r.check(irq.has_nested && irq.nested == 0, "the handler was entered " +
                                                 std::to_string(irq.nested) +
                                                 " times while it ran with IF clear");
  r.check(irq.has_nmi_taken && irq.nmi_taken == 2,
          "the NMI handler ran " + std::to_string(irq.nmi_taken) + " times for 2 NMIs");
  r.check(irq.has_nmi_nested && irq.nmi_nested == 0,
          "the second NMI entered the NMI handler before its IRET (" +
              std::to_string(irq.nmi_nested) + " nested)");
  r.check(hv_taken == kInterrupts, "hv counts " + std::to_string(hv_taken) +
                                       " interrupts taken, the LAPIC timer fired " +
                                       std::to_string(kInterrupts));
  r.check(dev.stray_accesses() == 0,
          "irq64 made " + std::to_string(dev.stray_accesses()) + " accesses the device lacks");
  r.note("interrupt-delivery: " + std::to_string(kInterrupts) +
         " LAPIC timer interrupts, handler spinning " + std::to_string(kHandlerSpinMs) +
         " ms with IF clear: taken=" + std::to_string(irq.taken) +
         " nested=" + std::to_string(irq.nested) + " hv-taken=" + std::to_string(hv_taken) +
         "; 2 NMIs, the second sent in the first one's handler: taken=" +
         std::to_string(irq.nmi_taken) + " nested=" + std::to_string(irq.nmi_nested) +
         " exits=" + std::to_string((*vm)->vp().handled_exits()) + " ms=" + std::to_string(ms));
}

}  // namespace

void selftest_interrupt_delivery(SelftestContext&, SelftestResult& r) {
  auto backend = vmm::open_hvroot();
  r.check(backend.has_value(), backend ? "" : vmm::describe(backend.error()));
  if (!backend) return;
  check_delivery(**backend, r);
}

}  // namespace rootstock::selftest
