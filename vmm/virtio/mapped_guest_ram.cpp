#include "vmm/virtio/mapped_guest_ram.hpp"

#include <atomic>
#include <cstring>

namespace rootstock::vmm::virtio {

uint8_t* MappedGuestRam::host(uint64_t gpa, uint64_t length) const {
  for (GuestMemory* block : blocks_) {
    // GuestMemory::contains is written so that a hostile gpa + length cannot wrap.
    if (block->contains(gpa, length)) return block->host().data() + (gpa - block->gpa());
  }
  return nullptr;
}

uint16_t* MappedGuestRam::index_field(uint64_t gpa) const {
  if (gpa % alignof(uint16_t) != 0) return nullptr;
  // A block's host mapping is page-aligned (mmap), so an aligned gpa is an aligned address.
  return reinterpret_cast<uint16_t*>(host(gpa, sizeof(uint16_t)));
}

bool MappedGuestRam::contains(uint64_t gpa, uint64_t length) const {
  for (const GuestMemory* block : blocks_) {
    if (block->contains(gpa, length)) return true;
  }
  return false;
}

RamResult<void> MappedGuestRam::read(uint64_t gpa, std::span<uint8_t> out) const {
  const uint8_t* from = host(gpa, out.size());
  if (from == nullptr) return std::unexpected(RamFault{gpa, out.size()});
  if (!out.empty()) std::memcpy(out.data(), from, out.size());
  return {};
}

RamResult<void> MappedGuestRam::write(uint64_t gpa, std::span<const uint8_t> data) {
  uint8_t* to = host(gpa, data.size());
  if (to == nullptr) return std::unexpected(RamFault{gpa, data.size()});
  if (!data.empty()) std::memcpy(to, data.data(), data.size());
  return {};
}

RamResult<uint16_t> MappedGuestRam::load_acquire_u16(uint64_t gpa) const {
  uint16_t* field = index_field(gpa);
  if (field == nullptr) return std::unexpected(RamFault{gpa, sizeof(uint16_t)});
  return std::atomic_ref<uint16_t>(*field).load(std::memory_order_acquire);
}

RamResult<void> MappedGuestRam::store_release_u16(uint64_t gpa, uint16_t value) {
  uint16_t* field = index_field(gpa);
  if (field == nullptr) return std::unexpected(RamFault{gpa, sizeof(uint16_t)});
  std::atomic_ref<uint16_t>(*field).store(value, std::memory_order_release);
  return {};
}

}  // namespace rootstock::vmm::virtio
