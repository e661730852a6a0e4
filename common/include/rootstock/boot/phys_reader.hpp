// The seam between boot-information parsers (boot loader structures, ACPI tables) and physical
// memory: parsers never dereference a physical address themselves. hv implements it over its
// identity map with range checks; host tests implement it over blobs placed at fake addresses.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace rootstock::boot {

/// Read-only access to physical memory that may refuse any range.
class PhysReader {
 public:
  /// Copies the `len` bytes at `paddr` to `out`. Returns false, and the content of `out` is
  /// unspecified, when any byte of [paddr, paddr + len) is not readable or the range wraps.
  [[nodiscard]] virtual bool read(uint64_t paddr, void* out, size_t len) const = 0;

 protected:
  PhysReader() = default;
  PhysReader(const PhysReader&) = default;
  PhysReader& operator=(const PhysReader&) = default;
  // Never deleted through this interface: non-virtual, so hv needs no operator delete.
  ~PhysReader() = default;
};

/// Reads one structure of boot information (a plain layout type) at `paddr`.
template <typename T>
[[nodiscard]] bool read_struct(const PhysReader& reader, uint64_t paddr, T& out) {
  static_assert(__is_trivially_copyable(T), "read_struct reads plain layouts only");
  return reader.read(paddr, &out, sizeof(T));
}

}  // namespace rootstock::boot
