// The root's named self-tests (`rootstock.selftest=NAME[,NAME…]`, DESIGN.md §7): each runs
// inside the live PID 1 and ends with `[rootstock] selftest name=NAME passed=N failed=M`. The
// names are part of the interface (boot tests and operators use them): one table here, in
// registry.cpp, holds them.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "selftest/selftest_context.hpp"
#include "selftest/selftest_result.hpp"

namespace rootstock::selftest {

/// One self-test: its name, its body (checks into the result; the registry prints the
/// milestone), and whether it needs the hvroot driver's raw hypercalls.
struct SelftestEntry {
  const char* name;
  void (*run)(SelftestContext& context, SelftestResult& result);
  bool raw_hypercalls;  ///< hvroot must be loaded with allow_raw_hypercalls=1
};

/// Every self-test, sorted by name.
[[nodiscard]] std::span<const SelftestEntry> selftests();
/// Their names, sorted.
[[nodiscard]] std::vector<std::string> selftest_names();

/// Runs the self-test `name` and prints its milestone; false when there is none of that name.
bool run_selftest(const std::string& name, SelftestContext& context);
/// Runs each of `names` in order; a name without a self-test is said and reported as a
/// self-test with one failed check, so that whoever waits for its milestone sees the failure.
void run_selftests(const std::vector<std::string>& names, SelftestContext& context);
/// Whether any of `names` needs raw hypercalls (PID 1 then loads hvroot allowing them).
[[nodiscard]] bool need_raw_hypercalls(const std::vector<std::string>& names);

}  // namespace rootstock::selftest
