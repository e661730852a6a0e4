// The `hostile-root` self-test (rootstock.selftest=hostile-root): the root partition attacks hv
// the ways a root kernel could, and after each attempt hv's invariants hold, its canary page is
// intact (CPUID 0x40000003) and the appliance goes on (docs/hypercalls.md §1 and §6):
//   - IA32_APIC_BASE: disabling the APIC, moving its page onto hv's canary and leaving x2APIC
//     mode are refused (#GP: the msr driver's EIO) on every CPU, and the value stays;
//   - a frame deposited to hv is read (all ones), then written (dropped), through the test's own
//     mapping of it: hv neither panics nor lets the write through;
//   - a writer on another CPU keeps storing into frames while they are deposited and withdrawn:
//     every withdrawal gives back exactly the frames deposited, with nothing of hv's in them;
//   - one frame from every 2 MiB of RAM the test can get is deposited and withdrawn: hv's own
//     frames in use are back where they were (the root's split nested tables are merged back),
//     and when hv's pool cannot hold the splits, the deposit is refused, not a panic;
//   - root CPUs go offline and come back online (INIT and STARTUP to a CPU hv runs): the CPU
//     is still under hv afterwards (it answers hv's CPUID leaves) and the root uses it;
//   - the root sends NMIs to a CPU, one at a time (HVROOT_TEST_NMIS), while another CPU makes
//     hv send that CPU its own NMIs (a TLB flush for every deposit and withdrawal): every one
//     of the root's arrives, none merged into one of hv's and lost.
// Steps by name, for rootstock.selftest_steps: apic-base, deposited-frame, deposit-race,
// split-tables, cpu-hotplug, root-nmis.
// Needs hvroot loaded with allow_raw_hypercalls=1 (PID 1 does so for this test: registry.cpp)
// and /dev/cpu/N/msr.
#include <cpuid.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "selftest/hex.hpp"
#include "selftest/memory_figures.hpp"
#include "selftest/pagemap.hpp"
#include "selftest/raw_caller.hpp"
#include "selftest/selftests.hpp"
#include "vmm/hvroot_backend.hpp"
#include "vmm/ioctl_request.hpp"

