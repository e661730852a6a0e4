// Where virtio-rng's bytes come from (virtio 1.2, 5.4 "Entropy Device"): a seam, so that the
// device is tested with a scripted source and runs on the root kernel's CSPRNG in production.
#pragma once

#include <stdint.h>

#include <functional>
#include <span>

namespace rootstock::vmm::virtio {

/// Fills the whole span with random bytes; false if it cannot (nothing of the span may be used).
using EntropySource = std::function<bool(std::span<uint8_t> out)>;

/// The root kernel's CSPRNG through getrandom(2), short reads continued and EINTR retried.
/// Flags 0: it blocks only until the kernel's pool is first initialised, which on x86-64 (RDRAND,
/// jitter entropy) is done long before any VM starts; afterwards it never blocks and never runs
/// dry, so a child asking for more costs the root CPU time only.
[[nodiscard]] EntropySource system_entropy();

}  // namespace rootstock::vmm::virtio
