#include "vmm/virtio/queue_error.hpp"

#include <cstdio>

namespace rootstock::vmm::virtio {
namespace {

/// What an error is about: the configuration, the rings, one chain, or the device's own use.
enum class Scope : uint8_t { kConfiguration, kRing, kChain, kDevice };

Scope scope(QueueError error) {
  switch (error) {
    case QueueError::kSizeInvalid:
    case QueueError::kRingMisaligned:
    case QueueError::kRingOutsideRam:
      return Scope::kConfiguration;
    case QueueError::kAvailIndexJump:
    case QueueError::kHeadOutOfRange:
    case QueueError::kRingAccessRefused:
      return Scope::kRing;
    case QueueError::kNextOutOfRange:
    case QueueError::kChainTooLong:
    case QueueError::kLengthOverflow:
    case QueueError::kReadableAfterWritable:
    case QueueError::kBufferOutsideRam:
    case QueueError::kIndirectNotNegotiated:
    case QueueError::kNestedIndirect:
    case QueueError::kIndirectWithNext:
    case QueueError::kIndirectTableSize:
    case QueueError::kIndirectTableOutsideRam:
      return Scope::kChain;
    case QueueError::kUsedHeadOutOfRange:
    case QueueError::kUsedLengthTooLong:
      return Scope::kDevice;
  }
  return Scope::kRing;
}

/// Whether the fault's head field names a chain (or the bad head itself).
bool names_head(QueueError error) {
  const Scope s = scope(error);
  return s == Scope::kChain || s == Scope::kDevice || error == QueueError::kHeadOutOfRange;
}

}  // namespace

std::string_view describe(QueueError error) {
  switch (error) {
    case QueueError::kSizeInvalid:
      return "queue size is 0, not a power of two, or above 32768";
    case QueueError::kRingMisaligned:
      return "a ring part is misaligned (descriptor table 16, available ring 2, used ring 4)";
    case QueueError::kRingOutsideRam:
      return "a ring part lies outside guest RAM";
    case QueueError::kAvailIndexJump:
      return "the available index moved more than the queue size";
    case QueueError::kHeadOutOfRange:
      return "an available ring entry names a descriptor past the table";
    case QueueError::kRingAccessRefused:
      return "guest RAM refused an access to the rings";
    case QueueError::kNextOutOfRange:
      return "a descriptor's next index is past the end of its table";
    case QueueError::kChainTooLong:
      return "a descriptor chain loops or is longer than the queue size";
    case QueueError::kLengthOverflow:
      return "a descriptor chain's lengths add up past 4 GiB - 1";
    case QueueError::kReadableAfterWritable:
      return "a device-readable buffer follows a device-writable one";
    case QueueError::kBufferOutsideRam:
      return "a buffer lies outside guest RAM";
    case QueueError::kIndirectNotNegotiated:
      return "an indirect descriptor without VIRTIO_F_INDIRECT_DESC";
    case QueueError::kNestedIndirect:
      return "an indirect descriptor inside an indirect table";
    case QueueError::kIndirectWithNext:
      return "an indirect descriptor with VIRTQ_DESC_F_NEXT";
    case QueueError::kIndirectTableSize:
      return "an indirect table is empty or not a multiple of 16 bytes";
    case QueueError::kIndirectTableOutsideRam:
      return "an indirect table lies outside guest RAM";
    case QueueError::kUsedHeadOutOfRange:
      return "the device returned a head past the table";
    case QueueError::kUsedLengthTooLong:
      return "the device returned more bytes than the chain can take";
  }
  return "unknown virtqueue error";
}

std::string describe(const QueueFault& fault) {
  std::string line = "virtqueue: ";
  line += describe(fault.error);
  char detail[96];
  if (names_head(fault.error)) {
    std::snprintf(detail, sizeof(detail), " (head %u)", unsigned{fault.head});
    line += detail;
  }
  if (fault.gpa != 0 || fault.length != 0) {
    std::snprintf(detail, sizeof(detail), " at guest-physical [0x%llx, +0x%llx)",
                  static_cast<unsigned long long>(fault.gpa),
                  static_cast<unsigned long long>(fault.length));
    line += detail;
  }
  return line;
}

bool breaks_queue(QueueError error) {
  return scope(error) != Scope::kChain;
}

}  // namespace rootstock::vmm::virtio
