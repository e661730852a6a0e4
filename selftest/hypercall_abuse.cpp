// The `hypercall-abuse` self-test (rootstock.selftest=hypercall-abuse): every malformed
// hypercall of docs/hypercalls.md's validation rules, sent raw through the hvroot driver
// (HVROOT_RAW_HYPERCALL), must get its documented status and change nothing; then a seeded
// random stream of 100,000 calls mixing valid and invalid ones, each with the status the
// validation order predicts (abuse_calls.hpp); rootstock.abuse_calls=N makes it N calls. At the end
// hv's CHECK_INVARIANTS must report no violation and the frame counts of the start.
//
// Needs the module loaded with allow_raw_hypercalls=1 (the driver refuses raw calls otherwise):
// registry.cpp marks this test as needing raw hypercalls, and PID 1 then loads hvroot.ko so.
#include <cpuid.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>

#include "selftest/abuse_calls.hpp"
#include "selftest/hex.hpp"
#include "selftest/memory_figures.hpp"
#include "selftest/pagemap.hpp"
#include "selftest/raw_caller.hpp"
#include "selftest/selftests.hpp"
#include "vmm/hvroot_backend.hpp"
#include "vmm/partition.hpp"

namespace rootstock::selftest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr unsigned kShown = 10;  // failures printed in full; the rest are counted
constexpr uint64_t kChildBytes = uint64_t{1} << 20;

// A child made through the driver: memory at GPA 0 and VP 0, never run.
struct DriverChild {
  explicit DriverChild(vmm::GuestMemory m) : memory(std::move(m)) {}
  vmm::GuestMemory memory;
  std::optional<vmm::Partition> partition;
  std::optional<vmm::Vp> vp;
  uint64_t id = 0;
};

vmm::Result<std::unique_ptr<DriverChild>> make_child(vmm::Backend& backend) {
  auto memory = vmm::GuestMemory::allocate(0, kChildBytes);
  if (!memory) return std::unexpected(memory.error());
  auto c = std::make_unique<DriverChild>(std::move(*memory));
  auto p = vmm::Partition::create(backend);
  if (!p) return std::unexpected(p.error());
  c->partition.emplace(std::move(*p));
  if (auto m = c->partition->map(c->memory, RS_ACCESS_READ | RS_ACCESS_WRITE); !m) {
    return std::unexpected(m.error());
  }
  auto vp = c->partition->create_vp(0);
  if (!vp) return std::unexpected(vp.error());
  c->vp.emplace(std::move(*vp));
  auto info = c->partition->query();
  if (!info) return std::unexpected(info.error());
  c->id = info->partition_id;
  return c;
}

// hv's reservation from CPUID 0x40000002 (docs/hv.md), after checking the signature.
uint64_t hv_reservation() {
  unsigned a, b, c, d;
  __cpuid_count(RS_CPUID_LEAF_SIGNATURE, 0, a, b, c, d);
  if (b != RS_CPUID_SIGNATURE_EBX || c != RS_CPUID_SIGNATURE_ECX || d != RS_CPUID_SIGNATURE_EDX) {
    return 0;
  }
  __cpuid_count(RS_CPUID_LEAF_HV_MEMORY, 0, a, b, c, d);
  return a | uint64_t{b} << 32;
}

// A page of this process, locked, whose physical address the test may name (never hand over).
struct OwnPage {
  void* page = MAP_FAILED;
  uint64_t frame = 0;
  OwnPage() {
    page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED,
                  -1, 0);
    if (page == MAP_FAILED) return;
    std::memset(page, 0x5a, 4096);
    frame = physical_address(page).value_or(0);
  }
  ~OwnPage() {
    if (page != MAP_FAILED) ::munmap(page, 4096);
  }
  OwnPage(const OwnPage&) = delete;
  OwnPage& operator=(const OwnPage&) = delete;
};

