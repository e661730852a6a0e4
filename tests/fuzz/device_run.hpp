// One run of a device fuzzer (fuzz_entropy_device.cpp, fuzz_console_device.cpp): the input's
// header read, guest RAM laid out and loaded (hostile_driver.hpp), the oracle in front of it
// (chain_oracle.hpp) and the link the device reaches it through, and what every step ends with.
//
// The input's header (little-endian): byte 0 bit 0 VIRTIO_F_INDIRECT_DESC, bit 1
// VIRTIO_F_EVENT_IDX, bits 4:2 log2 of the queue size (capped at the device's); bytes 1-2 the
// length of the steps that follow. After the steps, the data area's contents.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <vector>

#include "tests/fuzz/chain_oracle.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/hostile_driver.hpp"
#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

namespace rootstock::fuzz {

class DeviceRun {
 public:
  /// The run over `data` for a device of `queues` queues of at most 2^`max_log2` entries.
  DeviceRun(const uint8_t* data, size_t size, unsigned queues, unsigned max_log2)
      : in_{data, data + size},
        config_(in_.take<uint8_t>()),
        queue_size_(uint32_t{1} << std::min((config_ >> 2) & 7u, max_log2)),
        steps_(in_.split(in_.take<uint16_t>())),
        driver_(ram(), queues, queue_size_),
        oracle_(ram()),
        link_(oracle_) {
    ram().clear();
    driver_.load_data(in_);
    for (unsigned q = 0; q < queues; ++q) layouts_.push_back(HostileDriver::layout(q, queue_size_));
  }

  /// The RAM, cleared for each run.
  static test::FakeGuestRam& ram() {
    static test::FakeGuestRam ram(HostileDriver::kRamBase, HostileDriver::kRamBytes);
    return ram;
  }
  [[nodiscard]] bool event_idx() const { return (config_ & 2) != 0; }
  [[nodiscard]] uint64_t features() const {
    uint64_t features = vmm::virtio::kFeatureVersion1;
    if (config_ & 1) features |= feature_mask(vmm::virtio::FeatureBit::kIndirectDesc);
    if (event_idx()) features |= feature_mask(vmm::virtio::FeatureBit::kEventIdx);
    return features;
  }
  [[nodiscard]] const vmm::virtio::QueueLayout& layout(unsigned q) const { return layouts_[q]; }
  [[nodiscard]] ChainOracle& oracle() { return oracle_; }
  [[nodiscard]] OracleLink& link() { return link_; }
  /// What is left of the steps.
  [[nodiscard]] Input& steps() { return steps_; }

  /// Activation with the input's features on fresh queues.
  void activate(vmm::virtio::Device& device) {
    check(link_.activate(device, features(), layouts_));
  }
  /// The step kReset: reset(), then activation again.
  void restart(vmm::virtio::Device& device) {
    device.reset();
    link_.reset();
    activate(device);
  }
  /// A step that is the driver's (< HostileDriver::kSteps).
  void driver_step(uint8_t op) { driver_.step(op, steps_); }

  /// The end of every step: guest RAM refused nothing; unless the device asked for a reset,
  /// every chain it took is back. Returns those returned in the step, in order.
  [[nodiscard]] std::vector<TakenChain> end_step() {
    oracle_.flush();
    check(ram().refused() == 0);
    if (!link_.stopped()) check(oracle_.held().empty());
    return oracle_.take_returned();
  }

 private:
  Input in_;
  uint8_t config_;
  uint32_t queue_size_;
  Input steps_;
  HostileDriver driver_;
  ChainOracle oracle_;
  OracleLink link_;
  std::vector<vmm::virtio::QueueLayout> layouts_;
};

}  // namespace rootstock::fuzz
