// What the run loop hands exits to (Firecracker's bus: a device sees an access, the loop owns
// the completion): a port I/O handler and an MMIO handler. Devices are plain objects; their
// errors stay inside them (a device answers all ones for what it does not know, as an empty bus
// does) so that one bad access never stops the VP loop by accident.
#pragma once

#include <stdint.h>

namespace rootstock::vmm {

/// Whether the run loop goes on after a device handled an access.
enum class Next : uint8_t {
  kContinue,
  kStop,  ///< Vp::run() completes the access and returns VpExit::Kind::kStopped
};

/// IN and OUT of 1, 2 or 4 bytes.
class PortIoHandler {
 public:
  virtual ~PortIoHandler() = default;
  /// OUT of `size` bytes of `value` to `port`.
  virtual Next out(uint16_t port, uint8_t size, uint32_t value) = 0;
  /// IN of `size` bytes from `port`; bytes above `size` are ignored.
  virtual uint32_t in(uint16_t port, uint8_t size) = 0;
};

/// Loads and stores of 1, 2, 4 or 8 bytes at guest-physical addresses no RAM is mapped at.
class MmioHandler {
 public:
  virtual ~MmioHandler() = default;
  /// A load of `size` bytes at `gpa`; bytes above `size` are ignored.
  virtual uint64_t read(uint64_t gpa, uint8_t size) = 0;
  /// A store of the low `size` bytes of `value` at `gpa`.
  virtual Next write(uint64_t gpa, uint8_t size, uint64_t value) = 0;
};

}  // namespace rootstock::vmm