namespace rootstock::selftest {
namespace {

constexpr size_t kPage = 4096;
constexpr uint64_t k2MiB = uint64_t{2} << 20;
constexpr uint32_t kMsrApicBase = 0x1b;
constexpr uint64_t kApicEnable = 1ull << 11, kApicX2apic = 1ull << 10;
constexpr uint64_t kApicAddressMask = 0x000ffffffffff000ull;
constexpr unsigned kRaceRounds = 200;
constexpr size_t kRacePages = 64;
// Memory the split test spreads its deposits over: three quarters of what is free (at most
// 6 GiB), in pieces, so that its frames come from all over RAM.
constexpr uint64_t kSpreadMaxBytes = uint64_t{6} << 30;
constexpr size_t kSpreadChunk = size_t{64} << 20;
constexpr unsigned kHotplugRounds = 3;
// NMIs the root sends, and how long each may take to arrive (an exit costs ~0.1 ms under TCG).
constexpr uint32_t kRootNmis = 2000;
constexpr uint32_t kRootNmiRound = 100;
constexpr uint32_t kRootNmiWaitMs = 2000;

struct Cpuid {
  uint32_t a = 0, b = 0, c = 0, d = 0;
};

Cpuid cpuid(uint32_t leaf) {
  Cpuid r;
  __cpuid_count(leaf, 0, r.a, r.b, r.c, r.d);
  return r;
}

bool under_hv() {
  const Cpuid s = cpuid(RS_CPUID_LEAF_SIGNATURE);
  return s.b == RS_CPUID_SIGNATURE_EBX && s.c == RS_CPUID_SIGNATURE_ECX &&
         s.d == RS_CPUID_SIGNATURE_EDX;
}

uint64_t canary_page() {
  const Cpuid c = cpuid(RS_CPUID_LEAF_HV_CANARY);
  return c.a | uint64_t{c.b} << 32;
}

bool canary_intact() {
  return cpuid(RS_CPUID_LEAF_HV_CANARY).c == 1;
}

bool pin_to_cpu(unsigned cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::sched_setaffinity(0, sizeof(set), &set) == 0;
}

void unpin() {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (unsigned i = 0; i < CPU_SETSIZE; ++i) CPU_SET(i, &set);
  (void)::sched_setaffinity(0, sizeof(set), &set);
}

std::vector<unsigned> online_cpus() {
  std::vector<unsigned> cpus;
  const long n = ::sysconf(_SC_NPROCESSORS_CONF);
  for (long i = 0; i < n; ++i) {
    std::ifstream f("/sys/devices/system/cpu/cpu" + std::to_string(i) + "/online");
    int online = 1;  // cpu0 has no such file: always online
    if (f) f >> online;
    if (online == 1) cpus.push_back(static_cast<unsigned>(i));
  }
  return cpus;
}

// Locked pages of this process whose frames the test may deposit: the kernel may not move them
// while hv holds them (compaction of unevictable pages is off for the test's duration).
class LockedPages {
 public:
  /// `fill`: write a pattern into every page (else they hold the zeros the kernel gave).
  explicit LockedPages(size_t bytes, bool fill = true) : bytes_(bytes) {
    base_ = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE, -1, 0);
    if (base_ == MAP_FAILED) return;
    if (fill) std::memset(base_, 0x5a, bytes);
    frames_ = physical_addresses(base_, bytes / kPage);
  }
  ~LockedPages() {
    if (base_ != MAP_FAILED) ::munmap(base_, bytes_);
  }
  LockedPages(const LockedPages&) = delete;
  LockedPages& operator=(const LockedPages&) = delete;

  bool ok() const {
    return base_ != MAP_FAILED && !frames_.empty() &&
           std::find(frames_.begin(), frames_.end(), 0) == frames_.end();
  }
  volatile uint64_t* page(size_t i) const {
    return reinterpret_cast<volatile uint64_t*>(static_cast<uint8_t*>(base_) + i * kPage);
  }
  const std::vector<uint64_t>& frames() const { return frames_; }

 private:
  size_t bytes_;
  void* base_ = MAP_FAILED;
  std::vector<uint64_t> frames_;
};

// Writes `value` to a file (sysfs, procfs); true when the kernel took it.
bool write_file(const std::string& path, const std::string& value) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  ::close(fd);
  return ok;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}

// The shared context of the steps: the raw caller, a partition to deposit to, the checks.
struct Attack {
  vmm::Backend& backend;
  RawCaller& caller;
  SelftestResult& r;
  uint64_t partition = 0;

  // After each step: hv's invariants and its canary, and the step's name in the log.
  void after(const std::string& step) {
    auto inv = backend.check_invariants();
    r.check(inv.has_value(), step + ": " + (inv ? "" : vmm::describe(inv.error())));
    if (inv) {
      r.check(inv->violations == 0, step + ": hv reports " + std::to_string(inv->violations) +
                                        " invariant violations, first " +
                                        invariant_name(inv->first_violation) + " at frame " +
                                        hex(inv->first_violation_frame));
    }
    r.check(canary_intact(), step + ": hv's canary page changed");
    r.note("hostile-root: " + step + " done; " + (inv ? frame_counts_text(*inv) : std::string()));
  }

  // Deposits `frames` in batches; the status of the first batch that failed (or SUCCESS) and
  // how many went.
  std::pair<uint16_t, size_t> deposit_all(const std::vector<uint64_t>& frames) {
    size_t done = 0;
    while (done < frames.size()) {
      const size_t n = std::min<size_t>(frames.size() - done, RS_HC_DEPOSIT_MAX_REPS);
      auto s = caller.deposit(partition, std::span(frames).subspan(done, n));
      if (!s) {
        r.check(false, "DEPOSIT_MEMORY: " + vmm::describe(s.error()));
        return {RS_STATUS_INVALID_PARAMETER, done};
      }
      if (*s != RS_STATUS_SUCCESS) return {*s, done};
      done += n;
    }
    return {RS_STATUS_SUCCESS, done};
  }

