// Copying a request's bytes in and out of its chain (virtio 1.2, 2.7.4 "Message Framing": the
// bytes are what counts, not how the driver split them into buffers, so a device reads a 16-byte
// header the same way whether it fills one buffer or spans three). Every access goes through
// GuestRam, which refuses what is outside guest RAM even if the child changed its memory map.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "vmm/virtio/descriptor_chain.hpp"
#include "vmm/virtio/guest_ram.hpp"

namespace rootstock::vmm::virtio {

/// Copies the chain's readable bytes from `offset` on into `out`, as many as there are up to
/// out.size(); returns how many it copied (0 at or past the end).
[[nodiscard]] RamResult<size_t> read_from_chain(const GuestRam& ram, const DescriptorChain& chain,
                                                uint64_t offset, std::span<uint8_t> out);

/// Copies `data` into the chain's writable bytes from `offset` on, as much as fits; returns how
/// many bytes it copied.
[[nodiscard]] RamResult<size_t> write_to_chain(GuestRam& ram, const DescriptorChain& chain,
                                               uint64_t offset, std::span<const uint8_t> data);

}  // namespace rootstock::vmm::virtio
