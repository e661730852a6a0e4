#include "vmm/address_ranges.hpp"

#include <cstdio>

namespace rootstock::vmm {

std::string describe_address(uint64_t address) {
  char text[20];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(address));
  return text;
}

std::string describe_range(uint64_t first, uint64_t last) {
  return describe_address(first) + "-" + describe_address(last);
}

}  // namespace rootstock::vmm