  // Withdraws every frame deposited; the frames hv gave back.
  std::vector<uint64_t> withdraw_all() {
    std::vector<uint64_t> back;
    for (;;) {
      auto w = caller.withdraw(partition, RS_HC_WITHDRAW_MAX_REPS);
      if (!w) {
        r.check(false, vmm::describe(w.error()));
        break;
      }
      back.insert(back.end(), w->begin(), w->end());
      if (w->empty()) break;
    }
    return back;
  }
};

// IA32_APIC_BASE on every CPU: each hostile write refused and the register unchanged.
void attack_apic_base(Attack& a) {
  const uint64_t canary = canary_page();
  for (unsigned cpu : online_cpus()) {
    const std::string path = "/dev/cpu/" + std::to_string(cpu) + "/msr";
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    a.r.check(fd >= 0, "open " + path + ": " + std::strerror(errno));
    if (fd < 0) continue;
    uint64_t base = 0;
    a.r.check(::pread(fd, &base, 8, kMsrApicBase) == 8,
              "read IA32_APIC_BASE on cpu " + std::to_string(cpu));
    struct Try {
      const char* what;
      uint64_t value;
    };
    std::vector<Try> tries = {
        {"disable the APIC", base & ~(kApicEnable | kApicX2apic)},
        {"move the xAPIC page onto hv's canary", (base & ~kApicAddressMask) | canary},
        {"move it onto the canary, disabled",
         ((base & ~kApicAddressMask) | canary) & ~(kApicEnable | kApicX2apic)},
    };
    if ((base & kApicX2apic) != 0) tries.push_back({"leave x2APIC mode", base & ~kApicX2apic});
    for (const Try& t : tries) {
      errno = 0;
      const bool written = ::pwrite(fd, &t.value, 8, kMsrApicBase) == 8;
      const int err = errno;
      if (written) {
        // A kernel that allowed it: put the APIC back at once, before Linux needs it.
        (void)::pwrite(fd, &base, 8, kMsrApicBase);
      }
      a.r.check(!written && err == EIO, "cpu " + std::to_string(cpu) + ": the root could " +
                                            t.what + " (IA32_APIC_BASE " + hex(base) + " -> " +
                                            hex(t.value) + ")");
      uint64_t now = 0;
      a.r.check(::pread(fd, &now, 8, kMsrApicBase) == 8 && now == base,
                "cpu " + std::to_string(cpu) + ": IA32_APIC_BASE changed to " + hex(now));
    }
    ::close(fd);
  }
  // hv's flush NMIs go through the APICs: a deposit and a withdrawal send them to every CPU.
  LockedPages page(kPage);
  a.r.check(page.ok(), "no page to deposit");
  if (page.ok()) {
    a.r.check(a.deposit_all(page.frames()).first == RS_STATUS_SUCCESS,
              "a deposit after the "
              "APIC attempts failed");
    a.r.check(a.withdraw_all().size() == 1, "the withdrawal after the APIC attempts failed");
  }
  a.after("IA32_APIC_BASE writes");
}

