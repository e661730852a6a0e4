// The `partitions` self-test (rootstock.selftest=partitions): the VMM library against the real
// hvroot driver and hv (DESIGN.md §4, docs/hypercalls.md). It shows that
//   - four children run at once, on four threads: each prints its id through port I/O, reads
//     and writes an MMIO window the VMM decodes, and returns the checksum of 64 MiB the VMM
//     filled, which must equal the VMM's own (payloads real16 and long64, selftest/payloads/);
//   - 1000 cycles of create, map, create a VP, run it briefly and destroy leave the root's free
//     memory and hv's frame counts where they were;
//   - a VMM process killed with SIGKILL while it holds a partition loses it: the partition is
//     gone and every frame is back.
// Needs /dev/hvroot (the hvroot module loaded) and memory for 4 × 64 MiB children.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "selftest/memory_figures.hpp"
#include "selftest/partition_cycles.hpp"
#include "selftest/payloads/payload_device.hpp"
#include "selftest/payloads/payload_vm.hpp"
#include "selftest/payloads/test_device.h"
#include "selftest/selftests.hpp"
#include "vmm/exit_report.hpp"
#include "vmm/guest_memory.hpp"
#include "vmm/hvroot_backend.hpp"
#include "vmm/kick.hpp"
#include "vmm/partition.hpp"

