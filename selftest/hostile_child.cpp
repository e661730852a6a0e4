// The `hostile-child` self-test (rootstock.selftest=hostile-child): payload hostile64
// (selftest/payloads/hostile64.S, test_device.h) tries what a child must not do to the host or
// learn of it, twice in a row on one CPU, while a sibling child checksums memory on another thread:
//   - CR4.PKE and CR4.VMXE are refused (#GP), RDPMC reads no host counter, INVLPGA, VMLOAD and
//     STGI are #UD (docs/hypercalls.md §8);
//   - DR0-DR3 are the child's own: what the first run left there is not what the second finds,
//     and they survive its exits to the VMM;
//   - RDTSCP returns the child's IA32_TSC_AUX, not the root's CPU number;
//   - a bad XSETBV is #GP; a 15-byte store to the xAPIC page is emulated, also when its bytes
//     straddle two pages, and a 16-byte one is #GP;
//   - a periodic LAPIC timer of one tick runs at most every 200 µs and the child goes on;
//   - a flood of self-IPIs is taken one for one;
//   - a storm of random x2APIC MSR and I/O APIC register accesses leaves the child running;
//   - a STARTUP to itself while it runs is ignored, and an INIT to itself (the bootstrap VP;
//     in the second run an INIT from its AP on another CPU, which it started with INIT and
//     STARTUP) restarts it at the reset vector in the RESET state: real16 runs there from its
//     ROM, reads the MMIO window in real mode and checksums the range in protected mode;
// and afterwards the sibling's checksum is right and hv's invariants hold.
#include <sched.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "selftest/hex.hpp"
#include "selftest/memory_figures.hpp"
#include "selftest/payloads/payload_vm.hpp"
#include "selftest/payloads/test_device.h"
#include "selftest/selftests.hpp"
#include "vmm/exit_report.hpp"
#include "vmm/hvroot_backend.hpp"
#include "vmm/kick.hpp"
#include "vmm/tsc_frequency.hpp"

