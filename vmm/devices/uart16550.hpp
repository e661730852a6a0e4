// The child's console: a 16550A UART (TI/National PC16550D datasheet) at eight I/O ports,
// modelled at the register level so that Linux's 8250 driver probes it as a 16550A and runs it
// interrupt-driven (console=ttyS0). There is no baud clock: a byte written to THR has left at
// once, and input arrives when the owner feeds it. The line format (LCR: word length, parity,
// stop bits, break) and the divisor are kept for the guest to read back, but bytes pass whole in
// both directions: the far end is a byte stream, not a wire, and a guest that never programs
// LCR (reset: 5-bit words) still prints legibly, as on QEMU. Register and bit names are the
// datasheet's.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <concepts>
#include <functional>
#include <span>
#include <type_traits>
#include <utility>

#include "vmm/devices.hpp"
#include "vmm/error.hpp"

namespace rootstock::vmm {
class Board;  // board.hpp
}

namespace rootstock::vmm::devices {

namespace uart16550 {

/// Register offsets from the base (PC16550D, Table II "Summary of Registers"). With LCR.DLAB
/// set, offsets 0 and 1 are the divisor latch (DLL, DLM); offset 2 is IIR on reads and FCR on
/// writes whatever DLAB says.
enum class Reg : uint8_t {
  kRbrThr = 0,  ///< RBR (read), THR (write); DLL when DLAB
  kIer = 1,     ///< IER; DLM when DLAB
  kIirFcr = 2,  ///< IIR (read), FCR (write)
  kLcr = 3,
  kMcr = 4,
  kLsr = 5,
  kMsr = 6,
  kScr = 7,
};

/// Interrupt Enable Register; bits 7:4 are always 0.
enum class Ier : uint8_t {
  kErbfi = 0x01,  ///< received data available (and, in FIFO mode, character timeout)
  kEtbei = 0x02,  ///< transmitter holding register empty
  kElsi = 0x04,   ///< receiver line status
  kEdssi = 0x08,  ///< modem status
  kAll = 0x0f,
};

/// Interrupt Identification Register: bits 3:0 name the highest-priority pending interrupt
/// (PC16550D, Table IV "Interrupt Control Functions"); bits 7:6 mirror FCR.0; bits 5:4 are 0.
enum class Iir : uint8_t {
  kNone = 0x01,                   ///< bit 0 set: nothing pending
  kReceiverLineStatus = 0x06,     ///< priority 1: OE, PE, FE or BI; reset by reading LSR
  kReceivedDataAvailable = 0x04,  ///< priority 2: trigger level reached; reset below it
  kCharacterTimeout = 0x0c,       ///< priority 2 (FIFO mode): data below the trigger level
  kThrEmpty = 0x02,               ///< priority 3: reset by reading IIR (if source) or writing THR
  kModemStatus = 0x00,            ///< priority 4: a delta bit in MSR; reset by reading MSR
  kFifosEnabled = 0xc0,
};

/// FIFO Control Register (write only). Bits 7:6 select the receiver trigger level.
enum class Fcr : uint8_t {
  kFifoEnable = 0x01,
  kRcvrFifoReset = 0x02,  ///< self-clearing
  kXmitFifoReset = 0x04,  ///< self-clearing
  kDmaModeSelect = 0x08,  ///< only changes the RXRDY/TXRDY pins, which a PC leaves unwired
  kRcvrTrigger = 0xc0,
};

/// Line Control Register.
enum class Lcr : uint8_t {
  kWls = 0x03,  ///< word length select: 5 + WLS data bits
  kStb = 0x04,  ///< stop bits
  kPen = 0x08,  ///< parity enable
  kEps = 0x10,  ///< even parity select
  kStickParity = 0x20,
  kSetBreak = 0x40,
  kDlab = 0x80,  ///< divisor latch access bit
};

/// Modem Control Register; bits 7:5 are always 0.
enum class Mcr : uint8_t {
  kDtr = 0x01,
  kRts = 0x02,
  kOut1 = 0x04,
  kOut2 = 0x08,  ///< on a PC, enables the buffer between INTR and the IRQ line
  kLoop = 0x10,
  kAll = 0x1f,
};

/// Line Status Register.
enum class Lsr : uint8_t {
  kDr = 0x01,  ///< data ready
  kOe = 0x02,  ///< overrun error
  kPe = 0x04,  ///< parity error (never here)
  kFe = 0x08,  ///< framing error (never here)
  kBi = 0x10,  ///< break interrupt (never here)
  kThre = 0x20,
  kTemt = 0x40,
  kRcvrFifoError = 0x80,  ///< a PE, FE or BI in the FIFO (never here)
};

/// Modem Status Register: the modem inputs (7:4) and their changes since the last read (3:0).
enum class Msr : uint8_t {
  kDcts = 0x01,
  kDdsr = 0x02,
  kTeri = 0x04,  ///< trailing edge of RI: RI went from 1 to 0
  kDdcd = 0x08,
  kCts = 0x10,
  kDsr = 0x20,
  kRi = 0x40,
  kDcd = 0x80,
  kDeltas = 0x0f,
};

/// The register value of one or more bits of the same register.
template <typename E, typename... More>
  requires std::is_enum_v<E> && std::same_as<std::underlying_type_t<E>, uint8_t> &&
           (std::same_as<E, More> && ...)
constexpr uint8_t bits(E first, More... more) {
  return static_cast<uint8_t>((std::to_underlying(first) | ... | std::to_underlying(more)));
}

}  // namespace uart16550

/// A 16550A at the eight ports from `base`. Not thread-safe: the owner serialises the port
/// accesses, receive() and the getters (on a board, the device's lock: locked_device.hpp).
class Uart16550 final : public PortIoHandler {
 public:
  static constexpr uint16_t kPortCount = 8;
  static constexpr size_t kFifoSize = 16;

