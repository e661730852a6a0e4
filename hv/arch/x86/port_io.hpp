// x86 port I/O (AMD APM vol. 3, IN/OUT): the only way hv talks to its UART and to the
// isa-debug-exit device.
#pragma once

#include <stdint.h>

namespace hv::x86 {

inline void outb(uint16_t port, uint8_t value) {
  asm volatile("outb %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

inline uint8_t inb(uint16_t port) {
  uint8_t value;
  asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port) : "memory");
  return value;
}

inline void outw(uint16_t port, uint16_t value) {
  asm volatile("outw %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

inline uint16_t inw(uint16_t port) {
  uint16_t value;
  asm volatile("inw %1, %0" : "=a"(value) : "Nd"(port) : "memory");
  return value;
}

inline uint32_t inl(uint16_t port) {
  uint32_t value;
  asm volatile("inl %1, %0" : "=a"(value) : "Nd"(port) : "memory");
  return value;
}

inline void outl(uint16_t port, uint32_t value) {
  asm volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

/// Stops this CPU for good: interrupts off, halt forever.
[[noreturn]] inline void halt_forever() {
  for (;;) {
    asm volatile("cli; hlt");
  }
}

}  // namespace hv::x86
