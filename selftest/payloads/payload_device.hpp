// The VMM's side of test_device.h: the ports and the MMIO window a payload talks to, recording
// everything the payload did so that a self-test or unit test can check it afterwards. A hostile
// or broken payload can only fill bounded logs.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "vmm/devices.hpp"

namespace rootstock::selftest::payloads {

/// One access to the MMIO window.
struct MmioAccess {
  uint64_t gpa = 0;
  uint8_t size = 0;
  uint64_t value = 0;  ///< stores: the value written; loads: the value answered
};

/// What the VMM tells the payload (the IN ports).
struct PayloadParameters {
  uint32_t id = 0;
  uint32_t sum_gpa = 0;
  uint32_t sum_size = 0;
  uint32_t irq_count = 0;        ///< irq64: the LAPIC timer interrupts to ask for
  uint32_t irq_spin_cycles = 0;  ///< irq64: TSC cycles its handler spins with IF clear
  uint32_t tsc_khz = 0;          ///< hostile64: the TSC's frequency (PAYLOAD_PORT_TSC_KHZ)
  uint32_t aps = 0;              ///< hostile64: VPs besides the first (PAYLOAD_PORT_APS)
};

/// What irq64 reported (PAYLOAD_PORT_IRQ_* and _NMI_*, each once at its end).
struct IrqReport {
  bool has_taken = false;
  uint32_t taken = 0;
  bool has_nested = false;
  uint32_t nested = 0;
  bool has_nmi_taken = false;
  uint32_t nmi_taken = 0;
  bool has_nmi_nested = false;
  uint32_t nmi_nested = 0;
};

/// What hostile64 reported: one value per probe (HOSTILE_PROBE_*), if it got there.
struct ProbeReport {
  static constexpr uint32_t kProbes = 32;
  bool has[kProbes] = {};
  uint64_t value[kProbes] = {};
};

/// The test device.
class PayloadDevice final : public vmm::PortIoHandler, public vmm::MmioHandler {
 public:
  static constexpr size_t kMaxLines = 64;
  static constexpr size_t kMaxLineLength = 160;
  static constexpr size_t kMaxAccesses = 64;
  static constexpr size_t kMaxIntervals = 1024;

  explicit PayloadDevice(const PayloadParameters& parameters) : parameters_(parameters) {}

  vmm::Next out(uint16_t port, uint8_t size, uint32_t value) override;
  uint32_t in(uint16_t port, uint8_t size) override;
  uint64_t read(uint64_t gpa, uint8_t size) override;
  vmm::Next write(uint64_t gpa, uint8_t size, uint64_t value) override;

  /// Whole console lines, without '\n' (at most kMaxLines, each cut to kMaxLineLength).
  [[nodiscard]] const std::vector<std::string>& lines() const { return lines_; }
  /// The checksum the payload sent, if it sent one.
  [[nodiscard]] bool has_checksum() const { return has_checksum_; }
  [[nodiscard]] uint32_t checksum() const { return checksum_; }
  /// The value the payload said it read from the MMIO window, if it said.
  [[nodiscard]] bool has_mmio_seen() const { return has_mmio_seen_; }
  [[nodiscard]] uint32_t mmio_seen() const { return mmio_seen_; }
  [[nodiscard]] const std::vector<MmioAccess>& mmio_reads() const { return reads_; }
  [[nodiscard]] const std::vector<MmioAccess>& mmio_writes() const { return writes_; }
  /// TSC cycles between consecutive console characters of one line, in order: each is one
  /// I/O exit's round trip to this VMM and back into the child (the payload's print loop runs
  /// a handful of instructions between two OUTs). At most kMaxIntervals.
  [[nodiscard]] const std::vector<uint64_t>& console_intervals() const { return intervals_; }
  [[nodiscard]] const IrqReport& irq_report() const { return irq_; }
  [[nodiscard]] const ProbeReport& probes() const { return probes_; }
  /// Accesses to ports or addresses the device does not have.
  [[nodiscard]] uint64_t stray_accesses() const { return stray_; }

 private:
  void put_char(char c);

  PayloadParameters parameters_;
  std::vector<std::string> lines_;
  std::vector<uint64_t> intervals_;
  uint64_t last_char_tsc_ = 0;  ///< 0: no character of the current line yet
  std::string partial_;
  bool has_checksum_ = false;
  uint32_t checksum_ = 0;
  bool has_mmio_seen_ = false;
  uint32_t mmio_seen_ = 0;
  std::vector<MmioAccess> reads_;
  std::vector<MmioAccess> writes_;
  IrqReport irq_;
  ProbeReport probes_;
  uint32_t probe_ = 0;      ///< the probe whose value comes next
  uint32_t probe_low_ = 0;  ///< its low half, until the high half completes it
  uint64_t stray_ = 0;
};

}  // namespace rootstock::selftest::payloads
