// The seam between virtio code and a child's RAM: reads and writes of guest-physical ranges that
// are refused, touching nothing, unless the whole range lies inside guest RAM. Every address and
// length a virtqueue or a device model uses comes from the child (DESIGN.md §4: hostile input),
// so nothing in vmm/virtio/ holds a host pointer into guest memory; it asks this interface.
//
// Two implementations: MappedGuestRam (mapped_guest_ram.hpp) over the VMM's GuestMemory blocks,
// and the unit tests' and fuzzer's fake (tests/unit/vmm/fake_guest_ram.hpp).
//
// Ordering: the child's vCPUs run on other CPUs than the VMM's device threads, so the ring
// indexes both sides publish are accessed with acquire/release semantics (virtio 1.2, 2.7.13:
// "a suitable memory barrier"): load_acquire_u16() and store_release_u16(). Plain read() and
// write() are for what those indexes publish (descriptors, ring entries, buffers).
#pragma once

#include <stdint.h>

#include <expected>
#include <span>
#include <type_traits>

namespace rootstock::vmm::virtio {

/// A guest-physical range the seam refused: not wholly inside guest RAM, or for the 16-bit
/// index accesses, not 2-byte aligned.
struct RamFault {
  uint64_t gpa = 0;
  uint64_t length = 0;
};

/// A value, or the range that was refused.
template <typename T>
using RamResult = std::expected<T, RamFault>;

/// Guest RAM as a virtio queue or device reaches it.
class GuestRam {
 public:
  virtual ~GuestRam() = default;

  /// Whether [gpa, gpa + length) lies wholly inside guest RAM (one contiguous block of it);
  /// length 0: whether gpa lies inside a block or at its end. No wrap-around is ever inside.
  [[nodiscard]] virtual bool contains(uint64_t gpa, uint64_t length) const = 0;
  /// Copies guest-physical [gpa, gpa + out.size()) into `out`.
  [[nodiscard]] virtual RamResult<void> read(uint64_t gpa, std::span<uint8_t> out) const = 0;
  /// Copies `data` to guest-physical [gpa, gpa + data.size()).
  [[nodiscard]] virtual RamResult<void> write(uint64_t gpa, std::span<const uint8_t> data) = 0;
  /// The 16-bit field at `gpa` (2-byte aligned), loaded with acquire ordering: what the other
  /// side wrote before its matching release store is visible to reads made after this one.
  [[nodiscard]] virtual RamResult<uint16_t> load_acquire_u16(uint64_t gpa) const = 0;
  /// Stores the 16-bit field at `gpa` (2-byte aligned) with release ordering: writes made
  /// before it are visible to whoever loads the value with acquire ordering.
  [[nodiscard]] virtual RamResult<void> store_release_u16(uint64_t gpa, uint16_t value) = 0;

 protected:
  GuestRam() = default;
  GuestRam(const GuestRam&) = default;
  GuestRam& operator=(const GuestRam&) = default;
};

/// Reads a T (a plain layout type, split_ring.hpp) from guest-physical `gpa`.
template <typename T>
  requires std::is_trivially_copyable_v<T>
[[nodiscard]] RamResult<T> read_object(const GuestRam& ram, uint64_t gpa) {
  T value{};
  auto r = ram.read(gpa, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&value), sizeof(T)));
  if (!r) return std::unexpected(r.error());
  return value;
}

/// Writes a T (a plain layout type, split_ring.hpp) to guest-physical `gpa`.
template <typename T>
  requires std::is_trivially_copyable_v<T>
[[nodiscard]] RamResult<void> write_object(GuestRam& ram, uint64_t gpa, const T& value) {
  return ram.write(gpa,
                   std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
}

}  // namespace rootstock::vmm::virtio
