// hv's own page tables: physical memory identity-mapped up to the end of what the firmware
// describes (at least 4 GiB), replacing the boot tables (which reach only 4 GiB) so that hv can
// read a root partition's page tables and instructions wherever its RAM is.
#pragma once

#include <stdint.h>

#include <rootstock/memory_map.hpp>

#include "mm/shared_frames.hpp"

namespace hv {

/// Builds the identity map for [0, end of `map` rounded up to 1 GiB, at least 4 GiB) and loads
/// it on the calling CPU. Returns nullptr or why it failed (hv then keeps the boot tables).
const char* build_hv_address_space(const rootstock::MemoryRange* map, size_t count,
                                   SharedFrames& frames);

/// The root of hv's page tables (0 before build_hv_address_space), for the APs' CR3.
uint64_t hv_page_table_root();

/// The end of what hv can address: the identity map's end.
uint64_t hv_mapped_end();

}  // namespace hv
