#include "selftest/payloads/payload_vm.hpp"

#include "selftest/payloads/memory_pattern.hpp"
#include "selftest/payloads/test_device.h"
#include "vmm/kick.hpp"
#include "vmm/long_mode.hpp"
#include "vmm/registers.hpp"

namespace rootstock::selftest::payloads {
namespace {

constexpr uint32_t kRwx = RS_ACCESS_READ | RS_ACCESS_WRITE | RS_ACCESS_EXECUTE;
constexpr uint32_t kRw = RS_ACCESS_READ | RS_ACCESS_WRITE;
constexpr uint32_t kRx = RS_ACCESS_READ | RS_ACCESS_EXECUTE;

}  // namespace

vmm::Result<std::unique_ptr<PayloadVm>> PayloadVm::create(vmm::Backend& backend,
                                                          const PayloadVmConfig& config) {
  if (config.sum_size % vmm::GuestMemory::kPageSize != 0 || config.sum_size == 0 ||
      PAYLOAD_SUM_GPA + config.sum_size > (uint64_t{1} << 32)) {
    return vmm::fail("payload vm: checksum range size " + std::to_string(config.sum_size) +
                     " is not a 4 KiB multiple inside the 32-bit address space");
  }
  auto low = vmm::GuestMemory::allocate(PAYLOAD_LOW_RAM_GPA, PAYLOAD_LOW_RAM_SIZE);
  if (!low) return std::unexpected(low.error());
  auto sum = vmm::GuestMemory::allocate(PAYLOAD_SUM_GPA, config.sum_size);
  if (!sum) return std::unexpected(sum.error());
  std::unique_ptr<PayloadVm> vm(new PayloadVm(config, std::move(*low), std::move(*sum)));
  if (auto r = vm->build(backend); !r) return std::unexpected(r.error());
  return vm;
}

vmm::Result<void> PayloadVm::load_rom() {
  const std::span<const uint8_t> bytes = image(PayloadKind::kReal16);
  if (bytes.size() != PAYLOAD_ROM_SIZE) {
    return vmm::fail("payload real16 is " + std::to_string(bytes.size()) + " bytes, not 64 KiB");
  }
  auto rom = vmm::GuestMemory::allocate(PAYLOAD_ROM_GPA, PAYLOAD_ROM_SIZE);
  if (!rom) return std::unexpected(rom.error());
  rom_.emplace(std::move(*rom));
  return rom_->write(PAYLOAD_ROM_GPA, bytes);
}

vmm::Result<void> PayloadVm::load_image() {
  switch (config_.kind) {
    case PayloadKind::kReal16:
      return load_rom();
    case PayloadKind::kHostile64:
      // Its last probe is an INIT to itself, which restarts it at the reset vector: real16 runs
      // from there to its checksum.
      if (auto r = load_rom(); !r) return r;
      [[fallthrough]];
    case PayloadKind::kLong64:
    case PayloadKind::kIrq64:
      return low_.write(PAYLOAD_LONG64_GPA, image(config_.kind));
  }
  return vmm::fail("unknown payload kind");
}

vmm::Result<void> PayloadVm::build(vmm::Backend& backend) {
  fill_pattern(sum_, config_.seed);
  auto expected = pattern_checksum(sum_, sum_.gpa(), sum_.size());
  if (!expected) return std::unexpected(expected.error());
  expected_checksum_ = *expected;
  if (auto r = load_image(); !r) return r;
  vmm::RegisterList entry;
  if (config_.kind != PayloadKind::kReal16) {
    auto regs = vmm::setup_long_mode(low_, {PAYLOAD_LONG64_GPA, PAYLOAD_STACK_TOP});
    if (!regs) return std::unexpected(regs.error());
    entry = std::move(*regs);
  }

  auto partition = vmm::Partition::create(backend);
  if (!partition) return std::unexpected(partition.error());
  partition_.emplace(std::move(*partition));
  if (auto r = partition_->map(low_, kRwx); !r) return r;
  if (auto r = partition_->map(sum_, kRw); !r) return r;
  if (rom_) {
    if (auto r = partition_->map(*rom_, kRx); !r) return r;
  }
  auto vp = partition_->create_vp(0);
  if (!vp) return std::unexpected(vp.error());
  vp_.emplace(std::move(*vp));
  if (config_.ap) {
    // The AP waits for a STARTUP, as a PC's do (SDM vol. 3A, 9.4); it halts in hv meanwhile.
    auto ap = partition_->create_vp(1);
    if (!ap) return std::unexpected(ap.error());
    ap_.emplace(std::move(*ap));
    ap_->set_halt_in_kernel(true);
    vmm::RegisterList wait_for_sipi;
    wait_for_sipi.push_back(vmm::scalar_register(RS_REG_ACTIVITY, RS_ACTIVITY_WAIT_FOR_SIPI));
    if (auto r = ap_->set_registers(wait_for_sipi); !r) return r;
  }
  // real16 starts from the RESET state VP_CREATE gives; the 64-bit ones need the mode set up.
  if (!entry.empty()) return vp_->set_registers(entry);
  return {};
}

vmm::Result<vmm::VpExit> PayloadVm::run_ap() {
  if (!ap_) return vmm::fail("this payload VM has no AP");
  return ap_->run(ap_device_, ap_device_);
}

void PayloadVm::stop_ap(pthread_t ap_thread) {
  if (!ap_) return;
  ap_->request_stop();
  vmm::kick(ap_thread);
}

vmm::Result<vmm::VpExit> PayloadVm::run() {
  return vp_->run(device_, device_);
}

}  // namespace rootstock::selftest::payloads