// A deposited frame read, then written, through the test's own mapping.
void attack_deposited_frame(Attack& a) {
  LockedPages page(kPage);
  a.r.check(page.ok(), "no page to deposit");
  if (!page.ok()) return;
  const uint64_t frame = page.frames()[0];
  const auto [status, done] = a.deposit_all(page.frames());
  a.r.check(status == RS_STATUS_SUCCESS && done == 1,
            "DEPOSIT_MEMORY of the test's own page: " + vmm::status_name(status));
  if (status != RS_STATUS_SUCCESS) return;
  volatile uint64_t* own = page.page(0);
  a.r.check(own[0] == ~uint64_t{0},
            "the test's own mapping of a deposited frame reads " + hex(own[0]));
  own[1] = 0x1111111111111111;
  a.r.check(own[1] == ~uint64_t{0}, "a write through the test's own mapping became visible");
  const std::vector<uint64_t> back = a.withdraw_all();
  a.r.check(back.size() == 1 && back[0] == frame, "the withdrawal did not give the frame back");
  bool zero = true;
  for (size_t i = 0; i < kPage / 8; ++i) zero = zero && own[i] == 0;
  a.r.check(zero,
            "the frame came back with something in it (hv clears what it gives back; a "
            "dropped write must not be there)");
  a.after("reads, then writes, of a deposited frame");
}

// A writer on another CPU races every deposit and withdrawal of the same frames.
void attack_deposit_race(Attack& a) {
  const std::vector<unsigned> cpus = online_cpus();
  if (cpus.size() < 2) {
    a.r.note("hostile-root: one CPU online; the deposit race needs two (skipped)");
    return;
  }
  LockedPages pages(kRacePages * kPage);
  a.r.check(pages.ok(), "no pages for the race");
  if (!pages.ok()) return;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> stores{0};
  std::thread writer([&] {
    (void)pin_to_cpu(cpus[1]);
    uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      for (size_t i = 0; i < kRacePages; ++i) pages.page(i)[(n * 7) % 512] = 0xdeadbeef00000000 | n;
      ++n;
    }
    stores = n * kRacePages;
  });
  (void)pin_to_cpu(cpus[0]);
  const std::set<uint64_t> mine(pages.frames().begin(), pages.frames().end());
  unsigned bad_rounds = 0;
  for (unsigned round = 0; round < kRaceRounds; ++round) {
    const auto [status, done] = a.deposit_all(pages.frames());
    const std::vector<uint64_t> back = a.withdraw_all();
    const std::set<uint64_t> got(back.begin(), back.end());
    if (status != RS_STATUS_SUCCESS || done != kRacePages || got != mine ||
        back.size() != kRacePages) {
      if (bad_rounds++ == 0) {
        a.r.check(false, "race round " + std::to_string(round) + ": deposit " +
                             vmm::status_name(status) + ", " + std::to_string(back.size()) +
                             " frames back, " + (got == mine ? "the same" : "not the same") +
                             " frames");
      }
    }
  }
  stop = true;
  writer.join();
  unpin();
  a.r.check(bad_rounds == 0, std::to_string(bad_rounds) + " of " + std::to_string(kRaceRounds) +
                                 " race rounds went wrong");
  a.r.note("hostile-root: " + std::to_string(kRaceRounds) + " deposit/withdraw rounds of " +
           std::to_string(kRacePages) + " frames against " + std::to_string(stores.load()) +
           " stores from cpu " + std::to_string(cpus[1]));
  a.after("deposits raced by a writer");
}

