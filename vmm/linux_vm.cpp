#include "vmm/linux_vm.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <optional>

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/board.hpp"
#include "vmm/exit_report.hpp"
#include "vmm/guest_memory.hpp"
#include "vmm/interrupt_line.hpp"
#include "vmm/kick.hpp"
#include "vmm/loader/linux_loader.hpp"
#include "vmm/partition.hpp"
#include "vmm/pc_devices.hpp"
#include "vmm/thread_cpu_time.hpp"
#include "vmm/tsc_frequency.hpp"
#include "vmm/vp.hpp"

namespace rootstock::vmm {
namespace {

constexpr uint32_t kRwx = RS_ACCESS_READ | RS_ACCESS_WRITE | RS_ACCESS_EXECUTE;
constexpr auto kKickInterval = std::chrono::milliseconds(20);

// The devices' clock: the root's monotonic clock in nanoseconds.
uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// The devices' wall clock: the root's, in seconds since 1970.
int64_t wall_seconds() {
  return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
}

// The board's interrupt lines on hv's interrupt path: an edge or a level on a GSI of the child's
// I/O APIC, which hv emulates, or a message to its LAPICs (PARTITION_INTERRUPT,
// docs/hypercalls.md "Child interrupts").
class HvInterrupts final : public InterruptSink {
 public:
  explicit HvInterrupts(Partition& partition) : partition_(&partition) {}
  Result<void> edge(uint32_t gsi) override { return partition_->pulse_gsi(gsi); }
  Result<void> level(uint32_t gsi, bool asserted) override {
    return partition_->set_gsi(gsi, asserted);
  }
  Result<void> msi(uint32_t address, uint32_t data) override {
    return partition_->send_msi(address, data);
  }

 private:
  Partition* partition_;
};

// Doorbells through the partition fd (HVROOT_DOORBELL).
class HvDoorbells final : public DoorbellSink {
 public:
  explicit HvDoorbells(Partition& partition) : partition_(&partition) {}
  Result<void> add(const DoorbellSpec& d) override { return partition_->add_doorbell(d); }
  Result<void> remove(const DoorbellSpec& d) override { return partition_->remove_doorbell(d); }

 private:
  Partition* partition_;
};

std::atomic<size_t> g_stranded{0};

// Counts a Machine in stranded_vms() from its LinuxVm's end to its own. The Machine's first
// member, so that it goes last: after the VPs and the partition are closed.
struct StrandedMark {
  bool counted = false;
  StrandedMark() = default;
  StrandedMark(const StrandedMark&) = delete;
  StrandedMark& operator=(const StrandedMark&) = delete;
  ~StrandedMark() {
    if (counted) g_stranded.fetch_sub(1, std::memory_order_release);
  }
};

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

// Everything a vCPU thread touches, co-owned by the LinuxVm and each of its vCPU threads.
//
// Why co-owned rather than never giving up on a thread: a vCPU thread that does not leave
// VP_RUN (hv or the driver not honouring the kick) may never return. Waiting for it in
// ~LinuxVm would hang the thread of PID 1 that destroys the VM, and with it the appliance;
// giving up on it while it can still come back into freed memory would take PID 1 down. With
// the Machine co-owned, destruction is bounded and memory-safe: a stuck thread keeps only its
// own VM (RAM, partition, devices) until it returns, run() names it ("did not stop") and
// stranded_vms() counts it. The one thing it must not reach is the caller's: ~LinuxVm drops
// the console callback under the board's console mutex, which every call of it holds.
//
// Locks: each device has its own (board.hpp, locked_device.hpp), the buses none; state_mutex
// is the VM's end, the pause and the vCPU states. A device that ends the VM takes state_mutex
// under its own lock; nothing takes a device lock under state_mutex.
struct LinuxVm::Machine {
  Machine(LinuxVmConfig c, GuestMemory r) : config(std::move(c)), ram(std::move(r)) {}
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  Result<void> build(Backend& backend);
  void vcpu_thread(uint32_t index);
  void end(LinuxVmExit exit);

