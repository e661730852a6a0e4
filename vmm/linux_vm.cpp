#include "vmm/linux_vm.hpp"

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/loader/linux_loader.hpp"

#include <chrono>
#include <thread>

namespace rootstock::vmm {
namespace {

constexpr uint16_t kCom1 = 0x3f8;
constexpr uint16_t kPitPorts = 0x40;  // channels 0-2 and the control word (8254)
constexpr uint16_t kPortB = 0x61;     // NMI status and control: PIT channel 2 gate and output

// The devices' clock: the root's monotonic clock in nanoseconds.
uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}
constexpr uint32_t kRwx = RS_ACCESS_READ | RS_ACCESS_WRITE | RS_ACCESS_EXECUTE;

// The TSC frequency the child sees (its TSC is the host's: no offset), measured against the
// root's monotonic clock over 50 ms. Handed to the child as tsc_early_khz= so that it skips
// its own calibration, which needs PIT or PM-timer reads far faster than exits to the VMM are
// (each is a round trip to user space: bench/round-trips.sh).
uint64_t measure_tsc_khz() {
  const uint64_t t0 = now_ns();
  const uint64_t c0 = __builtin_ia32_rdtsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const uint64_t c1 = __builtin_ia32_rdtsc();
  const uint64_t t1 = now_ns();
  return t1 > t0 ? (c1 - c0) * 1000000 / (t1 - t0) : 0;
}

}  // namespace

LinuxVm::LinuxVm(LinuxVmConfig config, GuestMemory ram)
    : config_(std::move(config)),
      ram_(std::move(ram)),
      uart_(
          kCom1,
          [this](uint8_t b) {
            if (config_.console) config_.console(b);
          },
          [](bool) {}),  // the interrupt lines go nowhere until the child's IOAPIC exists
      pm_(
          {}, now_ns, [](bool) {}, [this] { powered_off_ = true; }),
      pit_(now_ns, [](bool) {}),
      reset_(acpi::kResetPort, [this] { reset_requested_ = true; }) {}

Result<std::unique_ptr<LinuxVm>> LinuxVm::create(Backend& backend, LinuxVmConfig config) {
  if (config.ram_mib < 16 || config.ram_mib > 1024) {
    return fail("linux vm: " + std::to_string(config.ram_mib) + " MiB of RAM; 16 to 1024 work");
  }
  if (const uint64_t khz = measure_tsc_khz(); khz != 0) {
    config.cmdline += " tsc_early_khz=" + std::to_string(khz);
  }
  auto ram = GuestMemory::allocate(0, config.ram_mib << 20);
  if (!ram) return std::unexpected(ram.error());
  std::unique_ptr<LinuxVm> vm(new LinuxVm(std::move(config), std::move(*ram)));
  if (auto r = vm->build(backend); !r) return std::unexpected(r.error());
  return vm;
}

Result<void> LinuxVm::build(Backend& backend) {
  acpi::AcpiConfig acpi_config;
  acpi_config.vcpu_count = 1;
  auto area = ram_.bytes(acpi_config.area_gpa, acpi_config.area_size);
  if (!area) return std::unexpected(area.error());
  auto tables = acpi::build_acpi_tables(acpi_config, *area);
  if (!tables) return fail(std::string("linux vm: ACPI tables: ") + acpi::describe(tables.error()));
  auto loaded = loader::load_linux(
      ram_, {config_.kernel, config_.initramfs, config_.cmdline, tables->rsdp.gpa});
  if (!loaded) return std::unexpected(loaded.error());
  if (auto r = bus_.add(kCom1, devices::Uart16550::kPortCount, uart_); !r) return r;
  // The ports the child's ACPI tables promise (acpi_builder.hpp) and the PC's timer.
  if (auto r = bus_.add(acpi_config.pm1a_evt_port, 4, pm_); !r) return r;
  if (auto r = bus_.add(acpi_config.pm1a_cnt_port, 2, pm_); !r) return r;
  if (auto r = bus_.add(acpi_config.pm_tmr_port, 4, pm_); !r) return r;
  if (auto r = bus_.add(acpi::kResetPort, 1, reset_); !r) return r;
  if (auto r = bus_.add(kPitPorts, 4, pit_); !r) return r;
  if (auto r = bus_.add(kPortB, 1, pit_); !r) return r;
  auto partition = Partition::create(backend);
  if (!partition) return std::unexpected(partition.error());
  partition_.emplace(std::move(*partition));
  if (auto r = partition_->map(ram_, kRwx); !r) return r;
  auto vp = partition_->create_vp(0);
  if (!vp) return std::unexpected(vp.error());
  vp_.emplace(std::move(*vp));
  return vp_->set_registers(loaded->registers);
}

Result<VpExit> LinuxVm::run() {
  return vp_->run(bus_, mmio_);
}

}  // namespace rootstock::vmm
