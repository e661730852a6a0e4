// What can be wrong with a virtqueue or a descriptor chain the driver offered, as a closed set
// the device acts on (STYLE.md "Errors"): a fault that breaks the queue puts the device into
// DEVICE_NEEDS_RESET (virtio 1.2, 2.1.2); a fault in one chain lets the device fail that request
// (return its head with nothing written) or do the same. Never a crash, never an access outside
// guest RAM: each is found before anything is read from or handed out of the range at fault.
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

namespace rootstock::vmm::virtio {

/// One reason a queue or a chain is refused.
enum class QueueError : uint8_t {
  // The queue the driver configured (found when the device enables it).
  kSizeInvalid,     ///< 0, not a power of two, or above 32768 (2.7)
  kRingMisaligned,  ///< a part not at its alignment: table 16, avail 2, used 4 (2.7.1)
  kRingOutsideRam,  ///< a part not wholly inside guest RAM

  // The rings: the queue is broken (DEVICE_NEEDS_RESET).
  kAvailIndexJump,     ///< avail->idx moved more than the queue size past the last one taken
  kHeadOutOfRange,     ///< an available ring entry names a descriptor past the table
  kRingAccessRefused,  ///< guest RAM refused an access to a part it held at configuration

  // One descriptor chain (2.7.4, 2.7.5): its head is known, the queue goes on.
  kNextOutOfRange,           ///< a `next` index past the end of its table
  kChainTooLong,             ///< more descriptors than the queue size: a loop, or too long
  kLengthOverflow,           ///< the buffers' lengths add up past 2^32 - 1
  kReadableAfterWritable,    ///< a device-readable buffer after a device-writable one (2.7.4.2)
  kBufferOutsideRam,         ///< a buffer not wholly inside guest RAM
  kIndirectNotNegotiated,    ///< VIRTQ_DESC_F_INDIRECT without VIRTIO_F_INDIRECT_DESC
  kNestedIndirect,           ///< an indirect descriptor inside an indirect table (2.7.5.3.1)
  kIndirectWithNext,         ///< VIRTQ_DESC_F_INDIRECT together with VIRTQ_DESC_F_NEXT
  kIndirectTableSize,        ///< an indirect table of 0 bytes or not a multiple of 16
  kIndirectTableOutsideRam,  ///< an indirect table not wholly inside guest RAM

  // The device's own use of the queue (a bug in the VMM; the queue is broken).
  kUsedHeadOutOfRange,  ///< returning a head past the table
  kUsedLengthTooLong,   ///< claiming more bytes written than the chain's writable buffers hold
};

/// What went wrong, with where: the chain's head and the guest-physical range at fault (both 0
/// where they do not apply).
struct QueueFault {
  QueueError error;
  uint16_t head = 0;
  uint64_t gpa = 0;
  uint64_t length = 0;
};

/// One phrase for a log ("a descriptor chain loops or is longer than the queue").
[[nodiscard]] std::string_view describe(QueueError error);
/// One line for the console: the phrase, the head and the range where they apply.
[[nodiscard]] std::string describe(const QueueFault& fault);

/// Whether `error` leaves the queue unusable, so that the device must stop using it and ask for
/// a reset (DEVICE_NEEDS_RESET); otherwise only the one chain is bad.
[[nodiscard]] bool breaks_queue(QueueError error);

}  // namespace rootstock::vmm::virtio
