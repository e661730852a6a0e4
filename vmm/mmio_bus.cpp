#include "vmm/mmio_bus.hpp"

namespace rootstock::vmm {

Result<void> MmioBus::add(uint64_t gpa, uint64_t size, MmioHandler& device, std::string_view name) {
  if (size == 0 || gpa + (size - 1) < gpa) {
    return fail("mmio bus: " + std::to_string(size) + " bytes at " + describe_address(gpa) + " (" +
                std::string(name) + ") are not a range of the 64-bit address space");
  }
  return ranges_.add("mmio bus:", gpa, gpa + (size - 1), device, name);
}

uint64_t MmioBus::read(uint64_t gpa, uint8_t size) {
  if (MmioHandler* d = ranges_.find(gpa)) return d->read(gpa, size);
  unclaimed_.fetch_add(1, std::memory_order_relaxed);
  return ~uint64_t{0};  // the run loop keeps the low `size` bytes
}

Next MmioBus::write(uint64_t gpa, uint8_t size, uint64_t value) {
  if (MmioHandler* d = ranges_.find(gpa)) return d->write(gpa, size, value);
  unclaimed_.fetch_add(1, std::memory_order_relaxed);
  return Next::kContinue;
}

}  // namespace rootstock::vmm
