// Numbers in hex for the self-tests' console lines.
#pragma once

#include <stdint.h>

#include <string>

namespace rootstock::selftest {

/// "0x1f".
[[nodiscard]] std::string hex(uint64_t value);

}  // namespace rootstock::selftest
