// One self-test's report: its checks counted, each failure and each note printed as it comes,
// and at the end the milestone `[rootstock] selftest name=NAME passed=N failed=M`
// (docs/milestones.md), all on the appliance console of the context.
#pragma once

#include <string>

#include "selftest/selftest_context.hpp"

namespace rootstock::selftest {

/// Counts checks and prints each failure.
class SelftestResult {
 public:
  SelftestResult(std::string name, SelftestContext& context)
      : name_(std::move(name)), context_(context) {}
  /// Records one check; a failed one prints `what`.
  void check(bool ok, const std::string& what);
  /// Prints a line of the test's log ("partitions: at start …"). Any thread.
  void note(const std::string& line) const { context_.say(line); }
  /// Prints the milestone.
  void finish() const;
  unsigned passed() const { return passed_; }
  unsigned failed() const { return failed_; }

 private:
  std::string name_;
  SelftestContext& context_;
  unsigned passed_ = 0;
  unsigned failed_ = 0;
};

}  // namespace rootstock::selftest
