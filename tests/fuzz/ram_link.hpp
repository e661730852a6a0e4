// The DeviceLink a device fuzzer hands its device: the fuzzer's fake guest RAM, interrupts
// ignored, reset requests counted (the fuzzer checks what it expects of them).
#pragma once

#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/virtio/device.hpp"

namespace rootstock::fuzz {

class RamLink final : public vmm::virtio::DeviceLink {
 public:
  explicit RamLink(test::FakeGuestRam& ram) : ram_(ram) {}
  void used_buffers(uint16_t) override {}
  void config_changed() override {}
  void needs_reset() override { ++resets; }
  vmm::virtio::GuestRam& ram() override { return ram_; }
  int resets = 0;

 private:
  test::FakeGuestRam& ram_;
};

}  // namespace rootstock::fuzz