// One frame of every 2 MiB of RAM the test can get: hv's split tables come back.
void attack_split_tables(Attack& a) {
  auto before = a.backend.check_invariants();
  if (!before) return a.r.check(false, vmm::describe(before.error()));
  std::vector<std::unique_ptr<LockedPages>> chunks;
  std::map<uint64_t, uint64_t> by_region;  // 2 MiB region -> a frame in it
  const uint64_t spread = std::min(free_kib() * 1024 / 4 * 3, kSpreadMaxBytes);
  for (uint64_t got = 0; got + kSpreadChunk <= spread; got += kSpreadChunk) {
    auto c = std::make_unique<LockedPages>(kSpreadChunk, false);
    if (!c->ok()) break;
    for (uint64_t f : c->frames()) by_region.emplace(f / k2MiB, f);
    chunks.push_back(std::move(c));
  }
  std::vector<uint64_t> frames;
  for (const auto& [region, frame] : by_region) frames.push_back(frame);
  a.r.check(frames.size() >= 64,
            "the test got frames in only " + std::to_string(frames.size()) + " regions of 2 MiB");
  const auto [status, done] = a.deposit_all(frames);
  // A pool too small for the splits refuses the deposit (nothing changed), never panics.
  a.r.check(status == RS_STATUS_SUCCESS || status == RS_STATUS_LIMIT_REACHED,
            "depositing one frame per 2 MiB: " + vmm::status_name(status));
  auto during = a.backend.check_invariants();
  const std::vector<uint64_t> back = a.withdraw_all();
  a.r.check(back.size() == done, std::to_string(done) + " frames deposited, " +
                                     std::to_string(back.size()) + " withdrawn");
  auto after = a.backend.check_invariants();
  if (during && after) {
    a.r.note("hostile-root: " + std::to_string(done) + " of " + std::to_string(frames.size()) +
             " frames (one per 2 MiB) deposited (" + vmm::status_name(status) +
             "); hv's frames in "
             "use " +
             std::to_string(before->frames[RS_FRAME_HV_USED]) + " -> " +
             std::to_string(during->frames[RS_FRAME_HV_USED]) + " -> " +
             std::to_string(after->frames[RS_FRAME_HV_USED]));
    a.r.check(after->frames[RS_FRAME_HV_USED] == before->frames[RS_FRAME_HV_USED],
              "hv's own frames in use did not come back after the withdrawal: " +
                  frame_count_changes(*before, *after));
  }
  a.after("one deposit per 2 MiB of RAM");
}

// Root CPUs offline and online again: each comes back under hv.
void attack_cpu_hotplug(Attack& a) {
  const std::vector<unsigned> cpus = online_cpus();
  if (cpus.size() < 2) {
    a.r.note("hostile-root: one CPU online; no CPU to take offline (skipped)");
    return;
  }
  for (unsigned round = 0; round < kHotplugRounds; ++round) {
    for (size_t i = 1; i < cpus.size(); ++i) {
      const std::string cpu = std::to_string(cpus[i]);
      const std::string online = "/sys/devices/system/cpu/cpu" + cpu + "/online";
      a.r.check(write_file(online, "0"), "cpu " + cpu + " did not go offline");
      a.r.check(write_file(online, "1"),
                "cpu " + cpu + " did not come back online (" + std::strerror(errno) + ")");
      a.r.check(read_file(online) == "1", "cpu " + cpu + " is not online after onlining it");
      // Under hv still: hv's CPUID leaves answer there.
      const bool pinned = pin_to_cpu(cpus[i]);
      a.r.check(pinned && under_hv(), "cpu " + cpu +
                                          " runs the root without hv after it came "
                                          "back online");
      unpin();
    }
  }
  a.after(std::to_string(kHotplugRounds) + " offline/online rounds of every AP");
}

