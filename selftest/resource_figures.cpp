#include "selftest/resource_figures.hpp"

#include <chrono>
#include <thread>

#include "selftest/memory_figures.hpp"

namespace rootstock::selftest {

std::expected<ResourceFigures, std::string> take_resource_figures(vmm::Backend& backend) {
  auto frames = backend.check_invariants();
  if (!frames) return std::unexpected(vmm::describe(frames.error()));
  return ResourceFigures{*frames, free_kib(), pins_outstanding()};
}

void check_resources_back(vmm::Backend& backend, const ResourceFigures& before,
                          const std::string& label, uint64_t free_slack_kib, SelftestResult& r) {
  auto after = take_resource_figures(backend);
  if (!after) return r.check(false, label + ": " + after.error());
  // Frees the kernel defers (RCU, per-CPU lists) may lag a moment behind the last VM's end.
  for (int i = 0; i < 5 && after->free_kib + free_slack_kib < before.free_kib; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    after->free_kib = free_kib();
  }
  r.note(label + ": MemFree before=" + std::to_string(before.free_kib) +
         " after=" + std::to_string(after->free_kib) +
         " KiB; pinned pages before=" + std::to_string(before.pins.value_or(0)) +
         " after=" + std::to_string(after->pins.value_or(0)));
  r.note(label + ": before " + frame_counts_text(before.frames));
  r.note(label + ": after  " + frame_counts_text(after->frames));
  r.check(
      same_frame_counts(before.frames, after->frames),
      label + ": hv's frame counts moved: " + frame_count_changes(before.frames, after->frames));
  r.check(hv_growth_allowed(before.frames, after->frames),
          label + ": hv's own frames in use grew: " +
              frame_count_changes(before.frames, after->frames));
  r.check(after->frames.violations == 0,
          label + ": hv reports " + std::to_string(after->frames.violations) + " violations");
  r.check(before.pins && after->pins && *before.pins == *after->pins,
          label + ": pinned pages not all released");
  r.check(after->free_kib + free_slack_kib >= before.free_kib,
          label + ": the root lost " + std::to_string(before.free_kib - after->free_kib) +
              " KiB of free memory");
}

}  // namespace rootstock::selftest
