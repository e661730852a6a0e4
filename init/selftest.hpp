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

}  // namespace rootstock::init