std::string describe_call(const abuse::Call& c) {
  return c.name + " [control=" + hex(c.control) + " args=" + hex(c.args[0]) + "," + hex(c.args[1]) +
         "," + hex(c.args[2]) + "," + hex(c.args[3]) + " flags=" + std::to_string(c.flags) + "]";
}

// One call whose status is checked; true when it matched.
bool run_checked(RawCaller& caller, const abuse::Call& c, SelftestResult& r) {
  auto out = caller.issue(c);
  if (!out) {
    r.check(false, describe_call(c) + ": " + vmm::describe(out.error()));
    return false;
  }
  const auto status = static_cast<uint32_t>(RS_HC_RESULT_STATUS(out->result));
  const std::string why = abuse::check_result(c, out->result);
  const bool ok = status == c.expect && why.empty();
  r.check(ok, describe_call(c) + ": expected " + vmm::status_name(c.expect) + ", got " +
                  vmm::status_name(status) + " (result " + hex(out->result) + ")" +
                  (why.empty() ? "" : "; " + why));
  return ok;
}

// The outputs of the valid fast calls (hypercalls.md GET_VERSION, PARTITION_QUERY, _CREATE).
void check_outputs(RawCaller& caller, const hvroot_version& version, const DriverChild& a,
                   abuse::Targets& t, SelftestResult& r) {
  auto v = caller.fast(RS_HC_GET_VERSION, {});
  r.check(v && RS_HC_RESULT_STATUS(v->result) == RS_STATUS_SUCCESS &&
              v->args[0] == version.abi_version && v->args[1] == RS_HC_FEATURES_NONE &&
              (v->args[2] & RS_HC_LIMITS_GPA_BITS_MASK) == version.gpa_bits,
          "GET_VERSION outputs disagree with HVROOT_GET_VERSION");
  auto q = caller.fast(RS_HC_PARTITION_QUERY, {a.id, 0, 0, 0});
  r.check(q && RS_HC_RESULT_STATUS(q->result) == RS_STATUS_SUCCESS && q->args[0] == 1 &&
              q->args[1] == kChildBytes / RS_HC_PAGE_SIZE,
          "PARTITION_QUERY of a child with 1 VP and 1 MiB says vps=" +
              (q ? std::to_string(q->args[0]) + " pages=" + std::to_string(q->args[1]) : "?"));
  // Ids are never reused: a new partition gets a new one, and the old one stays dead.
  auto first = caller.create();
  auto second = first ? caller.create() : first;
  r.check(first && second && *first != *second && *first != 0 && *first != t.dead &&
              *first != t.scratch && *first != a.id,
          "PARTITION_CREATE ids are not new and distinct");
  if (first) (void)caller.destroy(*first);
  if (second) (void)caller.destroy(*second);
  if (first) {
    auto gone = caller.fast(RS_HC_PARTITION_QUERY, {*first, 0, 0, 0});
    r.check(gone && RS_HC_RESULT_STATUS(gone->result) == RS_STATUS_INVALID_PARTITION_ID,
            "a destroyed partition still answers PARTITION_QUERY");
  }
}

struct StreamFigures {
  std::map<uint32_t, uint64_t> statuses;
  uint64_t calls = 0, mismatches = 0, bad_results = 0, driver_errors = 0;
};

