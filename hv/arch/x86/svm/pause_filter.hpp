// Which child PAUSEs exit on SVM (AMD APM vol. 2, 15.14.4 "Pause Intercept Filtering"): with
// the PAUSE intercept set, VMRUN loads the filter count and every PAUSE decrements it; the
// intercept is taken when it reaches zero. With the threshold feature, a gap of more than
// `threshold` cycles between two PAUSEs reloads the count, so only a tight loop exits. The
// values are KVM's defaults (pause_filter_count 3000, pause_filter_thresh 128). Without the
// filter feature the count is ignored and every PAUSE exits (APM 15.14.4), which is why
// `kAuto` does not intercept there. Pure: host-unit-tested.
#pragma once

#include <stdint.h>

#include "vcpu/pause_exits.hpp"

namespace hv::svm {

inline constexpr uint16_t kPauseFilterCount = 3000;
inline constexpr uint16_t kPauseFilterThreshold = 128;

/// What a child VMCB gets: the intercept bit and the two filter fields (VMCB 0x03c, 0x03e).
struct PauseExits {
  bool intercept = false;
  uint16_t filter_count = 0;
  uint16_t filter_threshold = 0;
};

/// The child VMCB's PAUSE settings for a mode and what CPUID 8000_000Ah EDX reports (bit 10
/// PauseFilter, bit 12 PauseFilterThreshold).
constexpr PauseExits pause_exits(PauseExitMode mode, bool has_filter, bool has_threshold) {
  switch (mode) {
    case PauseExitMode::kNone:
      return {};
    case PauseExitMode::kAll:
      // A CPU without the filter ignores the count and exits on every PAUSE; one with it exits
      // at the first or second PAUSE of a loop (whether a count of 0 exits at once or disables
      // the filter, the APM does not say; KVM takes 0 to mean "off").
      return {true, 1, 0};
    case PauseExitMode::kAuto:
      if (!has_filter) return {};
      return {true, kPauseFilterCount, has_threshold ? kPauseFilterThreshold : uint16_t{0}};
  }
  return {};
}

}  // namespace hv::svm
