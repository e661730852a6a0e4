// The PC's Reset Control Register at I/O port 0xCF9 (Intel PCH datasheets: RST_CNT), the
// FADT's RESET_REG for the child (ACPI 6.5, 5.2.9 and 4.8.4.6). A byte write with RST_CPU set
// resets the platform; Linux's ACPI reboot writes RESET_VALUE (0x06, SYS_RST | RST_CPU). Here
// a reset goes to the owner, which ends the child's run (the appliance decides whether to
// start it again). The port is byte-wide: a dword access at 0xCF8 is PCI CONFIG_ADDRESS and
// belongs to another device, so wider accesses at 0xCF9 are ignored.
#pragma once

#include <stdint.h>

#include <functional>
#include <type_traits>
#include <utility>

#include "vmm/devices.hpp"
#include "vmm/error.hpp"

namespace rootstock::vmm {
class Board;  // board.hpp
}

namespace rootstock::vmm::devices {

namespace reset_port {

/// RST_CNT bits (Intel 9-series PCH datasheet, 13.7.5 "RST_CNT—Reset Control Register").
enum class RstCnt : uint8_t {
  kSysRst = 1u << 1,   ///< with RST_CPU: a hard (cold) reset rather than INIT
  kRstCpu = 1u << 2,   ///< 0 to 1: the reset SYS_RST and FULL_RST qualify
  kFullRst = 1u << 3,  ///< with SYS_RST: power cycle
};

/// The bits that read back as written; RST_CPU is a trigger and reads 0.
inline constexpr uint8_t kKeptBits =
    std::to_underlying(RstCnt::kSysRst) | std::to_underlying(RstCnt::kFullRst);

}  // namespace reset_port

/// RST_CNT at one port (0xCF9 by the FADT). Not thread-safe: the owner serialises accesses.
class ResetPort final : public PortIoHandler {
 public:
  /// The guest asked for a reset; the access that asked returns Next::kStop.
  using ResetFn = std::function<void()>;

  /// Runs `reset` inside out(); it must not call out() back.
  ResetPort(uint16_t port, ResetFn reset);

  /// A byte OUT with RST_CPU requests the reset and stops the run loop; other bytes only keep
  /// SYS_RST and FULL_RST. Other sizes and ports are ignored.
  Next out(uint16_t port, uint8_t size, uint32_t value) override;
  /// SYS_RST and FULL_RST as last written; 0xff for other sizes and ports.
  uint32_t in(uint16_t port, uint8_t size) override;

  /// Resets the guest asked for so far.
  [[nodiscard]] uint64_t resets() const { return resets_; }

 private:
  uint16_t port_;
  ResetFn reset_;
  uint8_t kept_ = 0;
  uint64_t resets_ = 0;
};

/// RST_CNT at the FADT's RESET_REG (0xCF9); a reset ends the VM.
[[nodiscard]] Result<void> plug_reset_port(Board& board);

}  // namespace rootstock::vmm::devices
