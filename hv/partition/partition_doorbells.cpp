// PARTITION_DOORBELL (docs/hypercalls.md §11): adds or removes one of a partition's doorbells,
// with the checks in the order the contract lists them.
#include "partition/partitions.hpp"

namespace hv {
namespace {

/// The flag bits ABI 1.2 defines in RDX's low half; bits 63:32 are the cookie.
constexpr uint64_t kDefinedFlags =
    RS_DOORBELL_LENGTH_MASK | RS_DOORBELL_MATCH_VALUE | RS_DOORBELL_REMOVE;

bool valid_length(uint64_t length) {
  return length == 1 || length == 2 || length == 4 || length == 8;
}

}  // namespace

CallResult Partitions::doorbell(uint64_t id, uint64_t gpa, uint64_t flags, uint64_t value) {
  Doorbell d;
  d.gpa = gpa;
  d.value = value;
  d.cookie = static_cast<uint32_t>(flags >> RS_DOORBELL_COOKIE_SHIFT);
  d.match_value = (flags & RS_DOORBELL_MATCH_VALUE) != 0;
  const uint64_t length = flags & RS_DOORBELL_LENGTH_MASK;
  if ((flags & 0xffffffffull & ~kDefinedFlags) != 0) return {RS_STATUS_RESERVED_NONZERO};
  if (!d.match_value && value != 0) return {RS_STATUS_RESERVED_NONZERO};
  if (valid_length(length)) {
    d.length = static_cast<uint8_t>(length);
    if ((value & ~doorbell_value_mask(d.length)) != 0) return {RS_STATUS_RESERVED_NONZERO};
  }
  SpinlockGuard guard(lock_);
  Partition* p = nullptr;
  if (const uint16_t s = changeable(id, p); s != RS_STATUS_SUCCESS) return {s};
  if (!valid_length(length) || gpa % length != 0 || gpa >= (uint64_t{1} << kChildGpaBits)) {
    return {RS_STATUS_INVALID_PARAMETER};
  }
  SpinlockGuard irq(p->irq_lock);
  return {(flags & RS_DOORBELL_REMOVE) != 0 ? p->doorbells.remove(d) : p->doorbells.add(d)};
}

}  // namespace hv
