// GuestRam over the VMM's own mapping of a child's RAM: the GuestMemory blocks a LinuxVm maps
// into its partition (vmm/guest_memory.hpp). The blocks stay mapped in the VMM for the child's
// life, so an access is a bounds check and a copy; the ring indexes are 16-bit atomics on the
// same bytes the child's vCPUs access.
#pragma once

#include <stdint.h>

#include <span>
#include <utility>
#include <vector>

#include "vmm/guest_memory.hpp"
#include "vmm/virtio/guest_ram.hpp"

namespace rootstock::vmm::virtio {

/// A child's RAM as one or more GuestMemory blocks. An access must lie inside one block.
class MappedGuestRam final : public GuestRam {
 public:
  /// Over `blocks`, which are not owned and must outlive this object and every queue and
  /// device using it.
  explicit MappedGuestRam(std::vector<GuestMemory*> blocks) : blocks_(std::move(blocks)) {}

  [[nodiscard]] bool contains(uint64_t gpa, uint64_t length) const override;
  [[nodiscard]] RamResult<void> read(uint64_t gpa, std::span<uint8_t> out) const override;
  [[nodiscard]] RamResult<void> write(uint64_t gpa, std::span<const uint8_t> data) override;
  [[nodiscard]] RamResult<uint16_t> load_acquire_u16(uint64_t gpa) const override;
  [[nodiscard]] RamResult<void> store_release_u16(uint64_t gpa, uint16_t value) override;

 private:
  /// The host bytes of [gpa, gpa + length) if one block holds them all, else nullptr.
  [[nodiscard]] uint8_t* host(uint64_t gpa, uint64_t length) const;
  /// The host address of the 16-bit field at `gpa`: inside a block and 2-byte aligned.
  [[nodiscard]] uint16_t* index_field(uint64_t gpa) const;

  std::vector<GuestMemory*> blocks_;
};

}  // namespace rootstock::vmm::virtio
