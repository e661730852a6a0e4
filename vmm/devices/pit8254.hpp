// The PC's interval timer: an Intel 8254 PIT (Intel 82C54 datasheet, order 231244) at ports
// 0x40-0x43, and the two channel-2 bits of System Control Port B at 0x61 (gate in bit 0, OUT2
// in bit 5) through which Linux calibrates the TSC (arch/x86/kernel/tsc.c: quick_pit_calibrate()
// and pit_calibrate_tsc() run channel 2 in mode 0). Channel 0 drives IRQ0 (GSI 2 through the
// MADT's override); channel 1 is counted but wired to nothing, as on a PC.
//
// There is no clock input: the counters are computed from the owner's clock (nanoseconds) at
// 1.193182 MHz, so a count read is exact whenever it is read and periodic interrupts do not
// drift. Edges of channel 0's OUT reach the interrupt controller when the owner calls advance(),
// which it does at next_event_ns() (a host timer) and which every port access does too.
// Modelled: modes 0 to 5, binary counts, the access modes (LSB, MSB, LSB then MSB), the counter
// latch and read-back commands, the gate. Left out: BCD counting (the BCD bit is kept and read
// back, but the count runs in binary), and the one CLK of delay between writing a count and the
// counter loading it (a count N in mode 0 raises OUT N ticks after the write, not N + 1).
#pragma once

#include <stdint.h>

#include <array>
#include <functional>
#include <optional>

#include "vmm/devices.hpp"
#include "vmm/error.hpp"

namespace rootstock::vmm {
class Board;  // board.hpp
}

namespace rootstock::vmm::devices {

namespace pit8254 {

/// The input clock: 1.193182 MHz (Linux's PIT_TICK_RATE), a third of the PC's 3.579545 MHz.
inline constexpr uint64_t kInputHz = 1'193'182;

/// Port offsets from 0x40 (82C54, Table 1 "Read/Write Operations Summary").
enum class Reg : uint8_t {
  kCounter0 = 0,
  kCounter1 = 1,
  kCounter2 = 2,
  kControl = 3,  ///< control word register, write-only
};
inline constexpr uint16_t kBase = 0x40;
inline constexpr uint16_t kPortCount = 4;
/// System Control Port B (NMI Status and Control in Intel's PCH datasheets).
inline constexpr uint16_t kPortB = 0x61;

/// Control word fields (82C54, Figure 7 "Control Word Format").
enum class ControlWord : uint8_t {
  kBcd = 0x01,
  kMode = 0x0e,    ///< M2 M1 M0
  kAccess = 0x30,  ///< RW1 RW0; 0 is the counter latch command
  kSelect = 0xc0,  ///< SC1 SC0; 3 is the read-back command
};
inline constexpr unsigned kModeShift = 1;
inline constexpr unsigned kAccessShift = 4;
inline constexpr unsigned kSelectShift = 6;
inline constexpr uint8_t kSelectReadBack = 3;

/// RW1 RW0 of a control word.
enum class Access : uint8_t {
  kLatch = 0,  ///< counter latch command
  kLsb = 1,
  kMsb = 2,
  kLsbMsb = 3,
};

/// Read-back command bits (82C54, Figure 10): the counters to act on and, active low, what to
/// latch.
enum class ReadBack : uint8_t {
  kCnt0 = 0x02,
  kCnt1 = 0x04,
  kCnt2 = 0x08,
  kNotStatus = 0x10,
  kNotCount = 0x20,
};

/// Status byte of the read-back command (82C54, Figure 11): OUT, NULL COUNT and bits 5:0 of
/// the counter's last control word.
enum class Status : uint8_t {
  kOut = 0x80,
  kNullCount = 0x40,
  kControlBits = 0x3f,
};

/// System Control Port B bits the PIT owns (the rest read 0: no NMI sources).
enum class PortB : uint8_t {
  kTimer2Gate = 0x01,    ///< read/write: GATE of channel 2
  kSpeakerData = 0x02,   ///< read/write: kept; there is no speaker
  kRefreshCycle = 0x10,  ///< read: toggles every 15.085 us, as the DRAM refresh did
  kTimer2Out = 0x20,     ///< read: OUT of channel 2
  kWritable = 0x0f,      ///< bits 3:0 read back as written (2 and 3 are NMI enables)
};

}  // namespace pit8254

/// Three 8254 counters and port 0x61. The owner adds it to the bus for 0x40-0x43 and 0x61 (it
/// gets absolute ports). Not thread-safe: the owner serialises accesses, advance() and the
/// getters.
class Pit8254 final : public PortIoHandler {
 public:
  /// Nanoseconds on a monotonic clock the owner chooses (tests use a variable).
  using ClockFn = std::function<uint64_t()>;
  /// Gets each new level of channel 0's OUT, never twice the same. A rising edge is never lost:
  /// if one passed between two looks while OUT is high again, the call pair (false, true)
  /// reports it; edges beyond one per look are counted in missed_irq0_edges().
  using IrqFn = std::function<void(bool level)>;

