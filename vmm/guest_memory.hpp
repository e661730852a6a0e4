// A range of a child's RAM as the VMM holds it: anonymous memory of the VMM process that the
// hvroot driver pins and hv maps at `gpa` (hypercalls.md MAP_GPA_RANGE: the frames stay mapped
// in the root, so the VMM reads and writes guest memory directly). Every guest-physical access
// the VMM makes goes through bytes(), which checks the range against this block (DESIGN.md §4:
// addresses from a child are untrusted).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "vmm/error.hpp"

namespace rootstock::vmm {

/// One block of guest RAM: [gpa, gpa + size), backed by a private anonymous mapping.
class GuestMemory {
 public:
  /// The page size every GPA, size and host address here is a multiple of.
  static constexpr uint64_t kPageSize = 4096;

  /// Maps `size` bytes (a non-zero 4 KiB multiple) of zeroed, populated memory for
  /// guest-physical `gpa` (4 KiB-aligned; the range must not wrap).
  [[nodiscard]] static Result<GuestMemory> allocate(uint64_t gpa, uint64_t size);

  GuestMemory(GuestMemory&& other) noexcept;
  GuestMemory& operator=(GuestMemory&& other) noexcept;
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;
  ~GuestMemory();

  [[nodiscard]] uint64_t gpa() const { return gpa_; }
  [[nodiscard]] uint64_t size() const { return size_; }
  /// The whole block, for HVROOT_MAP_MEMORY.
  [[nodiscard]] std::span<uint8_t> host() { return {base_, size_}; }

  /// Whether [gpa, gpa + length) lies inside this block (length 0: gpa inside or at its end).
  [[nodiscard]] bool contains(uint64_t gpa, uint64_t length) const;
  /// The host bytes of guest-physical [gpa, gpa + length), or an error naming the range.
  [[nodiscard]] Result<std::span<uint8_t>> bytes(uint64_t gpa, uint64_t length);
  [[nodiscard]] Result<std::span<const uint8_t>> bytes(uint64_t gpa, uint64_t length) const;
  /// Copies `data` to guest-physical `gpa`.
  [[nodiscard]] Result<void> write(uint64_t gpa, std::span<const uint8_t> data);

 private:
  GuestMemory(uint64_t gpa, uint64_t size, uint8_t* base) : gpa_(gpa), size_(size), base_(base) {}
  void release();

  uint64_t gpa_ = 0;
  uint64_t size_ = 0;
  uint8_t* base_ = nullptr;
};

}  // namespace rootstock::vmm
