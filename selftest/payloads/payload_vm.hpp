// A child VM running one self-test payload (test_device.h): its memory laid out, filled and
// mapped, its VP created and set up for the payload's entry (the RESET state for real16, 64-bit
// mode for long64, irq64 and hostile64), and the test device answering it. The partitions self-test
// runs several at once, one per thread; unit tests run one against the fake backend.
#pragma once

#include <pthread.h>
#include <stdint.h>

#include <memory>
#include <optional>

#include "selftest/payloads/payload_device.hpp"
#include "selftest/payloads/payloads.hpp"
#include "vmm/backend.hpp"
#include "vmm/guest_memory.hpp"
#include "vmm/partition.hpp"
#include "vmm/vp.hpp"

namespace rootstock::selftest::payloads {

/// What to run.
struct PayloadVmConfig {
  PayloadKind kind = PayloadKind::kLong64;
  uint32_t id = 0;
  uint64_t sum_size = uint64_t{64} << 20;  ///< a 4 KiB multiple below 4 GiB
  uint32_t seed = 0;                       ///< of the fill pattern (memory_pattern.hpp)
  uint32_t irq_count = 0;                  ///< irq64 (PAYLOAD_PORT_IRQ_COUNT)
  uint32_t irq_spin_cycles = 0;            ///< irq64 (PAYLOAD_PORT_IRQ_SPIN)
  uint32_t tsc_khz = 0;                    ///< hostile64 (PAYLOAD_PORT_TSC_KHZ)
  /// hostile64: a second VP, waiting for a STARTUP (PAYLOAD_PORT_APS); run_ap() runs it.
  bool ap = false;
};

/// One payload VM. Members are destroyed VP first, then the partition, then its memory.
class PayloadVm {
 public:
  /// Builds the VM; nothing runs yet.
  [[nodiscard]] static vmm::Result<std::unique_ptr<PayloadVm>> create(
      vmm::Backend& backend, const PayloadVmConfig& config);

  /// Runs the payload until it halts, or until another exit run() returns (shutdown, a stop
  /// request, …) or an error.
  [[nodiscard]] vmm::Result<vmm::VpExit> run();
  /// Runs the second VP (config.ap) on the calling thread until stop_ap() or an exit the
  /// payload's AP does not make (it halts in hv once its work is done).
  [[nodiscard]] vmm::Result<vmm::VpExit> run_ap();
  /// Ends run_ap() from another thread: `ap_thread` is the thread in it.
  void stop_ap(pthread_t ap_thread);

  /// The checksum the VMM computed over the range it filled, before the payload ran.
  [[nodiscard]] uint32_t expected_checksum() const { return expected_checksum_; }
  [[nodiscard]] const PayloadDevice& device() const { return device_; }
  [[nodiscard]] const PayloadVmConfig& config() const { return config_; }
  [[nodiscard]] vmm::Vp& vp() { return *vp_; }
  /// The second VP (config.ap only).
  [[nodiscard]] vmm::Vp& ap_vp() { return *ap_; }
  [[nodiscard]] vmm::Partition& partition() { return *partition_; }

 private:
  PayloadVm(const PayloadVmConfig& config, vmm::GuestMemory low, vmm::GuestMemory sum)
      : config_(config),
        low_(std::move(low)),
        sum_(std::move(sum)),
        device_({config.id, static_cast<uint32_t>(sum_.gpa()), static_cast<uint32_t>(sum_.size()),
                 config.irq_count, config.irq_spin_cycles, config.tsc_khz, config.ap ? 1u : 0u}),
        ap_device_({config.id, 0, 0, 0, 0, 0, 0}) {}
  vmm::Result<void> load_rom();
  vmm::Result<void> load_image();
  vmm::Result<void> build(vmm::Backend& backend);

  PayloadVmConfig config_;
  vmm::GuestMemory low_;
  vmm::GuestMemory sum_;
  std::optional<vmm::GuestMemory> rom_;
  PayloadDevice device_;
  PayloadDevice ap_device_;  // the AP's own: a device serves one VP's exits at a time
  uint32_t expected_checksum_ = 0;
  std::optional<vmm::Partition> partition_;
  std::optional<vmm::Vp> vp_;
  std::optional<vmm::Vp> ap_;
};

}  // namespace rootstock::selftest::payloads