namespace rootstock::selftest {
namespace {

using Clock = std::chrono::steady_clock;
using payloads::PayloadKind;
using payloads::PayloadVm;

constexpr unsigned kChildren = 4;
constexpr uint64_t kSumBytes = uint64_t{64} << 20;
// Under QEMU's TCG (the CI test bed) a child checksums 64 MiB in seconds; minutes mean stuck.
constexpr auto kChildDeadline = std::chrono::minutes(5);
// The killed VMM's guest memory, and how much less free memory than before still counts as
// "back": a quarter of it, so a leak of its pinned pages cannot hide in the noise.
constexpr uint64_t kKilledVmmRam = uint64_t{64} << 20;
constexpr uint64_t kKilledVmmSlackKib = kKilledVmmRam / 4 / 1024;

// One child VM and what its thread saw.
struct Child {
  unsigned id = 0;
  PayloadKind kind = PayloadKind::kLong64;
  std::atomic<PayloadVm*> vm{nullptr};  // published once built, for the watchdog
  std::unique_ptr<PayloadVm> owned;
  std::string error;
  std::optional<vmm::VpExit::Kind> end;
  std::string end_report;  // the exit and registers, when it was not the payload's halt
  std::atomic<bool> done{false};
  Clock::duration took{};
};

void run_child(vmm::Backend& backend, Child& c) {
  const auto start = Clock::now();
  if (auto k = vmm::accept_kicks(); !k) c.error = vmm::describe(k.error());
  auto vm = PayloadVm::create(backend, {c.kind, c.id, kSumBytes, 0x5eed0000u + c.id});
  if (!vm) {
    c.error = vmm::describe(vm.error());
  } else {
    c.owned = std::move(*vm);
    c.vm.store(c.owned.get(), std::memory_order_release);
    auto exit = c.owned->run();
    if (exit) {
      c.end = exit->kind;
      if (exit->kind != vmm::VpExit::Kind::kHalt) {
        c.end_report = vmm::exit_report(*exit, c.owned->vp().run_page());
      }
    } else {
      c.error = vmm::describe(exit.error());
    }
  }
  c.took = Clock::now() - start;
  c.done.store(true, std::memory_order_release);
}

// Waits for every child; past the deadline, asks the stragglers to stop and kicks their threads
// until they return. False if a thread would not come back (it is then left detached).
bool wait_for_children(std::vector<std::unique_ptr<Child>>& children,
                       std::vector<std::thread>& threads) {
  const auto deadline = Clock::now() + kChildDeadline;
  const auto all_done = [&] {
    for (const auto& c : children) {
      if (!c->done.load(std::memory_order_acquire)) return false;
    }
    return true;
  };
  while (!all_done() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  while (!all_done() && Clock::now() < give_up) {
    for (size_t i = 0; i < children.size(); ++i) {
      if (children[i]->done.load()) continue;
      if (PayloadVm* vm = children[i]->vm.load(std::memory_order_acquire)) vm->vp().request_stop();
      vmm::kick(threads[i].native_handle());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  bool all_back = true;
  for (size_t i = 0; i < threads.size(); ++i) {
    if (children[i]->done.load()) {
      threads[i].join();
    } else {
      threads[i].detach();
      all_back = false;
    }
  }
  return all_back;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

void check_child(const Child& c, SelftestResult& r) {
  const std::string who = "child " + std::to_string(c.id) + " (" + payloads::name(c.kind) + ")";
  r.check(c.error.empty(), who + ": " + c.error);
  r.check(c.end == vmm::VpExit::Kind::kHalt,
          who + " ended with " + (c.end ? c.end_report : "no exit") + ", not halt");
  if (!c.owned) return;
  const auto& dev = c.owned->device();
  for (const std::string& line : dev.lines()) r.note("partitions: " + who + " says: " + line);
  const std::string hello =
      std::string("payload ") + payloads::name(c.kind) + " id=" + std::to_string(c.id) + " ";
  bool greeted = false, mmio_ok = false;
  for (const std::string& line : dev.lines()) {
    greeted = greeted || line.starts_with(hello);
    mmio_ok = mmio_ok || line.ends_with("mmio-read=ok");
  }
  r.check(greeted, who + " did not print '" + hello + "…'");
  r.check(dev.has_mmio_seen() && dev.mmio_seen() == PAYLOAD_MMIO_READ_VALUE && mmio_ok,
          who + " read " + hex32(dev.mmio_seen()) + " from the MMIO window, not " +
              hex32(PAYLOAD_MMIO_READ_VALUE));
  const bool read_right = !dev.mmio_reads().empty() &&
                          dev.mmio_reads()[0].gpa == PAYLOAD_MMIO_GPA &&
                          dev.mmio_reads()[0].size == 4;
  r.check(read_right, who + ": the MMIO load was not decoded as 4 bytes at the window");
  const bool wrote_right =
      dev.mmio_writes().size() == 1 &&
      dev.mmio_writes()[0].gpa == PAYLOAD_MMIO_GPA + PAYLOAD_MMIO_WRITE_OFFSET &&
      dev.mmio_writes()[0].size == 4 &&
      dev.mmio_writes()[0].value == PAYLOAD_MMIO_WRITE_BASE + c.id;
  r.check(wrote_right, who + ": the MMIO store was not decoded as 4 bytes of " +
                           hex32(PAYLOAD_MMIO_WRITE_BASE + c.id) + " at window + 8");
  r.check(dev.has_checksum() && dev.checksum() == c.owned->expected_checksum(),
          who + " checksum " + hex32(dev.checksum()) + ", the VMM computed " +
              hex32(c.owned->expected_checksum()));
  r.check(dev.stray_accesses() == 0,
          who + " made " + std::to_string(dev.stray_accesses()) + " accesses the device lacks");
  r.note("partitions: " + who + " checksum=" + hex32(dev.checksum()) +
         " vmm=" + hex32(c.owned->expected_checksum()) +
         " exits=" + std::to_string(c.owned->vp().handled_exits()) + " ms=" +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(c.took).count()));
}

// Four children at once: two from the RESET state (real16), two in 64-bit mode (long64).
bool check_children(vmm::Backend& backend, SelftestResult& r) {
  std::vector<std::unique_ptr<Child>> children;
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < kChildren; ++i) {
    children.push_back(std::make_unique<Child>());
    children.back()->id = i;
    children.back()->kind = i % 2 == 0 ? PayloadKind::kReal16 : PayloadKind::kLong64;
  }
  for (auto& c : children) threads.emplace_back(run_child, std::ref(backend), std::ref(*c));
  const bool all_back = wait_for_children(children, threads);
  r.check(all_back, "a child's VP thread did not return after a stop request and kicks");
  if (!all_back) {
    // The stuck thread keeps using its Child: leak them all rather than free memory under it.
    // Nothing after this could be trusted.
    for (auto& c : children) (void)c.release();
    return false;
  }
  for (const auto& c : children) check_child(*c, r);
  return true;
}

// A child that never exits (`jmp $` at the reset vector) must not keep the root from its own
// interrupts: physical interrupts leave the child at once (docs/hypercalls.md VP_RUN), so the
// VMM thread running it can be stopped by a signal, and the root's timers go on meanwhile.
void check_spinning_child(vmm::Backend& backend, SelftestResult& r) {
  constexpr uint64_t kRomSize = 0x10000;
  // On the heap: if the thread never comes back, it keeps all of this, leaked on purpose.
  struct Spinner {
    std::optional<vmm::GuestMemory> rom;
    std::optional<vmm::Partition> partition;
    std::optional<vmm::Vp> vp;
    payloads::PayloadDevice device{{}};
    std::atomic<bool> done{false};
    std::optional<vmm::Result<vmm::VpExit>> outcome;
  };
  auto s = std::make_unique<Spinner>();
  auto rom = vmm::GuestMemory::allocate(PAYLOAD_ROM_GPA, kRomSize);
  if (!rom) return r.check(false, "spinning child: " + vmm::describe(rom.error()));
  s->rom.emplace(std::move(*rom));
  const uint8_t jump_to_self[] = {0xeb, 0xfe};  // jmp $ (short jump, displacement -2)
  if (auto w = s->rom->write(PAYLOAD_ROM_GPA + 0xfff0, jump_to_self); !w) {
    return r.check(false, "spinning child: " + vmm::describe(w.error()));
  }
  auto partition = vmm::Partition::create(backend);
  if (!partition) return r.check(false, "spinning child: " + vmm::describe(partition.error()));
  s->partition.emplace(std::move(*partition));
  if (auto m = s->partition->map(*s->rom, RS_ACCESS_READ | RS_ACCESS_EXECUTE); !m) {
    return r.check(false, "spinning child: " + vmm::describe(m.error()));
  }
  auto vp = s->partition->create_vp(0);
  if (!vp) return r.check(false, "spinning child: " + vmm::describe(vp.error()));
  s->vp.emplace(std::move(*vp));
  Spinner* sp = s.get();
  std::thread runner([sp] {
    sp->outcome.emplace(sp->vp->run(sp->device, sp->device));
    sp->done.store(true);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const bool spun = !s->done.load();
  const auto asked = Clock::now();
  s->vp->request_stop();
  while (!s->done.load() && Clock::now() - asked < std::chrono::seconds(10)) {
    vmm::kick(runner.native_handle());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - asked).count();
  if (!s->done.load()) {
    runner.detach();  // stuck in VP_RUN for good: nothing after this can be trusted
    (void)s.release();
    return r.check(false, "a child spinning without exits could not be stopped in 10 s");
  }
  runner.join();
  r.check(spun, "the spinning child returned before it was stopped");
  r.check(s->outcome && *s->outcome && (**s->outcome).kind == vmm::VpExit::Kind::kStopped,
          "the spinning child did not end as stopped");
  r.note("partitions: a child spinning without exits was stopped " + std::to_string(ms) +
         " ms after the VMM asked");
}

uint64_t median(std::vector<uint64_t> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// The two round trips issue 6 asks for, in TSC cycles: a null hypercall from the root (the
// driver times 1000 GET_VERSION calls at load), and a child's I/O exit to VMM user space and
// back (one child alone, timed between the console characters it prints).
void measure_round_trips(vmm::Backend& backend, SelftestResult& r) {
  std::ifstream param("/sys/module/hvroot/parameters/null_hypercall_cycles");
  uint64_t null_call = 0;
  param >> null_call;
  auto vm = PayloadVm::create(backend, {PayloadKind::kReal16, 7, uint64_t{1} << 20, 7});
  if (!vm) return r.check(false, "round trips: " + vmm::describe(vm.error()));
  const auto ran = (*vm)->run();
  r.check(ran.has_value(), "round trips: the measuring child did not run to its end");
  const auto& intervals = (*vm)->device().console_intervals();
  const uint64_t io = median(intervals);
  r.check(null_call != 0 && io != 0, "round trips: nothing measured");
  r.note("partitions: round trips: null hypercall " + std::to_string(null_call) +
         " TSC cycles (median of 1000, driver), I/O exit to the VMM and back " +
         std::to_string(io) + " TSC cycles (median of " + std::to_string(intervals.size()) +
         " console writes, one child alone)");
}

// A VMM process holding a partition is killed: the driver's release path must destroy the
// partition and give every frame back (hvroot.h: closing a partition's fd, or the VMM dying).
void check_killed_vmm(SelftestContext& context, vmm::Backend& backend, SelftestResult& r) {
  auto before = backend.check_invariants();
  if (!before) return r.check(false, vmm::describe(before.error()));
  const uint64_t free_before = free_kib();
  const auto pins_before = pins_outstanding();
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return r.check(false, "pipe for the killed-VMM test");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    uint64_t id = 0;
    if (auto vmm_backend = vmm::open_hvroot()) {
      auto vm = PayloadVm::create(**vmm_backend, {PayloadKind::kReal16, 9, kKilledVmmRam, 9});
      if (vm) {
        if (auto info = (*vm)->partition().query()) id = info->partition_id;
        (void)(*vm)->run();  // its VP has run; how it ended is the other checks' business
      }
      (void)!::write(pipe_fds[1], &id, sizeof(id));
      for (;;) ::pause();  // holding the partition until SIGKILL
    }
    (void)!::write(pipe_fds[1], &id, sizeof(id));
    ::_exit(1);
  }
  ::close(pipe_fds[1]);
  if (pid < 0) {
    ::close(pipe_fds[0]);
    return r.check(false, "fork for the killed-VMM test");
  }
  bool reaped = false;
  int status = 0;
  context.on_exit(pid, [&](int s) {
    reaped = true;
    status = s;
  });
  uint64_t id = 0;
  pollfd p{pipe_fds[0], POLLIN, 0};
  const bool answered =
      ::poll(&p, 1, 60000) == 1 && ::read(pipe_fds[0], &id, sizeof(id)) == sizeof(id);
  ::close(pipe_fds[0]);
  r.check(answered && id != 0, "the VMM process did not build and run its child");
  if (auto during = backend.check_invariants(); during && answered && id != 0) {
    r.check(during->partitions == before->partitions + 1 &&
                during->frames[RS_FRAME_CHILD] > before->frames[RS_FRAME_CHILD],
            "hv does not show the VMM process's partition: " + frame_counts_text(*during));
  }
  ::kill(pid, SIGKILL);
  context.run_until([&] { return reaped; }, Clock::now() + std::chrono::seconds(30));
  r.check(reaped && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "the VMM process was not reaped as killed by SIGKILL");
  // The driver's release runs before the process is reaped (exit closes files first); allow
  // for a release deferred to a work queue all the same.
  rs_hc_invariants_output after{};
  for (int i = 0; i < 50; ++i) {
    auto now = backend.check_invariants();
    if (!now) return r.check(false, vmm::describe(now.error()));
    after = *now;
    if (same_frame_counts(*before, after)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // MemFree moves by a few MiB on its own (PID 1's heap, slab, deferred frees): the check is
  // that the killed VMM's pinned guest memory came back, with a slack well below its size.
  uint64_t free_after = free_kib();
  for (int i = 0; i < 5 && free_after + kKilledVmmSlackKib < free_before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    free_after = free_kib();
  }
  const auto pins_after = pins_outstanding();
  r.check(pins_before && pins_after && *pins_before == *pins_after,
          "pinned pages not released after the VMM was killed: " +
              std::to_string(pins_before.value_or(0)) + " before, " +
              std::to_string(pins_after.value_or(0)) + " after");
  r.check(after.partitions == before->partitions,
          "the killed VMM's partition " + std::to_string(id) + " is still there");
  r.check(same_frame_counts(*before, after),
          "frames not back after the VMM was killed: " + frame_count_changes(*before, after));
  r.check(hv_growth_allowed(*before, after), "hv's own frames in use grew with the killed VMM: " +
                                                 frame_count_changes(*before, after));
  r.check(free_after + kKilledVmmSlackKib >= free_before,
          "root memory not back after the VMM was killed: MemFree " + std::to_string(free_before) +
              " KiB before, " + std::to_string(free_after) + " KiB after");
  r.note("partitions: killed VMM: partition " + std::to_string(id) + " gone; MemFree before=" +
         std::to_string(free_before) + " after=" + std::to_string(free_after) +
         " KiB; pinned pages before=" + std::to_string(pins_before.value_or(0)) +
         " after=" + std::to_string(pins_after.value_or(0)) + "; " + frame_counts_text(after));
}

}  // namespace

void selftest_partitions(SelftestContext& context, SelftestResult& r) {
  auto backend = vmm::open_hvroot();
  r.check(backend.has_value(), backend ? "" : vmm::describe(backend.error()));
  if (!backend) return;
  auto version = (*backend)->version();
  r.check(version && version->abi_version >> RS_ABI_VERSION_MAJOR_SHIFT == RS_ABI_VERSION_MAJOR,
          version ? "hv reports ABI version " + std::to_string(version->abi_version >> 16) + "." +
                        std::to_string(version->abi_version & 0xffff)
                  : vmm::describe(version.error()));
  if (!version) return;
  if (auto k = vmm::install_kick_handler(); !k) return r.check(false, vmm::describe(k.error()));
  auto start = (*backend)->check_invariants();
  r.check(start && start->violations == 0,
          start ? "hv reports " + std::to_string(start->violations) + " violations, the first " +
                      invariant_name(start->first_violation)
                : vmm::describe(start.error()));
  if (!start) return;
  r.note("partitions: at start " + frame_counts_text(*start));

  if (!check_children(**backend, r)) return;
  check_spinning_child(**backend, r);
  measure_round_trips(**backend, r);
  check_partition_cycles(**backend, r);
  check_killed_vmm(context, **backend, r);

  auto end = (*backend)->check_invariants();
  if (!end) return r.check(false, vmm::describe(end.error()));
  r.note("partitions: at end " + frame_counts_text(*end));
  r.check(end->violations == 0, "hv reports " + std::to_string(end->violations) +
                                    " violations, the first " +
                                    invariant_name(end->first_violation));
  r.check(same_frame_counts(*start, *end),
          "frames differ from the start: " + frame_count_changes(*start, *end));
  r.check(hv_growth_allowed(*start, *end),
          "hv's own frames in use grew over the test: " + frame_count_changes(*start, *end));
}

}  // namespace rootstock::selftest