namespace rootstock::selftest {
namespace {

using payloads::PayloadKind;
using payloads::PayloadVm;
using payloads::ProbeReport;

constexpr uint32_t kIpis = 2000;
constexpr uint64_t kSiblingBytes = uint64_t{16} << 20;
// KVM's min_timer_period_us, which hv applies too (hv/root/hypercalls.cpp).
constexpr uint64_t kMinTimerPeriodUs = 200;

struct Expect {
  uint32_t probe;
  uint64_t value;
  const char* what;
};

// The probes with one right answer.
constexpr Expect kExact[] = {
    {HOSTILE_PROBE_CR4_PKE, 13, "MOV to CR4 with PKE: expected #GP (13)"},
    {HOSTILE_PROBE_CR4_VMXE, 13, "MOV to CR4 with VMXE: expected #GP (13)"},
    {HOSTILE_PROBE_RDPMC_FAULT, HOSTILE_NO_FAULT, "RDPMC at CPL 0: expected no fault"},
    {HOSTILE_PROBE_RDPMC_VALUE, 0, "RDPMC: expected 0, not a host counter"},
    {HOSTILE_PROBE_INVLPGA, 6, "INVLPGA: expected #UD (6)"},
    {HOSTILE_PROBE_VMLOAD, 6, "VMLOAD: expected #UD (6)"},
    {HOSTILE_PROBE_STGI, 6, "STGI: expected #UD (6)"},
    {HOSTILE_PROBE_DR0, 0, "DR0 at the start: expected 0 (not what another run left)"},
    {HOSTILE_PROBE_DR_KEPT, 1, "DR0-DR3 set by the child: expected them back after an exit"},
    {HOSTILE_PROBE_TSC_AUX, HOSTILE_TSC_AUX, "RDTSCP: expected the child's IA32_TSC_AUX"},
    {HOSTILE_PROBE_XSETBV, 13, "XSETBV of XCR0 = 0: expected #GP (13)"},
    {HOSTILE_PROBE_XAPIC_LONG, HOSTILE_TPR, "TPR after a 15-byte store: expected 0x20"},
    {HOSTILE_PROBE_TOO_LONG, 13, "a 16-byte instruction: expected #GP (13)"},
    {HOSTILE_PROBE_XAPIC_CROSSING, HOSTILE_TPR_CROSSING,
     "TPR after a store straddling two pages: expected 0x30"},
    {HOSTILE_PROBE_IPIS, kIpis, "self-IPIs taken: expected every one"},
    {HOSTILE_PROBE_STORM, HOSTILE_STORM_ACCESSES,
     "random x2APIC MSR and I/O APIC accesses: expected every one made"},
    {HOSTILE_PROBE_DONE, 0x600d, "the payload did not get to its end"},
    {HOSTILE_PROBE_SIPI_SELF, 1, "a STARTUP to itself while running: expected it ignored"},
};

// One run of hostile64; `with_ap`: with a second VP, which the payload starts and which sends
// the final INIT to it from another CPU (its thread is not pinned).
void run_hostile(vmm::Backend& backend, unsigned run, uint32_t tsc_khz, bool with_ap,
                 SelftestResult& r) {
  const std::string name = "hostile64 run " + std::to_string(run);
  const std::string init = with_ap ? "an INIT from its AP" : "an INIT to itself";
  payloads::PayloadVmConfig config;
  config.kind = PayloadKind::kHostile64;
  config.id = 30 + run;
  config.sum_size = uint64_t{1} << 20;
  config.irq_count = kIpis;
  config.tsc_khz = tsc_khz;
  config.ap = with_ap;
  auto vm = PayloadVm::create(backend, config);
  if (!vm) return r.check(false, name + ": " + vmm::describe(vm.error()));
  std::optional<vmm::Result<vmm::VpExit>> ap_exit;
  std::thread ap;
  if (with_ap) {
    if (auto k = vmm::install_kick_handler(); !k) {
      return r.check(false, name + ": " + vmm::describe(k.error()));
    }
    ap = std::thread([&vm, &ap_exit] {
      cpu_set_t all;
      CPU_ZERO(&all);
      for (unsigned i = 0; i < CPU_SETSIZE; ++i) CPU_SET(i, &all);
      (void)::sched_setaffinity(0, sizeof(all), &all);
      ap_exit = (*vm)->run_ap();
    });
  }
  const auto start = std::chrono::steady_clock::now();
  const auto exit = (*vm)->run();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  if (with_ap) {
    // The AP halts in hv for good once it sent the INIT: it is stopped from here.
    (*vm)->stop_ap(ap.native_handle());
    ap.join();
    const bool stopped = ap_exit && *ap_exit && (*ap_exit)->kind == vmm::VpExit::Kind::kStopped;
    r.check(
        stopped,
        name + ": the AP " +
            (!ap_exit || !*ap_exit
                 ? std::string("failed: ") + (ap_exit ? vmm::describe(ap_exit->error()) : "no exit")
                 : "ended with " + vmm::exit_report(**ap_exit, (*vm)->ap_vp().run_page()) +
                       ", not halted in hv until stopped"));
  }
  if (!exit) return r.check(false, name + ": " + vmm::describe(exit.error()));
  const auto& dev = (*vm)->device();
  for (const std::string& line : dev.lines()) r.note("hostile-child: " + line);
  r.check(exit->kind == vmm::VpExit::Kind::kHalt,
          name + " ended with " + vmm::exit_report(*exit, (*vm)->vp().run_page()) + ", not halt");
  const ProbeReport& p = dev.probes();
  for (const Expect& e : kExact) {
    r.check(
        p.has[e.probe] && p.value[e.probe] == e.value,
        name + ": " + e.what +
            (p.has[e.probe] ? ", got " + hex(p.value[e.probe]) : std::string(", not reported")));
  }
  r.check(!p.has[HOSTILE_PROBE_INIT_IGNORED],
          name + ": " + init + " did not restart the VP (the payload went on after it)");
  r.check(dev.has_mmio_seen() && dev.mmio_seen() == PAYLOAD_MMIO_READ_VALUE,
          name + ": after the INIT, real16's real-mode MMIO read: expected " +
              hex(PAYLOAD_MMIO_READ_VALUE) + ", got " +
              (dev.has_mmio_seen() ? hex(dev.mmio_seen()) : std::string("nothing")));
  r.check(dev.has_checksum() && dev.checksum() == (*vm)->expected_checksum(),
          name + ": after the INIT, real16's checksum: expected " +
              hex((*vm)->expected_checksum()) + ", got " +
              (dev.has_checksum() ? hex(dev.checksum()) : std::string("nothing")));
  // At most one interrupt per 200 µs of the 50 ms (and the first after one tick); at least a
  // few, or the timer never ran.
  const uint64_t most = HOSTILE_TIMER_MS * 1000 / kMinTimerPeriodUs + 2;
  const uint64_t timer = p.value[HOSTILE_PROBE_TIMER];
  r.check(p.has[HOSTILE_PROBE_TIMER] && timer >= 2 && timer <= most,
          name + ": a one-tick periodic timer fired " + std::to_string(timer) + " times in " +
              std::to_string(HOSTILE_TIMER_MS) + " ms (expected 2.." + std::to_string(most) + ")");
  r.check(dev.stray_accesses() == 0, name + ": " + std::to_string(dev.stray_accesses()) +
                                         " accesses to ports the device lacks");
  r.note("hostile-child: " + name + ": timer interrupts in " + std::to_string(HOSTILE_TIMER_MS) +
         " ms=" + std::to_string(timer) + " ipis=" + std::to_string(p.value[HOSTILE_PROBE_IPIS]) +
         " exits=" + std::to_string((*vm)->vp().handled_exits()) + " ms=" + std::to_string(ms));
}

}  // namespace

void selftest_hostile_child(SelftestContext&, SelftestResult& r) {
  auto opened = vmm::open_hvroot();
  r.check(opened.has_value(), opened ? "" : vmm::describe(opened.error()));
  if (!opened) return;
  vmm::Backend& backend = **opened;
  auto start = backend.check_invariants();
  if (!start) return r.check(false, vmm::describe(start.error()));
  const uint64_t tsc_khz = vmm::measure_tsc_khz();
  if (tsc_khz == 0 || tsc_khz > UINT32_MAX) {
    return r.check(false, "no usable TSC frequency (" + std::to_string(tsc_khz) + " kHz)");
  }

  // The sibling: a payload child that checksums memory while the hostile one runs.
  bool sibling_ok = false;
  std::string sibling_report;
  std::thread sibling([&] {
    payloads::PayloadVmConfig config;
    config.kind = PayloadKind::kLong64;
    config.id = 29;
    config.sum_size = kSiblingBytes;
    config.seed = 29;
    auto vm = PayloadVm::create(backend, config);
    if (!vm) {
      sibling_report = vmm::describe(vm.error());
      return;
    }
    auto exit = (*vm)->run();
    const auto& dev = (*vm)->device();
    sibling_ok = exit && exit->kind == vmm::VpExit::Kind::kHalt && dev.has_checksum() &&
                 dev.checksum() == (*vm)->expected_checksum();
    sibling_report = exit ? vmm::exit_report(*exit, (*vm)->vp().run_page()) + " checksum " +
                                hex(dev.checksum()) + " expected " + hex((*vm)->expected_checksum())
                          : vmm::describe(exit.error());
  });

  // Both hostile runs on one CPU: the second would find in DR0-DR3 what the first left there
  // if hv did not keep each child's own.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  r.check(::sched_setaffinity(0, sizeof(one), &one) == 0, "cannot pin the test to cpu 0");
  run_hostile(backend, 1, static_cast<uint32_t>(tsc_khz), false, r);
  run_hostile(backend, 2, static_cast<uint32_t>(tsc_khz), true, r);
  cpu_set_t all;
  CPU_ZERO(&all);
  for (unsigned i = 0; i < CPU_SETSIZE; ++i) CPU_SET(i, &all);
  (void)::sched_setaffinity(0, sizeof(all), &all);

  sibling.join();
  r.check(sibling_ok, "the sibling child did not finish its checksum: " + sibling_report);
  auto end = backend.check_invariants();
  if (!end) return r.check(false, vmm::describe(end.error()));
  r.check(end->violations == 0, "hv reports " + std::to_string(end->violations) +
                                    " invariant violations, first " +
                                    invariant_name(end->first_violation));
  r.note("hostile-child: sibling: " + sibling_report + "; " + frame_counts_text(*end));
}

}  // namespace rootstock::selftest
