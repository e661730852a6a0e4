#include "vmm/linux_vm.hpp"

#include <chrono>

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/exit_report.hpp"
#include "vmm/kick.hpp"
#include "vmm/loader/linux_loader.hpp"
#include "vmm/tsc_frequency.hpp"

namespace rootstock::vmm {
namespace {

constexpr uint16_t kCom1 = 0x3f8;
constexpr uint32_t kCom1Gsi = 4;      // ISA IRQ 4, identity-mapped (no MADT override for it)
constexpr uint16_t kPitPorts = 0x40;  // channels 0-2 and the control word (8254)
constexpr uint16_t kPortB = 0x61;     // NMI status and control: PIT channel 2 gate and output
constexpr uint32_t kRwx = RS_ACCESS_READ | RS_ACCESS_WRITE | RS_ACCESS_EXECUTE;
// How long stopping the vCPUs may take before run() gives up on a thread (it is detached).
constexpr auto kStopTimeout = std::chrono::seconds(10);
constexpr auto kKickInterval = std::chrono::milliseconds(20);

// The devices' clock: the root's monotonic clock in nanoseconds.
uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

const char* describe(VcpuState state) {
  switch (state) {
    case VcpuState::kNotStarted:
      return "not-started";
    case VcpuState::kRunning:
      return "running";
    case VcpuState::kPaused:
      return "paused";
    case VcpuState::kStopped:
      return "stopped";
  }
  return "unknown";
}

const char* describe(LinuxVmExit::Reason reason) {
  switch (reason) {
    case LinuxVmExit::Reason::kPowerOff:
      return "poweroff";
    case LinuxVmExit::Reason::kReset:
      return "reset";
    case LinuxVmExit::Reason::kTripleFault:
      return "triple-fault";
    case LinuxVmExit::Reason::kStopped:
      return "stopped";
    case LinuxVmExit::Reason::kFailed:
      return "failed";
  }
  return "unknown";
}

LinuxVm::LinuxVm(LinuxVmConfig config, GuestMemory ram)
    : config_(std::move(config)),
      ram_(std::move(ram)),
      uart_(
          kCom1,
          [this](uint8_t b) {
            if (config_.console) config_.console(b);
          },
          [this](bool level) {
            // The 16550's output is a level; the MADT leaves ISA IRQ 4 edge-triggered, active
            // high, so a rising level is the edge the I/O APIC takes.
            if (level && partition_) (void)partition_->pulse_gsi(kCom1Gsi);
          }),
      pm_(
          {}, now_ns, [](bool) {}, [this] { end({LinuxVmExit::Reason::kPowerOff, 0, "ACPI S5"}); }),
      pit_(now_ns, [](bool) {}),  // the child needs no PIT interrupt (tsc_early_khz=)
      reset_(acpi::kResetPort,
             [this] { end({LinuxVmExit::Reason::kReset, 0, "reset register 0xcf9"}); }),
      rtc_([] {
        return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
      }) {
  ports_.vm = this;
}

LinuxVm::~LinuxVm() {
  // run() joined or detached every thread; a detached one never touches the VM again only if
  // it is still stuck in the driver, which is why run() reports it.
  for (auto& t : threads_) {
    if (t.joinable()) t.detach();
  }
}

Result<std::unique_ptr<LinuxVm>> LinuxVm::create(Backend& backend, LinuxVmConfig config) {
  if (config.ram_mib < 16 || config.ram_mib > 1024) {
    return fail("linux vm: " + std::to_string(config.ram_mib) + " MiB of RAM; 16 to 1024 work");
  }
  if (config.vcpus < 1 || config.vcpus > kMaxVcpus) {
    return fail("linux vm: " + std::to_string(config.vcpus) + " vCPUs; 1 to " +
                std::to_string(kMaxVcpus) + " work");
  }
  // tsc_early_khz=: the child skips its own TSC calibration, which needs PIT or PM-timer reads
  // far faster than exits to the VMM are (each is a round trip to user space:
  // bench/round-trips.sh). With it, the TSC-deadline timer and ARAT that hv's CPUID offers,
  // Linux needs no PIT interrupts at all (apic_needs_pit()).
  if (const uint64_t khz = measure_tsc_khz(); khz != 0) {
    // tsc=reliable: a child's TSC is the host's, invariant and without offset; without it the
    // clocksource watchdog, itself slowed by emulation, may call it unstable and move the
    // child to the ACPI PM timer, whose every read is an exit to the VMM.
    config.cmdline += " tsc_early_khz=" + std::to_string(khz) + " tsc=reliable";
  }
  auto ram = GuestMemory::allocate(0, config.ram_mib << 20);
  if (!ram) return std::unexpected(ram.error());
  std::unique_ptr<LinuxVm> vm(new LinuxVm(std::move(config), std::move(*ram)));
  if (auto r = vm->build(backend); !r) return std::unexpected(r.error());
  return vm;
}

Result<void> LinuxVm::build(Backend& backend) {
  acpi::AcpiConfig acpi_config;
  acpi_config.vcpu_count = config_.vcpus;
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
  if (auto r = bus_.add(devices::cmos::kIndexPort, 2, rtc_); !r) return r;
  auto partition = Partition::create(backend);
  if (!partition) return std::unexpected(partition.error());
  partition_.emplace(std::move(*partition));
  if (auto r = partition_->map(ram_, kRwx); !r) return r;
  vps_.reserve(config_.vcpus);  // the threads hold references: no reallocation later
  for (uint32_t i = 0; i < config_.vcpus; ++i) {
    auto vp = partition_->create_vp(i);
    if (!vp) return std::unexpected(vp.error());
    vps_.push_back(std::move(*vp));
    vps_.back().set_halt_in_kernel(true);
  }
  // The APs wait for the boot vCPU's INIT-SIPI-SIPI, as on a PC (SDM vol. 3A, 9.4).
  RegisterList wait_for_sipi;
  wait_for_sipi.push_back(scalar_register(RS_REG_ACTIVITY, RS_ACTIVITY_WAIT_FOR_SIPI));
  for (uint32_t i = 1; i < config_.vcpus; ++i) {
    if (auto r = vps_[i].set_registers(wait_for_sipi); !r) return r;
  }
  vcpu_states_.assign(config_.vcpus, VcpuState::kNotStarted);
  return vps_[0].set_registers(loaded->registers);
}

Next LinuxVm::SerialPorts::out(uint16_t port, uint8_t size, uint32_t value) {
  std::lock_guard lock(vm->io_mutex_);
  const Next next = vm->bus_.out(port, size, value);
  vm->feed_input();
  return next;
}

uint32_t LinuxVm::SerialPorts::in(uint16_t port, uint8_t size) {
  std::lock_guard lock(vm->io_mutex_);
  const uint32_t value = vm->bus_.in(port, size);
  vm->feed_input();
  return value;
}

void LinuxVm::feed_input() {
  if (input_.empty() || uart_.rx_room() == 0) return;
  uint8_t chunk[devices::Uart16550::kFifoSize];
  size_t n = 0;
  while (n < sizeof(chunk) && n < input_.size()) {
    chunk[n] = input_[n];
    ++n;
  }
  const size_t taken = uart_.receive({chunk, n});
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(taken));
}

void LinuxVm::send_input(std::string_view bytes) {
  std::lock_guard lock(io_mutex_);
  input_.insert(input_.end(), bytes.begin(), bytes.end());
  feed_input();
}

void LinuxVm::end(LinuxVmExit exit) {
  {
    std::lock_guard lock(state_mutex_);
    if (!end_) end_ = std::move(exit);
  }
  state_cv_.notify_all();
}

void LinuxVm::stop() {
  end({LinuxVmExit::Reason::kStopped, 0, "stopped by the VMM"});
}

void LinuxVm::vcpu_thread(uint32_t index) {
  Vp& vp = vps_[index];
  const auto k = accept_kicks();
  if (!k) end({LinuxVmExit::Reason::kFailed, index, describe(k.error())});
  for (;;) {
    {
      // Between two VP_RUN loops: the VM's end, or a pause, is decided here.
      std::unique_lock lock(state_mutex_);
      if (end_) break;
      if (pause_requested_) {
        vcpu_states_[index] = VcpuState::kPaused;
        state_cv_.notify_all();
        state_cv_.wait(lock, [this] { return end_.has_value() || !pause_requested_; });
        if (end_) break;
      }
      vcpu_states_[index] = VcpuState::kRunning;
    }
    auto exit = vp.run(ports_, mmio_);
    if (!exit) {
      end({LinuxVmExit::Reason::kFailed, index, describe(exit.error())});
    } else if (exit->kind == VpExit::Kind::kStopped) {
      continue;  // stop() or pause() asked for it (or a resume came first): see above
    } else if (exit->kind == VpExit::Kind::kShutdown) {
      end({LinuxVmExit::Reason::kTripleFault, index,
           "vCPU " + std::to_string(index) + " shut down (triple fault)"});
    } else {
      end({LinuxVmExit::Reason::kFailed, index,
           "vCPU " + std::to_string(index) + " stopped at an exit the VMM cannot continue from: " +
               exit_report(*exit, vp.run_page())});
    }
    break;
  }
  {
    std::lock_guard lock(state_mutex_);
    vcpu_states_[index] = VcpuState::kStopped;
  }
  state_cv_.notify_all();
}

bool LinuxVm::kick_out(std::unique_lock<std::mutex>& lock, bool (*still_in)(VcpuState)) {
  for (auto& vp : vps_) vp.request_stop();  // run() returns at its next exit or interruption
  const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  for (;;) {
    bool waiting = false;
    for (uint32_t i = 0; i < vcpu_count(); ++i) {
      if (!still_in(vcpu_states_[i])) continue;
      waiting = true;
      if (i < threads_.size()) kick(threads_[i].native_handle());  // out of a halt or a spin
    }
    if (!waiting) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    state_cv_.wait_for(lock, kKickInterval);
  }
}

bool LinuxVm::pause() {
  std::unique_lock lock(state_mutex_);
  pause_requested_ = true;
  return kick_out(lock, [](VcpuState state) { return state == VcpuState::kRunning; });
}

void LinuxVm::resume() {
  {
    std::lock_guard lock(state_mutex_);
    pause_requested_ = false;
  }
  state_cv_.notify_all();
}

std::vector<VcpuState> LinuxVm::vcpu_states() {
  std::lock_guard lock(state_mutex_);
  return vcpu_states_;
}

LinuxVmExit LinuxVm::run() {
  std::unique_lock lock(state_mutex_);  // pause() reads threads_ under it
  for (uint32_t i = 0; i < vcpu_count(); ++i) threads_.emplace_back([this, i] { vcpu_thread(i); });
  state_cv_.wait(lock, [this] { return end_.has_value(); });
  // Every vCPU leaves at its next exit; a kick makes a halted or busy one look (kick.hpp).
  (void)kick_out(lock, [](VcpuState state) { return state != VcpuState::kStopped; });
  LinuxVmExit result = *end_;
  const std::vector<VcpuState> states = vcpu_states_;
  lock.unlock();
  for (uint32_t i = 0; i < vcpu_count(); ++i) {
    if (states[i] == VcpuState::kStopped) {
      threads_[i].join();  // done with the VM: it only notified after its last state
    } else {
      threads_[i].detach();
      result.detail += "; vCPU " + std::to_string(i) + " did not stop";
    }
  }
  lock.lock();
  threads_.clear();
  return result;
}

uint64_t LinuxVm::handled_exits() const {
  uint64_t sum = 0;
  for (const auto& vp : vps_) sum += vp.handled_exits();
  return sum;
}

std::string LinuxVm::exit_stats() {
  static constexpr const char* kNames[RS_STAT_COUNT] = {
      "cpuid",  "msr",       "lapic-msr",   "xapic-mmio", "ioapic-mmio", "hlt",
      "window", "interrupt", "nmi",         "xsetbv",     "io",          "memory",
      "other",  "injected",  "timer-rearm", "reserved"};
  uint64_t sums[RS_STAT_COUNT] = {};
  for (auto& vp : vps_) {
    for (uint32_t i = 0; i < RS_STAT_COUNT; ++i) sums[i] += vp.run_page().exit_stats[i];
  }
  std::string out;
  for (uint32_t i = 0; i < RS_STAT_COUNT; ++i) {
    if (sums[i] == 0) continue;
    if (!out.empty()) out += ' ';
    out += std::string(kNames[i]) + "=" + std::to_string(sums[i]);
  }
  return out;
}

uint64_t LinuxVm::vp_exits() {
  uint64_t sum = 0;
  for (auto& vp : vps_) sum += vp.run_page().exit_count;
  return sum;
}

}  // namespace rootstock::vmm
