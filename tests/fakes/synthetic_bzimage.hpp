// A minimal 64-bit relocatable bzImage the VMM's loader accepts (Linux boot protocol 2.15), for
// unit tests that build a Linux VM over the fake backend, which runs none of it.
#pragma once

#include <stdint.h>

#include <vector>

namespace rootstock::vmm {

/// The image: a boot sector, 4 setup sectors with a 2.15 header, and 4 KiB of "kernel".
std::vector<uint8_t> synthetic_bzimage();

}  // namespace rootstock::vmm
