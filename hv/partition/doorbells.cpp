#include "partition/doorbells.hpp"

namespace hv {

uint16_t DoorbellTable::add(const Doorbell& doorbell) {
  for (uint32_t i = 0; i < count_; ++i) {
    if (slots_[i].same_as(doorbell)) return RS_STATUS_EXISTS;
  }
  if (count_ == RS_DOORBELL_MAX) return RS_STATUS_LIMIT_REACHED;
  slots_[count_++] = doorbell;
  return RS_STATUS_SUCCESS;
}

uint16_t DoorbellTable::remove(const Doorbell& doorbell) {
  for (uint32_t i = 0; i < count_; ++i) {
    if (!slots_[i].same_as(doorbell)) continue;
    slots_[i] = slots_[--count_];  // order does not matter
    return RS_STATUS_SUCCESS;
  }
  return RS_STATUS_INVALID_PARAMETER;
}

bool DoorbellTable::any_at(uint64_t gpa) const {
  for (uint32_t i = 0; i < count_; ++i) {
    if (slots_[i].gpa == gpa) return true;
  }
  return false;
}

const Doorbell* DoorbellTable::ringing(uint64_t gpa, uint8_t length, uint64_t value) const {
  const uint64_t written = value & doorbell_value_mask(length);
  for (uint32_t i = 0; i < count_; ++i) {
    const Doorbell& d = slots_[i];
    if (d.gpa != gpa || d.length != length) continue;
    if (!d.match_value || d.value == written) return &d;
  }
  return nullptr;
}

}  // namespace hv
