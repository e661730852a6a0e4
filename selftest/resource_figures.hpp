// What must come back after many VMs (the partitions and appliance-cycles self-tests): hv's
// frame counts, the root's free memory and its pinned pages, taken before and checked after,
// with both sets printed so that a failing boot log shows the numbers, not only the verdict.
#pragma once

#include <stdint.h>

#include <expected>
#include <optional>
#include <string>

#include <rootstock/hypercall_abi.h>

#include "selftest/selftest_result.hpp"
#include "vmm/backend.hpp"

namespace rootstock::selftest {

struct ResourceFigures {
  rs_hc_invariants_output frames{};  ///< hv's CHECK_INVARIANTS counts
  uint64_t free_kib = 0;             ///< memory_figures.hpp free_kib()
  std::optional<uint64_t> pins;      ///< memory_figures.hpp pins_outstanding()
};

/// The figures now, or hv's error in words.
[[nodiscard]] std::expected<ResourceFigures, std::string> take_resource_figures(
    vmm::Backend& backend);

/// Takes the figures again and checks each against `before`: hv's frame counts the same (and
/// its own frames grown no more than hv_growth_allowed()), no invariant violations, every pinned
/// page released, free memory down by at most `free_slack_kib` (MemFree moves by a few MiB on
/// its own; the kernel's deferred frees get a moment first). `label` starts every line
/// ("partitions: … cycles").
void check_resources_back(vmm::Backend& backend, const ResourceFigures& before,
                          const std::string& label, uint64_t free_slack_kib, SelftestResult& r);

}  // namespace rootstock::selftest