  /// The chip after power-on: no counter programmed (OUT low, nothing counts until a count is
  /// written), gate 0 and 1 high, gate 2 low (port 0x61 reads 0). `irq` runs inside out(),
  /// in() and advance(); it must not call those back.
  Pit8254(ClockFn clock, IrqFn irq);

  /// A byte OUT to 0x40-0x43 or 0x61; other sizes and ports are ignored (8-bit device).
  Next out(uint16_t port, uint8_t size, uint32_t value) override;
  /// A byte IN; other sizes and ports read 0xff. 0x43 is write-only and reads 0xff.
  uint32_t in(uint16_t port, uint8_t size) override;

  /// Reports channel 0's OUT edges up to now; the owner calls it at next_event_ns().
  void advance();
  /// When channel 0's OUT next rises, in the clock's nanoseconds (in the past if advance() is
  /// late); nothing if it will not rise without the guest reprogramming it.
  [[nodiscard]] std::optional<uint64_t> next_event_ns() const;

  /// Channel 0's OUT as last reported.
  [[nodiscard]] bool irq0_level() const { return irq_level_; }
  /// Rising edges of channel 0 that came more than one to a look (a late host timer).
  [[nodiscard]] uint64_t missed_irq0_edges() const { return missed_; }
  /// Accesses of a size other than 1, or to ports not the PIT's.
  [[nodiscard]] uint64_t bad_accesses() const { return bad_; }

 private:
  struct Channel {
    uint8_t control = 0;  ///< bits 5:0 of the last control word (for read-back status)
    uint8_t mode = 0;
    pit8254::Access access = pit8254::Access::kLsbMsb;
    uint32_t count = 0x10000;  ///< the count loaded into the counting element; 0 means 0x10000
    bool null_count = true;
    bool gate = true;
    bool loaded = false;      ///< a whole count was written since the control word
    bool armed = false;       ///< counting a loaded count (modes 1 and 5: since a gate trigger)
    uint64_t start_tick = 0;  ///< the tick elapsed() counts from, while armed and not held
    uint64_t held = 0;        ///< elapsed() while the gate holds the counter
    bool write_msb_next = false;
    uint8_t write_lsb = 0;
    bool read_msb_next = false;
    std::optional<uint16_t> latched_count;
    bool latched_msb_next = false;
    std::optional<uint8_t> latched_status;
    uint64_t rises_reported = 0;  ///< OUT rising edges since the count was loaded, reported
  };

  [[nodiscard]] uint64_t now_tick() const;
  [[nodiscard]] uint64_t tick_to_ns(uint64_t tick) const;

  void write_control(uint8_t value);
  void read_back(uint8_t value);
  void write_counter(Channel& ch, uint8_t byte);
  [[nodiscard]] uint8_t read_counter(Channel& ch);
  void load_count(Channel& ch, uint32_t count);
  void set_gate(Channel& ch, bool gate);

  /// Ticks the counter has counted since its count was loaded (or triggered, or reloaded by the
  /// gate); frozen while the gate holds it.
  [[nodiscard]] uint64_t elapsed(const Channel& ch, uint64_t now) const;
  [[nodiscard]] bool counting(const Channel& ch) const;
  [[nodiscard]] uint16_t counter_value(const Channel& ch, uint64_t now) const;
  [[nodiscard]] bool out(const Channel& ch, uint64_t now) const;
  /// OUT's rising edges after `elapsed` ticks of the current count.
  [[nodiscard]] uint64_t rises(const Channel& ch, uint64_t elapsed) const;
  /// The elapsed ticks at which rising edge number `n` (from 1) comes; nothing if never.
  [[nodiscard]] std::optional<uint64_t> rise_at(const Channel& ch, uint64_t n) const;
  [[nodiscard]] uint8_t status(const Channel& ch, uint64_t now) const;
  void set_irq(bool level);

  ClockFn clock_;
  IrqFn irq_;
  uint64_t epoch_ns_;
  std::array<Channel, 3> channels_;
  uint8_t port_b_ = 0;  ///< PortB::kWritable bits as written
  bool irq_level_ = false;
  uint64_t missed_ = 0;
  uint64_t bad_ = 0;
};

/// The PIT at 0x40-0x43 and port 0x61, counting on the board's monotonic clock. Channel 0's OUT
/// is wired to nothing: a Linux child needs no PIT interrupt (LinuxVm gives it tsc_early_khz=,
/// and hv's LAPIC timer), and nothing calls advance() on a host timer to make them.
[[nodiscard]] Result<void> plug_pit(Board& board);

}  // namespace rootstock::vmm::devices
