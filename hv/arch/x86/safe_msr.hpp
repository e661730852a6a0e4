// RDMSR and WRMSR that survive a #GP: for MSRs the root names that hv cannot know exist. The
// exception handler finds the faulting instruction in hv's fixup table (.hv_fixup, pairs of
// faulting and resume addresses) and resumes at the fixup, which reports the fault.
#pragma once

#include <stdint.h>

namespace hv::x86 {

/// RDMSR; false when the CPU raised #GP (no such MSR, or a reserved one).
bool safe_rdmsr(uint32_t msr, uint64_t& value);
/// WRMSR; false when the CPU raised #GP.
bool safe_wrmsr(uint32_t msr, uint64_t value);

/// The resume address for a fault at `rip`, or 0 when `rip` has no fixup.
uint64_t find_fixup(uint64_t rip);

}  // namespace hv::x86
