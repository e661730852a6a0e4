// Part of the `partitions` self-test: many short-lived children in a row (create, map memory,
// create a VP, run it to its first halt, destroy), after which the root's free memory and hv's
// frame counts must be where they started — what leaks once per VM shows here a thousandfold.
#pragma once

#include "selftest/selftest_result.hpp"
#include "vmm/backend.hpp"

namespace rootstock::selftest {

/// Runs the cycles and checks and prints the figures before and after.
void check_partition_cycles(vmm::Backend& backend, SelftestResult& result);

}  // namespace rootstock::selftest
