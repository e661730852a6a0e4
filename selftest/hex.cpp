#include "selftest/hex.hpp"

#include <cstdio>

namespace rootstock::selftest {

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace rootstock::selftest