StreamFigures random_stream(RawCaller& caller, const abuse::Targets& t, uint64_t seed,
                            uint64_t calls, const SelftestResult& r) {
  std::mt19937_64 rng(seed);
  StreamFigures f;
  for (uint64_t i = 0; i < calls; ++i) {
    const abuse::Call c = abuse::random_call(t, rng);
    auto out = caller.issue(c);
    ++f.calls;
    if (!out) {
      if (f.driver_errors++ < kShown) {
        r.note("hypercall-abuse: call " + std::to_string(i) + " " + describe_call(c) + ": " +
               vmm::describe(out.error()));
      }
      continue;
    }
    const auto status = static_cast<uint32_t>(RS_HC_RESULT_STATUS(out->result));
    ++f.statuses[status];
    if (status != c.expect) {
      if (f.mismatches++ < kShown) {
        r.note("hypercall-abuse: call " + std::to_string(i) + " " + describe_call(c) +
               ": expected " + vmm::status_name(c.expect) + ", got " + vmm::status_name(status));
      }
    } else if (const std::string why = abuse::check_result(c, out->result); !why.empty()) {
      if (f.bad_results++ < kShown) {
        r.note("hypercall-abuse: call " + std::to_string(i) + " " + describe_call(c) + ": " + why);
      }
    }
    // A partition the stream created goes at once (the stream never destroys live ones).
    if ((c.control & RS_HC_CONTROL_CODE_MASK) == RS_HC_PARTITION_CREATE &&
        status == RS_STATUS_SUCCESS) {
      if (auto d = caller.destroy(out->args[0]); !d) {
        ++f.driver_errors;
        r.note("hypercall-abuse: " + vmm::describe(d.error()));
      }
    }
  }
  return f;
}

// Polls CHECK_INVARIANTS until the counts equal `want` (a destroy in the driver's release path
// may finish a moment after the fd is closed); the last answer.
vmm::Result<rs_hc_invariants_output> settle(vmm::Backend& backend,
                                            const rs_hc_invariants_output& want) {
  vmm::Result<rs_hc_invariants_output> now = backend.check_invariants();
  for (int i = 0; i < 50 && now && !same_frame_counts(want, *now); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    now = backend.check_invariants();
  }
  return now;
}

void check_unchanged(const char* when, const rs_hc_invariants_output& before,
                     const vmm::Result<rs_hc_invariants_output>& after, SelftestResult& r) {
  if (!after) return r.check(false, vmm::describe(after.error()));
  r.note(std::string("hypercall-abuse: ") + when + " " + frame_counts_text(*after));
  r.check(after->violations == 0, std::string(when) + ": hv reports " +
                                      std::to_string(after->violations) + " violations, first " +
                                      invariant_name(after->first_violation) + " at frame " +
                                      hex(after->first_violation_frame));
  r.check(same_frame_counts(before, *after),
          std::string(when) + ": frame counts changed: " + frame_count_changes(before, *after));
  r.check(hv_growth_allowed(before, *after), std::string(when) + ": hv's own frames in use grew: " +
                                                 frame_count_changes(before, *after));
}

}  // namespace

