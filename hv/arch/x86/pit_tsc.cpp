#include "arch/x86/pit_tsc.hpp"

#include "arch/x86/cpu.hpp"
#include "arch/x86/port_io.hpp"

namespace hv::x86 {
namespace {

// 8254 PIT ports and the channel-2 gate in the NMI status/control port (0x61).
constexpr uint16_t kPortChannel2 = 0x42;
constexpr uint16_t kPortCommand = 0x43;
constexpr uint16_t kPortGate = 0x61;
constexpr uint8_t kGateEnable = 0x01;     // bit 0: channel 2 gate
constexpr uint8_t kSpeakerEnable = 0x02;  // bit 1: keep the speaker off
constexpr uint8_t kOut2 = 0x20;           // bit 5: channel 2 output
// Command: channel 2, access lobyte/hibyte, mode 0 (interrupt on terminal count), binary.
constexpr uint8_t kCommandCh2Mode0 = 0xb0;
constexpr uint64_t kPitHz = 1193182;
constexpr uint64_t kCalibrationMs = 10;
constexpr uint64_t kFallbackKhz = 4000000;

uint64_t g_tsc_khz = 0;

}  // namespace

uint64_t calibrate_tsc() {
  const uint16_t count = static_cast<uint16_t>(kPitHz * kCalibrationMs / 1000);
  uint8_t gate = inb(kPortGate);
  gate = static_cast<uint8_t>((gate & ~kSpeakerEnable) & ~kGateEnable);
  outb(kPortGate, gate);
  outb(kPortCommand, kCommandCh2Mode0);
  outb(kPortChannel2, static_cast<uint8_t>(count & 0xff));
  outb(kPortChannel2, static_cast<uint8_t>(count >> 8));
  outb(kPortGate, static_cast<uint8_t>(gate | kGateEnable));  // counting starts
  const uint64_t start = rdtsc();
  // OUT2 goes high at terminal count. Bound the wait so a missing PIT cannot hang hv: 10 ms
  // even at 100 GHz is 1e9 cycles.
  uint64_t end = start;
  bool counted = false;
  while (end - start < 1000000000ull) {
    if ((inb(kPortGate) & kOut2) != 0) {
      counted = true;
      break;
    }
    end = rdtsc();
  }
  outb(kPortGate, gate);
  g_tsc_khz = counted ? (end - start) / kCalibrationMs : 0;
  return g_tsc_khz;
}

uint64_t tsc_khz() {
  return g_tsc_khz;
}

void delay_us(uint64_t us) {
  const uint64_t khz = g_tsc_khz != 0 ? g_tsc_khz : kFallbackKhz;
  const uint64_t cycles = us * khz / 1000;
  const uint64_t start = rdtsc();
  while (rdtsc() - start < cycles) {
    asm volatile("pause");
  }
}

}  // namespace hv::x86
