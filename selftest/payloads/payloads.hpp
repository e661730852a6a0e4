// The self-test payloads (real16.S, long64.S, irq64.S, hostile64.S), assembled into flat binaries
// by the build and embedded in the rootstock binary (embed.S). Their contract with the VMM is
// test_device.h.
#pragma once

#include <stdint.h>

#include <span>

namespace rootstock::selftest::payloads {

/// The payloads there are.
enum class PayloadKind : uint8_t {
  kReal16,     ///< a 64 KiB ROM at PAYLOAD_ROM_GPA, run from the RESET state
  kLong64,     ///< code at PAYLOAD_LONG64_GPA, entered in 64-bit mode the VMM set up
  kIrq64,      ///< as kLong64; takes LAPIC timer interrupts and counts them (test_device.h)
  kHostile64,  ///< as kLong64; probes what a child must not reach (test_device.h)
};

/// The payload's bytes, as loaded into guest memory.
[[nodiscard]] std::span<const uint8_t> image(PayloadKind kind);

/// "real16", "long64", "irq64" or "hostile64".
[[nodiscard]] const char* name(PayloadKind kind);

}  // namespace rootstock::selftest::payloads
