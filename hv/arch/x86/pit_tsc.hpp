// TSC frequency and busy-wait delays. hv needs real waits before the OS runs (the INIT-SIPI-SIPI
// sequence, Intel SDM 8.4.4.1) and TSC timestamps; it measures the TSC against the 8254 PIT,
// which every PC and every emulator has.
#pragma once

#include <stdint.h>

namespace hv::x86 {

/// Measures the TSC frequency against PIT channel 2 (8254 datasheet, mode 0) and remembers it.
/// Returns the frequency in kHz, or 0 when the PIT does not count (then delays fall back to a
/// conservative 4 GHz assumption, which only makes waits longer).
uint64_t calibrate_tsc();
/// The calibrated TSC frequency in kHz (0 before calibration).
uint64_t tsc_khz();
/// Busy-waits at least `us` microseconds.
void delay_us(uint64_t us);

}  // namespace hv::x86
