#include "console/uart16550.hpp"

#include "arch/x86/port_io.hpp"

namespace hv {

void Uart16550::write(Reg r, uint8_t v) const {
  x86::outb(static_cast<uint16_t>(base_ + static_cast<uint16_t>(r)), v);
}

uint8_t Uart16550::read(Reg r) const {
  return x86::inb(static_cast<uint16_t>(base_ + static_cast<uint16_t>(r)));
}

bool Uart16550::init() {
  write(Reg::kScratch, 0x5a);
  if (read(Reg::kScratch) != 0x5a) {
    return false;
  }
  write(Reg::kIntEnable, 0);
  write(Reg::kLineControl, kLcrDlab);
  write(Reg::kData, kDivisor115200 & 0xff);
  write(Reg::kIntEnable, kDivisor115200 >> 8);
  write(Reg::kLineControl, kLcr8N1);
  write(Reg::kFifoControl, kFcrEnableClear);
  write(Reg::kModemControl, kMcrDtrRtsOut2);
  return true;
}

void Uart16550::put(char c) {
  // Bounded wait: a wedged UART must not hang hv forever (the log is lost, hv goes on).
  for (int i = 0; i < 100000 && (read(Reg::kLineStatus) & kLsrThrEmpty) == 0; ++i) {
  }
  write(Reg::kData, static_cast<uint8_t>(c));
}

}  // namespace hv

namespace hv {

void Uart16550::flush() {
  for (int i = 0; i < 1000000 && (read(Reg::kLineStatus) & kLsrTransmitterEmpty) == 0; ++i) {
  }
}

}  // namespace hv