void selftest_hypercall_abuse(SelftestContext& context, SelftestResult& r) {
  auto opened = vmm::open_hvroot();
  r.check(opened.has_value(), opened ? "" : vmm::describe(opened.error()));
  if (!opened) return;
  vmm::Backend& backend = **opened;
  RawCaller caller(backend);
  if (const std::string why = caller.usable(); !why.empty()) return r.check(false, why);
  auto version = backend.version();
  if (!version) return r.check(false, vmm::describe(version.error()));
  r.check(version->vp_limit >= 2 && version->partition_limit >= 4 && version->gpa_bits >= 32,
          "hv's limits are too small for this test: vps=" + std::to_string(version->vp_limit) +
              " partitions=" + std::to_string(version->partition_limit) +
              " gpa_bits=" + std::to_string(version->gpa_bits));
  if (version->vp_limit < 2 || version->partition_limit < 4 || version->gpa_bits < 32) return;
  const uint64_t hv_frame = hv_reservation();
  r.check(hv_frame != 0, "CPUID 0x40000002 names no hv reservation");
  if (hv_frame == 0) return;
  auto start = backend.check_invariants();
  if (!start) return r.check(false, vmm::describe(start.error()));
  r.note("hypercall-abuse: at start " + frame_counts_text(*start));

  {
    // The test's partitions: two through the driver (A, B), one raw (scratch), one dead id.
    auto a = make_child(backend);
    auto b = make_child(backend);
    if (!a || !b) return r.check(false, vmm::describe(a ? b.error() : a.error()));
    auto scratch = caller.create();
    if (!scratch) return r.check(false, vmm::describe(scratch.error()));
    auto dead = caller.create();
    if (dead) {
      if (auto d = caller.destroy(*dead); !d) dead = std::unexpected(d.error());
    }
    if (!dead) {
      (void)caller.destroy(*scratch);  // the driver does not know it: nobody else would
      return r.check(false, vmm::describe(dead.error()));
    }
    OwnPage own;
    abuse::Targets t;
    t.gpa_bits = version->gpa_bits;
    t.vp_limit = version->vp_limit;
    t.partition_limit = version->partition_limit;
    t.hv_frame = hv_frame;
    t.child_frame = physical_address((*a)->memory.host().data()).value_or(0);
    t.root_frame = own.frame;
    t.child_a = (*a)->id;
    t.child_b = (*b)->id;
    t.mapped_bytes = kChildBytes;
    t.scratch = *scratch;
    t.dead = *dead;
    auto set_up = backend.check_invariants();
    if (!set_up) return r.check(false, vmm::describe(set_up.error()));
    t.live_partitions = static_cast<uint32_t>(set_up->partitions);
    r.note("hypercall-abuse: partitions a=" + std::to_string(t.child_a) +
           " b=" + std::to_string(t.child_b) + " scratch=" + std::to_string(t.scratch) +
           " dead=" + std::to_string(t.dead) + "; hv frame " + hex(t.hv_frame) + ", child frame " +
           hex(t.child_frame) + ", own frame " + hex(t.root_frame) +
           (t.child_frame == 0 ? " (no pagemap: cases naming frames by owner left out)" : ""));

    const std::vector<abuse::Call> fixed = abuse::fixed_calls(t);
    unsigned matched = 0;
    for (const abuse::Call& c : fixed) matched += run_checked(caller, c, r) ? 1 : 0;
    r.note("hypercall-abuse: " + std::to_string(matched) + " of " + std::to_string(fixed.size()) +
           " validation cases answered as documented");
    check_outputs(caller, *version, **a, t, r);
    check_unchanged("after the validation cases", *set_up, backend.check_invariants(), r);

    const uint64_t seed = static_cast<uint64_t>(Clock::now().time_since_epoch().count()) ^
                          (uint64_t{static_cast<uint32_t>(::getpid())} << 32);
    const uint64_t calls = context.options().abuse_calls;
    r.note("hypercall-abuse: random stream of " + std::to_string(calls) +
           " calls, seed=" + hex(seed));
    const auto began = Clock::now();
    const StreamFigures f = random_stream(caller, t, seed, calls, r);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began).count();
    std::string counts;
    for (const auto& [status, n] : f.statuses) {
      counts += " " + vmm::status_name(status) + "=" + std::to_string(n);
    }
    r.note("hypercall-abuse: " + std::to_string(f.calls) + " random calls in " +
           std::to_string(ms) + " ms, seed=" + hex(seed) + ":" + counts);
    r.check(f.mismatches == 0, std::to_string(f.mismatches) +
                                   " random calls got another status "
                                   "than the validation order gives");
    r.check(f.bad_results == 0,
            std::to_string(f.bad_results) + " random calls had a malformed result word");
    r.check(f.driver_errors == 0,
            std::to_string(f.driver_errors) + " random calls failed in the driver");
    check_unchanged("after the random stream", *set_up, backend.check_invariants(), r);
    auto qa = (*a)->partition->query();
    r.check(qa && qa->vps == 1 && qa->mapped_pages == kChildBytes / RS_HC_PAGE_SIZE,
            "the driver's partition changed under the stream");

    if (auto d = caller.destroy(t.scratch); !d) r.check(false, vmm::describe(d.error()));
  }  // A and B close: the driver destroys them
  check_unchanged("at the end", *start, settle(backend, *start), r);
}

}  // namespace rootstock::selftest
