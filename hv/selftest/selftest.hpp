// hv's built-in self-test (hv.selftest, DESIGN.md §7): on every CPU, a tiny guest under nested
// paging exercises CPUID, port I/O, RDMSR/WRMSR, VMMCALL, HLT, a nested page fault and event
// injection, and hv checks each exit against what the guest did (selftest/script.hpp).
#pragma once

#include <stdint.h>

#include "cpu/per_cpu.hpp"
#include "mm/shared_frames.hpp"

namespace hv::selftest {

/// The intercept-everything I/O and MSR permission maps all self-test guests share.
struct PermissionMaps {
  uint64_t iopm_pa = 0;   ///< 12 KiB, all ones
  uint64_t msrpm_pa = 0;  ///< 8 KiB, all ones
};

/// Runs the self-test guest on the calling CPU (SVM must be on) and records the outcome in
/// cpu.selftest_passed / selftest_failed. Frames it takes are all given back; a leak counts
/// as a failure.
void run_on_this_cpu(PerCpu& cpu, SharedFrames& frames, const PermissionMaps& maps);

}  // namespace hv::selftest
