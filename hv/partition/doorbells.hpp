// A partition's doorbells (docs/hypercalls.md §11): GPAs whose plain stores hv completes itself
// and reports as RS_EXIT_DOORBELL, so that a virtio driver's queue notification reaches the
// device's thread without the VMM. A fixed table (RS_DOORBELL_MAX entries) inside the
// Partition: adding one allocates nothing. Plain data; the partition's irq_lock guards it
// (PARTITION_DOORBELL changes it, a VP's nested page fault looks it up).
#pragma once

#include <stdint.h>

#include <rootstock/hypercall_abi.h>

namespace hv {

/// One doorbell as PARTITION_DOORBELL named it.
struct Doorbell {
  uint64_t gpa = 0;
  uint64_t value = 0;  ///< with match_value: the one value that rings it
  uint32_t cookie = 0;
  uint8_t length = 0;  ///< 1, 2, 4 or 8
  bool match_value = false;

  /// The same doorbell: what REMOVE names, and what a second add may not repeat.
  [[nodiscard]] bool same_as(const Doorbell& other) const {
    return gpa == other.gpa && length == other.length && match_value == other.match_value &&
           value == other.value;
  }
};

class DoorbellTable {
 public:
  /// RS_STATUS_SUCCESS; EXISTS when the same doorbell is there; LIMIT_REACHED when full.
  [[nodiscard]] uint16_t add(const Doorbell& doorbell);
  /// RS_STATUS_SUCCESS; INVALID_PARAMETER when no such doorbell is there.
  [[nodiscard]] uint16_t remove(const Doorbell& doorbell);
  /// Whether any doorbell sits at `gpa`: the cheap test before an instruction is decoded.
  [[nodiscard]] bool any_at(uint64_t gpa) const;
  /// The doorbell a store of `length` bytes of `value` at `gpa` rings, or null.
  [[nodiscard]] const Doorbell* ringing(uint64_t gpa, uint8_t length, uint64_t value) const;
  [[nodiscard]] uint32_t count() const { return count_; }

 private:
  Doorbell slots_[RS_DOORBELL_MAX];
  uint32_t count_ = 0;  ///< slots_[0, count_) are in use
};

/// The low `length` bytes of `value` (length 1, 2, 4 or 8).
[[nodiscard]] constexpr uint64_t doorbell_value_mask(uint8_t length) {
  return length >= 8 ? ~uint64_t{0} : (uint64_t{1} << (length * 8u)) - 1;
}

}  // namespace hv
