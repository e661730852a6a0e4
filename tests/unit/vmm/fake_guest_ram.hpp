// Guest RAM in a vector, for the virtio unit tests and the virtqueue fuzzer: one block
// [base, base + size) behind the GuestRam seam (vmm/virtio/guest_ram.hpp), with the same
// refusals as MappedGuestRam. It counts what it refused, and can record where it was written,
// so that a test or the fuzzer can say what the code under test tried to reach.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "vmm/virtio/guest_ram.hpp"

namespace rootstock::test {

class FakeGuestRam final : public vmm::virtio::GuestRam {
 public:
  /// A guest-physical range that was written.
  struct Range {
    uint64_t gpa;
    uint64_t length;
  };

  /// `size` zeroed bytes at guest-physical `base` (a multiple of 16, so that an aligned gpa is
  /// an aligned host address: the vector's storage is at least 16-aligned).
  FakeGuestRam(uint64_t base, size_t size) : base_(base), bytes_(size) {}

  [[nodiscard]] uint64_t base() const { return base_; }
  [[nodiscard]] uint64_t size() const { return bytes_.size(); }
  /// The driver's (the test's) own view of the RAM: no checks, nothing counted.
  [[nodiscard]] std::span<uint8_t> bytes() { return bytes_; }

  /// As new: zeroed, nothing refused or recorded (the fuzzer reuses one rather than map a
  /// fresh MiB for every input).
  void clear() {
    std::fill(bytes_.begin(), bytes_.end(), uint8_t{0});
    refused_ = 0;
    recording_ = false;
    writes_.clear();
  }

  /// Accesses refused so far: ranges outside the RAM, misaligned index fields.
  [[nodiscard]] uint64_t refused() const { return refused_; }
  /// Whether to record every write (write() and store_release_u16()) from now on.
  void record_writes(bool on) { recording_ = on; }
  /// The writes recorded since the last call, in order.
  [[nodiscard]] std::vector<Range> take_writes() { return std::exchange(writes_, {}); }
  /// The writes recorded so far, and forgetting them keeping the storage (for the fuzzer).
  [[nodiscard]] const std::vector<Range>& writes() const { return writes_; }
  void forget_writes() { writes_.clear(); }

  [[nodiscard]] bool contains(uint64_t gpa, uint64_t length) const override {
    // Written without gpa + length, which a hostile length could wrap.
    const uint64_t total = bytes_.size();
    return gpa >= base_ && gpa - base_ <= total && length <= total - (gpa - base_);
  }

  [[nodiscard]] vmm::virtio::RamResult<void> read(uint64_t gpa,
                                                  std::span<uint8_t> out) const override {
    if (!contains(gpa, out.size())) return refuse(gpa, out.size());
    if (!out.empty()) memcpy(out.data(), bytes_.data() + (gpa - base_), out.size());
    return {};
  }

  [[nodiscard]] vmm::virtio::RamResult<void> write(uint64_t gpa,
                                                   std::span<const uint8_t> data) override {
    if (!contains(gpa, data.size())) return refuse(gpa, data.size());
    if (recording_) writes_.push_back({gpa, data.size()});
    if (!data.empty()) memcpy(bytes_.data() + (gpa - base_), data.data(), data.size());
    return {};
  }

  [[nodiscard]] vmm::virtio::RamResult<uint16_t> load_acquire_u16(uint64_t gpa) const override {
    if (gpa % 2 != 0 || !contains(gpa, 2)) return refuse(gpa, 2);
    return std::atomic_ref<uint16_t>(*field(gpa)).load(std::memory_order_acquire);
  }

  [[nodiscard]] vmm::virtio::RamResult<void> store_release_u16(uint64_t gpa,
                                                               uint16_t value) override {
    if (gpa % 2 != 0 || !contains(gpa, 2)) return refuse(gpa, 2);
    if (recording_) writes_.push_back({gpa, 2});
    std::atomic_ref<uint16_t>(*field(gpa)).store(value, std::memory_order_release);
    return {};
  }

  /// The driver's accesses: a T at `gpa`, which must lie inside the RAM (a test bug otherwise).
  template <typename T>
    requires std::is_trivially_copyable_v<T>
  void poke(uint64_t gpa, const T& value) {
    memcpy(bytes_.data() + (gpa - base_), &value, sizeof(T));
  }
  template <typename T>
    requires std::is_trivially_copyable_v<T>
  [[nodiscard]] T peek(uint64_t gpa) const {
    T value;
    memcpy(&value, bytes_.data() + (gpa - base_), sizeof(T));
    return value;
  }
  /// The driver's side of the ring indexes: the same atomics as the device's.
  void store_u16_release(uint64_t gpa, uint16_t value) {
    std::atomic_ref<uint16_t>(*field(gpa)).store(value, std::memory_order_release);
  }
  [[nodiscard]] uint16_t load_u16_acquire(uint64_t gpa) const {
    return std::atomic_ref<uint16_t>(*field(gpa)).load(std::memory_order_acquire);
  }

 private:
  std::unexpected<vmm::virtio::RamFault> refuse(uint64_t gpa, uint64_t length) const {
    ++refused_;
    return std::unexpected(vmm::virtio::RamFault{gpa, length});
  }
  [[nodiscard]] uint16_t* field(uint64_t gpa) const {
    return reinterpret_cast<uint16_t*>(const_cast<uint8_t*>(bytes_.data()) + (gpa - base_));
  }

  uint64_t base_;
  std::vector<uint8_t> bytes_;
  mutable uint64_t refused_ = 0;
  bool recording_ = false;
  std::vector<Range> writes_;
};

}  // namespace rootstock::test
