#include "selftest/payloads/payload_device.hpp"

#include "selftest/payloads/test_device.h"

namespace rootstock::selftest::payloads {

void PayloadDevice::put_char(char c) {
  const uint64_t now = __builtin_ia32_rdtsc();
  if (last_char_tsc_ != 0 && intervals_.size() < kMaxIntervals) {
    intervals_.push_back(now - last_char_tsc_);
  }
  last_char_tsc_ = c == '\n' ? 0 : now;
  if (c == '\n') {
    if (lines_.size() < kMaxLines) lines_.push_back(partial_);
    partial_.clear();
    return;
  }
  if (partial_.size() < kMaxLineLength) partial_ += (c >= 0x20 && c < 0x7f) ? c : '?';
}

vmm::Next PayloadDevice::out(uint16_t port, uint8_t size, uint32_t value) {
  switch (port) {
    case PAYLOAD_PORT_CONSOLE:
      put_char(static_cast<char>(value & 0xff));
      break;
    case PAYLOAD_PORT_SUM:
      has_checksum_ = size == 4;
      checksum_ = value;
      break;
    case PAYLOAD_PORT_MMIO_SEEN:
      has_mmio_seen_ = size == 4;
      mmio_seen_ = value;
      break;
    case PAYLOAD_PORT_IRQ_TAKEN:
      irq_.has_taken = size == 4;
      irq_.taken = value;
      break;
    case PAYLOAD_PORT_IRQ_NESTED:
      irq_.has_nested = size == 4;
      irq_.nested = value;
      break;
    case PAYLOAD_PORT_NMI_TAKEN:
      irq_.has_nmi_taken = size == 4;
      irq_.nmi_taken = value;
      break;
    case PAYLOAD_PORT_NMI_NESTED:
      irq_.has_nmi_nested = size == 4;
      irq_.nmi_nested = value;
      break;
    case PAYLOAD_PORT_PROBE:
      probe_ = value;
      break;
    case PAYLOAD_PORT_PROBE_LOW:
      probe_low_ = value;
      break;
    case PAYLOAD_PORT_PROBE_HIGH:
      if (size == 4 && probe_ < ProbeReport::kProbes) {
        probes_.has[probe_] = true;
        probes_.value[probe_] = uint64_t{value} << 32 | probe_low_;
      } else {
        ++stray_;
      }
      break;
    default:
      ++stray_;
      break;
  }
  return vmm::Next::kContinue;
}

uint32_t PayloadDevice::in(uint16_t port, uint8_t size) {
  if (size == 4) {
    switch (port) {
      case PAYLOAD_PORT_ID:
        return parameters_.id;
      case PAYLOAD_PORT_SUM_BASE:
        return parameters_.sum_gpa;
      case PAYLOAD_PORT_SUM_SIZE:
        return parameters_.sum_size;
      case PAYLOAD_PORT_IRQ_COUNT:
        return parameters_.irq_count;
      case PAYLOAD_PORT_IRQ_SPIN:
        return parameters_.irq_spin_cycles;
      case PAYLOAD_PORT_TSC_KHZ:
        return parameters_.tsc_khz;
      case PAYLOAD_PORT_APS:
        return parameters_.aps;
      default:
        break;
    }
  }
  ++stray_;
  return 0xffffffff;  // an empty bus
}

uint64_t PayloadDevice::read(uint64_t gpa, uint8_t size) {
  const uint64_t value =
      gpa == PAYLOAD_MMIO_GPA && size == 4 ? PAYLOAD_MMIO_READ_VALUE : ~uint64_t{0};
  if (gpa < PAYLOAD_MMIO_GPA || gpa - PAYLOAD_MMIO_GPA >= PAYLOAD_MMIO_SIZE) ++stray_;
  if (reads_.size() < kMaxAccesses) reads_.push_back({gpa, size, value});
  return value;
}

vmm::Next PayloadDevice::write(uint64_t gpa, uint8_t size, uint64_t value) {
  if (gpa < PAYLOAD_MMIO_GPA || gpa - PAYLOAD_MMIO_GPA >= PAYLOAD_MMIO_SIZE) ++stray_;
  if (writes_.size() < kMaxAccesses) writes_.push_back({gpa, size, value});
  return vmm::Next::kContinue;
}

}  // namespace rootstock::selftest::payloads