  /// Gets each byte the guest transmits (outside loopback).
  using TransmitFn = std::function<void(uint8_t byte)>;
  /// Gets the new level of the interrupt output each time it changes (never twice the same).
  /// A THR write while the THRE interrupt alone is pending reports false, then true: the chip's
  /// output pulses there too, and that edge is what an edge-triggered pin needs.
  using IrqFn = std::function<void(bool level)>;

  /// The chip after a reset (PC16550D, Table III "UART Reset Configuration"). Both callbacks
  /// run inside out(), in() and receive(); they must not call those back.
  Uart16550(uint16_t base, TransmitFn transmit, IrqFn irq);

  /// A guest OUT. Sizes 2 and 4 are split into byte writes to consecutive ports, as the PC's
  /// ISA/LPC bridge does to an 8-bit device; bytes for ports outside the UART are dropped.
  Next out(uint16_t port, uint8_t size, uint32_t value) override;
  /// A guest IN, split like out(); bytes from ports outside the UART read 0xff (an empty bus).
  uint32_t in(uint16_t port, uint8_t size) override;

  /// How many bytes receive() takes now: the free space of the receiver FIFO (16 bytes in
  /// FIFO mode, the 1-byte RBR otherwise); 0 in loopback, where the serial input is cut off.
  [[nodiscard]] size_t rx_room() const;
  /// Puts the first rx_room() bytes of `bytes` on the serial input and returns how many it
  /// took. The rest stays with the caller, to be offered again once the guest has read (say
  /// after each exit this device handled): typed input waits instead of overrunning.
  size_t receive(std::span<const uint8_t> bytes);

  /// The interrupt output as it reaches the interrupt controller: an enabled interrupt is
  /// pending, MCR.OUT2 is set and loopback is off (loopback forces the OUT2 pin inactive).
  [[nodiscard]] bool irq_level() const { return irq_level_; }
  /// The baud-rate divisor the guest programmed (baud = 115200 / divisor on a PC's 1.8432 MHz
  /// clock); 0 until it does, as the datasheet leaves DLL/DLM undefined after reset.
  [[nodiscard]] uint16_t divisor() const { return static_cast<uint16_t>(dlm_ << 8 | dll_); }
  /// LCR as the guest last wrote it (word length, stop bits, parity).
  [[nodiscard]] uint8_t line_control() const { return lcr_; }
  /// Byte accesses to ports outside the UART (only wide accesses at its end make these).
  [[nodiscard]] uint64_t stray_accesses() const { return stray_; }

 private:
  void write(uint8_t offset, uint8_t value);
  [[nodiscard]] uint8_t read(uint8_t offset);

  void write_thr(uint8_t byte);
  void write_ier(uint8_t value);
  void write_fcr(uint8_t value);
  void write_mcr(uint8_t value);
  [[nodiscard]] uint8_t read_rbr();
  [[nodiscard]] uint8_t read_iir();
  [[nodiscard]] uint8_t read_lsr();
  [[nodiscard]] uint8_t read_msr();

  /// One character arriving from the receiver shift register.
  void shift_in(uint8_t byte);
  void clear_rx_fifo() { rx_count_ = 0; }
  [[nodiscard]] size_t rx_capacity() const { return fifo_enabled_ ? kFifoSize : 1; }
  [[nodiscard]] bool dlab() const;
  [[nodiscard]] bool loopback() const;
  /// The highest-priority pending interrupt (Iir bits 3:0).
  [[nodiscard]] uint8_t pending_interrupt() const;
  /// MSR bits 7:4 as the modem inputs are now: the far end, or MCR bits 3:0 in loopback.
  [[nodiscard]] uint8_t modem_inputs() const;
  /// Latches the deltas for a change of the modem inputs from `before`.
  void note_modem_inputs(uint8_t before);
  /// Reports the interrupt output to the owner if it changed.
  void update_irq();

  uint16_t base_;
  TransmitFn transmit_;
  IrqFn irq_;

  uint8_t ier_ = 0;
  uint8_t lcr_ = 0;
  uint8_t mcr_ = 0;
  uint8_t scr_ = 0;
  uint8_t dll_ = 0;
  uint8_t dlm_ = 0;
  bool fifo_enabled_ = false;  ///< FCR.0
  uint8_t rx_trigger_ = 1;     ///< bytes, from FCR bits 7:6
  uint8_t lsr_errors_ = 0;     ///< the sticky LSR bits (OE); cleared by reading LSR
  bool thre_pending_ = false;  ///< the THRE interrupt, meaningful while IER.ETBEI is set
  uint8_t msr_deltas_ = 0;     ///< MSR bits 3:0; cleared by reading MSR

  std::array<uint8_t, kFifoSize> rx_fifo_{};  ///< a ring: rx_count_ bytes from rx_head_
  size_t rx_head_ = 0;
  size_t rx_count_ = 0;
  uint8_t rbr_ = 0;  ///< the last byte read (what RBR still holds once the FIFO is empty)

  bool irq_level_ = false;
  uint64_t stray_ = 0;
};

/// COM1 of the child's PC: a 16550A at 0x3f8 on ISA IRQ 4, the board's console. Typed input
/// (Board::console_input) waits with the device and goes to the receiver FIFO as the child
/// makes room, after each of its accesses, so that typing never overruns it.
[[nodiscard]] Result<void> plug_com1(Board& board);

}  // namespace rootstock::vmm::devices
