// Named self-tests of the root (`rootstock.selftest=NAME[,NAME…]`, DESIGN.md §7): each runs
// inside the live PID 1 and ends with `[rootstock] selftest name=NAME passed=N failed=M`.
#pragma once

#include <functional>
#include <string>

namespace rootstock::init {

class PidOne;

/// Counts checks and prints each failure.
class SelftestResult {
 public:
  explicit SelftestResult(std::string name) : name_(std::move(name)) {}
  /// Records one check; a failed one prints `what`.
  void check(bool ok, const std::string& what);
  /// Prints the milestone.
  void finish() const;
  unsigned failed() const { return failed_; }

 private:
  std::string name_;
  unsigned passed_ = 0;
  unsigned failed_ = 0;
};

/// Runs the self-test `name`; false when there is none of that name.
bool run_selftest(const std::string& name, PidOne& init);

/// The `init` self-test: reaping (a burst of children, an orphan), module loading errors and
/// the process-stopping step of shutdown.
void selftest_init(PidOne& init, SelftestResult& result);

/// The `protection` self-test: run in the root under hv, hv's memory stays unreadable and
/// unwritable, SVM stays hidden and hv's MSRs untouchable.
void selftest_protection(PidOne& init, SelftestResult& result);
void selftest_vm_isolation(PidOne& init, SelftestResult& result);

/// The `partitions` self-test: four payload children at once on four threads (ids, MMIO,
/// checksums of 64 MiB), 1000 create/destroy cycles and a killed VMM process, with the root's
/// free memory and hv's frame counts back where they started (needs /dev/hvroot).
void selftest_partitions(PidOne& init, SelftestResult& result);

/// The `hypercall-abuse` self-test: every validation rule of docs/hypercalls.md and a seeded
/// random stream of 100,000 raw hypercalls, then no invariant violations and the frame counts of
/// the start (needs hvroot loaded with allow_raw_hypercalls=1).
void selftest_hypercall_abuse(PidOne& init, SelftestResult& result);

/// The `hostile-child` self-test: payload hostile64 probes CR4, RDPMC, SVM instructions, the
/// debug registers, IA32_TSC_AUX, XSETBV, over-long xAPIC stores, a one-tick periodic timer and
/// an IPI flood, twice on one CPU, while a sibling child checksums memory; hv's answers are
/// checked and its invariants hold afterwards.
void selftest_hostile_child(PidOne& init, SelftestResult& result);

/// The `hostile-root` self-test: the root writes IA32_APIC_BASE, reads and writes deposited
/// frames, races deposits from another CPU, splits hv's nested tables across all of RAM and
/// takes CPUs offline and online; hv's invariants and canary hold after each (needs hvroot
/// loaded with allow_raw_hypercalls=1).
void selftest_hostile_root(PidOne& init, SelftestResult& result);

/// The `linux-children` self-test: the default child kernel in a 2-vCPU child reaches its init
/// with both CPUs, times `sleep 2`, takes typed input and powers off (issue 7).
void selftest_linux_children(PidOne& init, SelftestResult& result);

/// The `interrupt-delivery` self-test: a payload child's 250 LAPIC timer interrupts are each
/// delivered once, never while its IF is clear (payload irq64).
void selftest_interrupt_delivery(PidOne& init, SelftestResult& result);

}  // namespace rootstock::init
