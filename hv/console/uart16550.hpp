// The 16550 UART hv logs to (PC16550D datasheet; register offsets from the I/O base).
#pragma once

#include <stdint.h>

namespace hv {

/// A polled, transmit-only 16550 at an I/O port base.
class Uart16550 {
 public:
  /// COM1, the default console (hv.console= picks another).
  static constexpr uint16_t kCom1 = 0x3f8;

  explicit constexpr Uart16550(uint16_t base) : base_(base) {}

  /// 115200 8N1, FIFOs on, interrupts off. Returns false when no UART answers at the base
  /// (the scratch register does not hold a written value).
  bool init();
  void put(char c);
  /// Waits until every byte written has left the transmitter (before power-off, so the last
  /// line is not lost in the FIFO).
  void flush();

 private:
  enum class Reg : uint16_t {
    kData = 0,          // THR/RBR; DLL when LCR.DLAB
    kIntEnable = 1,     // IER; DLM when LCR.DLAB
    kFifoControl = 2,   // FCR (write)
    kLineControl = 3,   // LCR
    kModemControl = 4,  // MCR
    kLineStatus = 5,    // LSR
    kScratch = 7,       // SCR
  };
  static constexpr uint8_t kLcrDlab = 0x80;
  static constexpr uint8_t kLcr8N1 = 0x03;
  static constexpr uint8_t kFcrEnableClear = 0x07;
  static constexpr uint8_t kMcrDtrRtsOut2 = 0x0b;
  static constexpr uint8_t kLsrThrEmpty = 0x20;
  static constexpr uint8_t kLsrTransmitterEmpty = 0x40;  // TEMT: FIFO and shift register empty
  static constexpr uint16_t kDivisor115200 = 1;          // 1.8432 MHz / (16 * 115200)

  void write(Reg r, uint8_t v) const;
  [[nodiscard]] uint8_t read(Reg r) const;

  uint16_t base_;
};

}  // namespace hv