  StrandedMark stranded;  // first: destroyed last
  LinuxVmConfig config;   // its console moves to the board
  GuestMemory ram;
  std::optional<Partition> partition;
  std::optional<HvInterrupts> interrupts;
  std::optional<HvDoorbells> doorbells;
  std::optional<Board> board;  // after the partition and its sink: its lines deliver there
  std::vector<Vp> vps;         // reserved up front: the threads hold references, no reallocation
  std::unique_ptr<ThreadCpuTime[]> cpu_times;  // each vCPU thread's, one per vp

  // The end of the VM (the first reason wins), the pause request and each vCPU's state: one
  // mutex, so that a parked vCPU cannot miss either the end or a resume.
  std::mutex state_mutex;
  std::condition_variable state_cv;
  std::optional<LinuxVmExit> end_reason;
  bool pause_requested = false;
  std::vector<VcpuState> vcpu_states;
};

LinuxVm::LinuxVm(std::shared_ptr<Machine> machine) : m_(std::move(machine)) {}

LinuxVm::~LinuxVm() {
  // run() joined every thread that stopped and let go of the others; they co-own the Machine.
  for (auto& t : threads_) {
    if (t.joinable()) t.detach();
  }
  m_->board->set_console_output(nullptr);  // it may point into the caller, which may go next
  // Counted until the Machine goes: at once unless a vCPU thread still holds it.
  m_->stranded.counted = true;
  g_stranded.fetch_add(1, std::memory_order_relaxed);
  m_.reset();
}

size_t LinuxVm::stranded_vms() {
  return g_stranded.load(std::memory_order_acquire);
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
  auto machine = std::make_shared<Machine>(std::move(config), std::move(*ram));
  if (auto r = machine->build(backend); !r) return std::unexpected(r.error());
  return std::unique_ptr<LinuxVm>(new LinuxVm(std::move(machine)));
}

Result<void> LinuxVm::Machine::build(Backend& backend) {
  acpi::AcpiConfig acpi_config;
  acpi_config.vcpu_count = config.vcpus;
  if (config.extra_devices) config.extra_devices->describe(acpi_config, config.cmdline);
  auto area = ram.bytes(acpi_config.area_gpa, acpi_config.area_size);
  if (!area) return std::unexpected(area.error());
  auto tables = acpi::build_acpi_tables(acpi_config, *area);
  if (!tables) return fail(std::string("linux vm: ACPI tables: ") + acpi::describe(tables.error()));
  auto loaded =
      loader::load_linux(ram, {config.kernel, config.initramfs, config.cmdline, tables->rsdp.gpa});
  if (!loaded) return std::unexpected(loaded.error());
  auto created = Partition::create(backend);
  if (!created) return std::unexpected(created.error());
  partition.emplace(std::move(*created));
  if (auto r = partition->map(ram, kRwx); !r) return r;
  // The devices the tables promise, on the platform they describe.
  interrupts.emplace(*partition);
  if (config.doorbells) doorbells.emplace(*partition);
  board.emplace(Board::Wiring{acpi_config, &*interrupts, now_ns, wall_seconds,
                              [this](BoardEnd e, std::string detail) {
                                end({e == BoardEnd::kPowerOff ? LinuxVmExit::Reason::kPowerOff
                                                              : LinuxVmExit::Reason::kReset,
                                     0, std::move(detail)});
                              },
                              doorbells ? &*doorbells : nullptr});
  board->set_console_output(std::move(config.console));
  if (auto r = plug_pc_devices(*board); !r) return r;
  if (config.extra_devices) {
    if (auto r = config.extra_devices->plug(*board, ram); !r) return r;
  }
  vps.reserve(config.vcpus);
  for (uint32_t i = 0; i < config.vcpus; ++i) {
    auto vp = partition->create_vp(i);
    if (!vp) return std::unexpected(vp.error());
    vps.push_back(std::move(*vp));
    vps.back().set_halt_in_kernel(true);
  }
  // The APs wait for the boot vCPU's INIT-SIPI-SIPI, as on a PC (SDM vol. 3A, 9.4).
  RegisterList wait_for_sipi;
  wait_for_sipi.push_back(scalar_register(RS_REG_ACTIVITY, RS_ACTIVITY_WAIT_FOR_SIPI));
  for (uint32_t i = 1; i < config.vcpus; ++i) {
    if (auto r = vps[i].set_registers(wait_for_sipi); !r) return r;
  }
  vcpu_states.assign(config.vcpus, VcpuState::kNotStarted);
  cpu_times = std::make_unique<ThreadCpuTime[]>(config.vcpus);
  return vps[0].set_registers(loaded->registers);
}

void LinuxVm::press_power_button() {
  (void)m_->board->press_power_button();
}

void LinuxVm::send_input(std::string_view bytes) {
  (void)m_->board->console_input(bytes);
}

void LinuxVm::Machine::end(LinuxVmExit exit) {
  {
    std::lock_guard lock(state_mutex);
    if (!end_reason) end_reason = std::move(exit);
  }
  state_cv.notify_all();
}

void LinuxVm::stop() {
  m_->end({LinuxVmExit::Reason::kStopped, 0, "stopped by the VMM"});
}

void LinuxVm::Machine::vcpu_thread(uint32_t index) {
  Vp& vp = vps[index];
  cpu_times[index].begin();
  const auto k = accept_kicks();
  if (!k) end({LinuxVmExit::Reason::kFailed, index, describe(k.error())});
  for (;;) {
    {
      // Between two VP_RUN loops: the VM's end, or a pause, is decided here.
      std::unique_lock lock(state_mutex);
      if (end_reason) break;
      if (pause_requested) {
        vcpu_states[index] = VcpuState::kPaused;
        state_cv.notify_all();
        state_cv.wait(lock, [this] { return end_reason.has_value() || !pause_requested; });
        if (end_reason) break;
      }
      vcpu_states[index] = VcpuState::kRunning;
    }
    auto exit = vp.run(board->io(), board->mmio());
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
    std::lock_guard lock(state_mutex);
    vcpu_states[index] = VcpuState::kStopped;
  }
  cpu_times[index].end();
  state_cv.notify_all();
}

bool LinuxVm::kick_out(std::unique_lock<std::mutex>& lock, bool (*still_in)(VcpuState)) {
  for (auto& vp : m_->vps) vp.request_stop();  // run() returns at its next exit or interruption
  const auto deadline = std::chrono::steady_clock::now() + m_->config.stop_timeout;
  for (;;) {
    bool waiting = false;
    for (uint32_t i = 0; i < vcpu_count(); ++i) {
      if (!still_in(m_->vcpu_states[i])) continue;
      waiting = true;
      if (i < threads_.size()) kick(threads_[i].native_handle());  // out of a halt or a spin
    }
    if (!waiting) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    m_->state_cv.wait_for(lock, kKickInterval);
  }
}

bool LinuxVm::pause() {
  std::unique_lock lock(m_->state_mutex);
  m_->pause_requested = true;
  return kick_out(lock, [](VcpuState state) { return state == VcpuState::kRunning; });
}

void LinuxVm::resume() {
  {
    std::lock_guard lock(m_->state_mutex);
    m_->pause_requested = false;
  }
  m_->state_cv.notify_all();
}

std::vector<VcpuState> LinuxVm::vcpu_states() {
  std::lock_guard lock(m_->state_mutex);
  return m_->vcpu_states;
}

LinuxVmExit LinuxVm::run() {
  Machine& m = *m_;
  std::unique_lock lock(m.state_mutex);  // pause() reads threads_ under it
  for (uint32_t i = 0; i < vcpu_count(); ++i) {
    threads_.emplace_back([machine = m_, i] { machine->vcpu_thread(i); });
  }
  m.state_cv.wait(lock, [&m] { return m.end_reason.has_value(); });
  // Every vCPU leaves at its next exit; a kick makes a halted or busy one look (kick.hpp).
  (void)kick_out(lock, [](VcpuState state) { return state != VcpuState::kStopped; });
  LinuxVmExit result = *m.end_reason;
  const std::vector<VcpuState> states = m.vcpu_states;
  lock.unlock();
  for (uint32_t i = 0; i < vcpu_count(); ++i) {
    if (states[i] == VcpuState::kStopped) {
      threads_[i].join();  // done with the VM: it only notified after its last state
    } else {
      // Still in VP_RUN: it co-owns the Machine, so whenever it returns it finds it there.
      threads_[i].detach();
      result.detail += "; vCPU " + std::to_string(i) + " did not stop";
    }
  }
  lock.lock();
  threads_.clear();
  return result;
}

uint32_t LinuxVm::vcpu_count() const {
  return static_cast<uint32_t>(m_->vps.size());
}

Result<hvroot_partition_info> LinuxVm::partition_info() {
  if (!m_->partition) return fail("the VM has no partition");
  return m_->partition->query();
}

uint64_t LinuxVm::handled_exits() const {
  uint64_t sum = 0;
  for (const auto& vp : m_->vps) sum += vp.handled_exits();
  return sum;
}

std::chrono::nanoseconds LinuxVm::vcpu_cpu_time() const {
  std::chrono::nanoseconds sum{0};
  for (uint32_t i = 0; i < vcpu_count(); ++i) sum += m_->cpu_times[i].used();
  return sum;
}

uint64_t LinuxVm::unclaimed_io() const {
  return m_->board->io().unclaimed();
}

uint64_t LinuxVm::unclaimed_mmio() const {
  return m_->board->mmio().unclaimed();
}

std::vector<std::pair<const char*, uint64_t>> LinuxVm::exit_counts_by_kind() {
  static constexpr const char* kNames[RS_STAT_COUNT] = {
      "cpuid",  "msr",       "lapic-msr",   "xapic-mmio", "ioapic-mmio", "hlt",
      "window", "interrupt", "nmi",         "xsetbv",     "io",          "memory",
      "other",  "injected",  "timer-rearm", "doorbell",   "pause"};
  std::vector<std::pair<const char*, uint64_t>> out;
  for (uint32_t i = 0; i < RS_STAT_COUNT; ++i) out.emplace_back(kNames[i], 0);
  for (auto& vp : m_->vps) {
    for (uint32_t i = 0; i < RS_STAT_COUNT; ++i) out[i].second += vp.run_page().exit_stats[i];
  }
  return out;
}

std::string LinuxVm::exit_stats() {
  std::string out;
  for (const auto& [name, count] : exit_counts_by_kind()) {
    if (count == 0) continue;
    if (!out.empty()) out += ' ';
    out += std::string(name) + "=" + std::to_string(count);
  }
  return out;
}

ExitCounts LinuxVm::exit_counts() {
  ExitCounts counts;
  for (auto& vp : m_->vps) {
    const rs_run_page& page = vp.run_page();
    for (uint32_t i = 0; i < RS_STAT_COUNT; ++i) {
      if (i == RS_STAT_INJECTED || i == RS_STAT_TIMER_REARM) continue;  // not exits
      counts.guest_exits += page.exit_stats[i];
    }
    counts.doorbells += page.exit_stats[RS_STAT_DOORBELL];
  }
  return counts;
}

uint64_t LinuxVm::vp_exits() {
  uint64_t sum = 0;
  for (auto& vp : m_->vps) sum += vp.run_page().exit_count;
  return sum;
}

}  // namespace rootstock::vmm
