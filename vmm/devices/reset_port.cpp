#include "vmm/devices/reset_port.hpp"

#include <utility>

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/board.hpp"

namespace rootstock::vmm::devices {

using namespace reset_port;

ResetPort::ResetPort(uint16_t port, ResetFn reset) : port_(port), reset_(std::move(reset)) {}

Next ResetPort::out(uint16_t port, uint8_t size, uint32_t value) {
  if (port != port_ || size != 1) return Next::kContinue;
  const uint8_t byte = static_cast<uint8_t>(value);
  kept_ = byte & kKeptBits;
  if ((byte & std::to_underlying(RstCnt::kRstCpu)) == 0) return Next::kContinue;
  // Any RST_CPU write resets; hard, soft and full resets are all "start the child again".
  ++resets_;
  if (reset_) reset_();
  return Next::kStop;
}

uint32_t ResetPort::in(uint16_t port, uint8_t size) {
  if (port != port_ || size != 1) return ~uint32_t{0};
  return kept_;
}

Result<void> plug_reset_port(Board& board) {
  auto& reset = board.add_device<ResetPort>("reset register", acpi::kResetPort, [&board] {
    board.end(BoardEnd::kReset, "reset register 0xcf9");
  });
  return board.add_ports(reset, acpi::kResetPort, 1);
}

}  // namespace rootstock::vmm::devices
