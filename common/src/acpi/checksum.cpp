#include "rootstock/acpi/checksum.hpp"

namespace rootstock::acpi {

bool sum_bytes(const boot::PhysReader& reader, uint64_t paddr, uint64_t len, uint8_t& sum) {
  if (len != 0 && paddr + (len - 1) < paddr) {
    return false;
  }
  uint8_t chunk[256];
  uint8_t total = 0;
  for (uint64_t done = 0; done < len;) {
    const size_t n = len - done < sizeof(chunk) ? static_cast<size_t>(len - done) : sizeof(chunk);
    if (!reader.read(paddr + done, chunk, n)) {
      return false;
    }
    for (size_t i = 0; i < n; ++i) {
      total = static_cast<uint8_t>(total + chunk[i]);
    }
    done += n;
  }
  sum = total;
  return true;
}

}  // namespace rootstock::acpi
