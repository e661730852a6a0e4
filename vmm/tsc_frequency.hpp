// The host TSC's frequency as user space can measure it. A child's TSC is the host's (hv adds no
// offset to it), so this is the frequency its clock runs at too.
#pragma once

#include <stdint.h>

namespace rootstock::vmm {

/// The TSC frequency in kHz, measured against the monotonic clock over 50 ms (the call sleeps
/// that long); 0 if the clock did not advance.
[[nodiscard]] uint64_t measure_tsc_khz();

}  // namespace rootstock::vmm