// The root's NMIs to one CPU while a third (or the sender's) CPU keeps hv sending that CPU
// flush NMIs: a kick for a child VP travels the same way (cpu/tlb_shootdown.hpp).
void attack_root_nmis(Attack& a) {
  const std::vector<unsigned> cpus = online_cpus();
  if (cpus.size() < 2) {
    a.r.note("hostile-root: one CPU online; no other CPU to send NMIs to (skipped)");
    return;
  }
  const unsigned target = cpus[1];
  const unsigned flusher_cpu = cpus.size() > 2 ? cpus[2] : cpus[0];
  LockedPages pages(kPage);
  a.r.check(pages.ok(), "no page to deposit");
  if (!pages.ok()) return;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> flush_calls{0}, failed_calls{0};
  std::thread flusher([&] {
    (void)pin_to_cpu(flusher_cpu);
    while (!stop.load(std::memory_order_relaxed)) {
      auto d = a.caller.deposit(a.partition, pages.frames());
      auto w = a.caller.withdraw(a.partition, 1);
      const bool ok = d && *d == RS_STATUS_SUCCESS && w && w->size() == 1;
      (ok ? flush_calls : failed_calls) += 2;
    }
  });
  (void)pin_to_cpu(cpus[0]);
  // In rounds, so that a lost NMI ends the step after one round's waits, not kRootNmis of them.
  uint32_t sent = 0, received = 0;
  int rc = 0, error = 0;
  const int fd = ::open("/dev/hvroot", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    rc = -1;
    error = errno;
  }
  while (rc == 0 && sent < kRootNmis && received == sent) {
    hvroot_test_nmis nmis{};
    nmis.cpu = target;
    nmis.count = kRootNmiRound;
    nmis.wait_ms = kRootNmiWaitMs;
    rc = ::ioctl(fd, vmm::ioctl_request(HVROOT_TEST_NMIS), &nmis);
    error = errno;
    sent += nmis.sent;
    received += nmis.received;
  }
  if (fd >= 0) ::close(fd);
  stop = true;
  flusher.join();
  unpin();
  a.r.check(rc == 0, std::string("HVROOT_TEST_NMIS: ") + std::strerror(error));
  a.r.check(failed_calls == 0,
            std::to_string(failed_calls.load()) + " deposits or withdrawals failed");
  a.r.check(rc != 0 || (sent == kRootNmis && received == sent),
            "the root sent cpu " + std::to_string(target) + " " + std::to_string(sent) +
                " NMIs and " + std::to_string(received) + " arrived");
  a.r.note("hostile-root: cpu " + std::to_string(cpus[0]) + " sent " + std::to_string(sent) +
           " NMIs to cpu " + std::to_string(target) + ", " + std::to_string(received) +
           " arrived, against " + std::to_string(flush_calls.load()) + " flushing calls from cpu " +
           std::to_string(flusher_cpu));
  a.after("root NMIs against hv's flush NMIs");
}

}  // namespace

void selftest_hostile_root(SelftestContext& context, SelftestResult& r) {
  r.check(under_hv(), "not running under hv");
  if (!under_hv()) return;
  auto opened = vmm::open_hvroot();
  r.check(opened.has_value(), opened ? "" : vmm::describe(opened.error()));
  if (!opened) return;
  vmm::Backend& backend = **opened;
  RawCaller caller(backend);
  if (const std::string why = caller.usable(); !why.empty()) return r.check(false, why);
  // Deposited pages must stay where they are: no compaction of locked pages meanwhile.
  const std::string compact = "/proc/sys/vm/compact_unevictable_allowed";
  const std::string compact_was = read_file(compact);
  (void)write_file(compact, "0");
  auto start = backend.check_invariants();
  if (!start) return r.check(false, vmm::describe(start.error()));
  r.note("hostile-root: at start " + frame_counts_text(*start));
  auto partition = caller.create();
  if (!partition) return r.check(false, vmm::describe(partition.error()));
  Attack a{backend, caller, r, *partition};
  const std::vector<std::string>& only = context.options().steps;
  const std::pair<const char*, void (*)(Attack&)> steps[] = {
      {"apic-base", attack_apic_base},       {"deposited-frame", attack_deposited_frame},
      {"deposit-race", attack_deposit_race}, {"split-tables", attack_split_tables},
      {"cpu-hotplug", attack_cpu_hotplug},   {"root-nmis", attack_root_nmis},
  };
  for (const auto& [step, attack] : steps) {
    if (only.empty() || std::find(only.begin(), only.end(), step) != only.end()) attack(a);
  }
  if (auto d = caller.destroy(a.partition); !d) r.check(false, vmm::describe(d.error()));
  auto end = backend.check_invariants();
  if (end) {
    r.note("hostile-root: at end " + frame_counts_text(*end));
    r.check(same_frame_counts(*start, *end),
            "frame counts changed: " + frame_count_changes(*start, *end));
    r.check(end->frames[RS_FRAME_HV_USED] == start->frames[RS_FRAME_HV_USED],
            "hv's own frames in use changed: " + frame_count_changes(*start, *end));
  }
  if (!compact_was.empty()) (void)write_file(compact, compact_was);
}

}  // namespace rootstock::selftest
