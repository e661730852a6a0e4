#include "selftest/partition_cycles.hpp"

#include <chrono>

#include "selftest/payloads/test_device.h"
#include "selftest/resource_figures.hpp"
#include "vmm/partition.hpp"

namespace rootstock::selftest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kCycles = 1000;
constexpr uint64_t kRamBytes = uint64_t{1} << 20;
constexpr uint64_t kFreeSlackKib = 2048;  // see selftest_partitions.cpp
constexpr size_t kErrorsShown = 3;

// At the reset vector (CS.base 0xffff0000 + IP 0xfff0): mov al, '.'; out 0xe9, al; hlt.
constexpr uint8_t kResetCode[] = {0xb0, '.', 0xe6, PAYLOAD_PORT_CONSOLE, 0xf4};
constexpr uint64_t kResetVector = PAYLOAD_ROM_GPA + 0xfff0;

// Counts what the tiny guest does.
struct Counter final : vmm::PortIoHandler, vmm::MmioHandler {
  unsigned dots = 0;
  unsigned other = 0;
  vmm::Next out(uint16_t port, uint8_t size, uint32_t value) override {
    (port == PAYLOAD_PORT_CONSOLE && size == 1 && value == '.' ? dots : other)++;
    return vmm::Next::kContinue;
  }
  uint32_t in(uint16_t, uint8_t) override {
    ++other;
    return ~0u;
  }
  uint64_t read(uint64_t, uint8_t) override {
    ++other;
    return ~0ull;
  }
  vmm::Next write(uint64_t, uint8_t, uint64_t) override {
    ++other;
    return vmm::Next::kContinue;
  }
};

vmm::Result<void> one_cycle(vmm::Backend& backend) {
  auto rom = vmm::GuestMemory::allocate(PAYLOAD_ROM_GPA, PAYLOAD_ROM_SIZE);
  if (!rom) return std::unexpected(rom.error());
  if (auto w = rom->write(kResetVector, kResetCode); !w) return w;
  auto ram = vmm::GuestMemory::allocate(0, kRamBytes);
  if (!ram) return std::unexpected(ram.error());
  auto partition = vmm::Partition::create(backend);
  if (!partition) return std::unexpected(partition.error());
  if (auto m = partition->map(*ram, RS_ACCESS_READ | RS_ACCESS_WRITE); !m) return m;
  if (auto m = partition->map(*rom, RS_ACCESS_READ | RS_ACCESS_EXECUTE); !m) return m;
  auto vp = partition->create_vp(0);
  if (!vp) return std::unexpected(vp.error());
  Counter counter;
  auto exit = vp->run(counter, counter);
  if (!exit) return std::unexpected(exit.error());
  if (exit->kind != vmm::VpExit::Kind::kHalt || counter.dots != 1 || counter.other != 0) {
    return vmm::fail(std::string("the tiny guest ended with ") + vmm::describe(exit->kind) +
                     " after " + std::to_string(counter.dots) + " dots and " +
                     std::to_string(counter.other) + " other accesses");
  }
  return {};  // the Vp, then the partition, then the memory go
}

}  // namespace

void check_partition_cycles(vmm::Backend& backend, SelftestResult& r) {
  // One cycle first, so that the caches the first child fills (slab, page tables of the VMM)
  // count as the starting point.
  if (auto warm = one_cycle(backend); !warm) {
    return r.check(false, "partition cycle: " + vmm::describe(warm.error()));
  }
  auto before = take_resource_figures(backend);
  if (!before) return r.check(false, "partitions: " + before.error());
  const auto start = Clock::now();
  int failures = 0;
  for (int i = 0; i < kCycles; ++i) {
    if (auto c = one_cycle(backend); !c) {
      if (static_cast<size_t>(failures) < kErrorsShown) {
        r.note("partitions: cycle " + std::to_string(i) + ": " + vmm::describe(c.error()));
      }
      ++failures;
    }
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  r.note("partitions: " + std::to_string(kCycles) + " create/map/run/destroy cycles in " +
         std::to_string(ms) + " ms, " + std::to_string(failures) + " failed");
  r.check(failures == 0,
          std::to_string(failures) + " of " + std::to_string(kCycles) + " partition cycles failed");
  check_resources_back(backend, *before, "partitions: over the cycles", kFreeSlackKib, r);
}

}  // namespace rootstock::selftest
