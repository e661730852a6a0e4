// hv's C++ entry, reached from arch/x86/entry.S in long mode on the boot CPU: take over the
// machine (console, boot information, memory, ACPI, every CPU with SVM), then run what the
// command line asks for. The order matters and is the order of the functions below.
#include <stdint.h>
#include <rootstock/acpi/acpi_info.hpp>
#include <rootstock/boot/multiboot2.hpp>
#include <rootstock/boot/pvh.hpp>

#include "arch/x86/boot_layout.h"
#include "arch/x86/cpu.hpp"
#include "arch/x86/cpuid.hpp"
#include "arch/x86/lapic.hpp"
#include "arch/x86/pit_tsc.hpp"
#include "arch/x86/port_io.hpp"
#include "arch/x86/svm/pause_filter.hpp"
#include "arch/x86/svm/svm.hpp"
#include "boot/build_id.hpp"
#include "boot/cmdline.hpp"
#include "boot/identity_reader.hpp"
#include "console/log.hpp"
#include "cpu/per_cpu.hpp"
#include "cpu/smp.hpp"
#include "mm/boot_arena.hpp"
#include "mm/frame_allocator.hpp"
#include "mm/hv_address_space.hpp"
#include "mm/shared_frames.hpp"
#include "panic.hpp"
#include "platform/power.hpp"
#include "root/hypercalls.hpp"
#include "root/payload.hpp"
#include "root/root_loader.hpp"
#include "root/root_memory.hpp"
#include "root/root_partition.hpp"
#include "selftest/selftest.hpp"

extern "C" {
extern char __hv_start[];
extern char __hv_end[];
extern const uint8_t __build_id_start[];  // the GNU build ID note (arch/x86/linker.ld)
extern const uint8_t __build_id_end[];
void* memset(void* dst, int c, size_t n);
}

namespace hv {
namespace {

// Boot-time state too large for the 16 KiB boot stack lives here.
Uart16550 g_console{Uart16550::kCom1};
rootstock::boot::BootInfo g_boot;
HvOptions g_options;
rootstock::acpi::AcpiInfo g_acpi;
FrameAllocator g_frames;
PowerControl g_power;
svm::SvmFeatures g_svm;
selftest::PermissionMaps g_maps;
uint32_t g_apic_ids[kMaxCpus];
// What the APs do once SVM is on; the BSP releases them all at once.
enum class ApWork : uint32_t { kWait = 0, kSelftest, kRoot };
uint32_t g_ap_work = static_cast<uint32_t>(ApWork::kWait);  // an ApWork, atomically
uint16_t g_reset_port = 0;
rootstock::MemoryRange g_root_map[root::kMaxRootRanges];

ShortBuildId own_build_id() {
  const auto start = reinterpret_cast<uintptr_t>(__build_id_start);
  return short_build_id(__build_id_start, reinterpret_cast<uintptr_t>(__build_id_end) - start);
}

constexpr uint64_t kApWaitUs = 5000000;
constexpr uint64_t kSelftestWaitUs = 60000000;
constexpr uint64_t kPollUs = 1000;
// 8259 PIC data ports: masking every line keeps legacy interrupts off while hv owns the CPUs.
constexpr uint16_t kPicMasterData = 0x21;
constexpr uint16_t kPicSlaveData = 0xa1;
constexpr uint64_t kIopmBytes = 12 * 1024;
constexpr uint64_t kMsrpmBytes = 8 * 1024;

const char* protocol_name(uint32_t protocol) {
  switch (protocol) {
    case BOOT_PROTOCOL_PVH:
      return "PVH";
    case BOOT_PROTOCOL_MULTIBOOT2:
      return "Multiboot2";
    default:
      return "an unknown boot protocol";
  }
}

void read_boot_information(uint32_t protocol, uint32_t info) {
  const IdentityReader reader;
  using rootstock::boot::Status;
  Status s = Status::kOk;
  if (protocol == BOOT_PROTOCOL_PVH) {
    s = rootstock::boot::parse_pvh(reader, info, g_boot);
  } else if (protocol == BOOT_PROTOCOL_MULTIBOOT2) {
    s = rootstock::boot::parse_multiboot2(reader, info, g_boot);
  } else {
    panic("entered without PVH or Multiboot2 boot information; cannot find memory");
  }
  if (s != Status::kOk) {
    panic("boot information rejected: %s (at 0x%lx)", rootstock::boot::describe(s),
          g_boot.error_paddr);
  }
}

void apply_options() {
  parse_cmdline(g_boot.cmdline(), g_options);
  log::set_level(g_options.log_level);
  if (!g_options.console_enabled) {
    log::info("console off (hv.console=none)");
    log::attach(nullptr);
  } else if (g_options.console_port != Uart16550::kCom1) {
    log::info("console moves to I/O port 0x%x", g_options.console_port);
    g_console = Uart16550(g_options.console_port);
    log::attach(g_console.init() ? &g_console : nullptr);
  }
  for (size_t i = 0; i < g_options.problem_count; ++i) {
    log::warn("command line: '%s' %s; ignored", g_options.problems[i].option,
              g_options.problems[i].reason);
  }
  if (g_options.problems_dropped != 0) {
    log::warn("command line: %zu more problems not shown", g_options.problems_dropped);
  }
  g_power.debug_exit_port = g_options.debug_exit_port;
}

void read_acpi() {
  const IdentityReader reader;
  const rootstock::acpi::Status s = rootstock::acpi::parse_acpi(reader, g_boot.rsdp, g_acpi);
  if (s != rootstock::acpi::Status::kOk) {
    panic("ACPI tables rejected: %s (table at 0x%lx)", rootstock::acpi::describe(s),
          g_acpi.fault.paddr);
  }
  const auto& f = g_acpi.fadt;
  using rootstock::acpi::AddressSpace;
  if (g_acpi.s5.present && f.pm1a_cnt.present() && f.pm1a_cnt.space == AddressSpace::kSystemIo &&
      (!f.pm1b_cnt.present() || f.pm1b_cnt.space == AddressSpace::kSystemIo)) {
    g_power.acpi_s5 = true;
    g_power.pm1a_control_port = static_cast<uint16_t>(f.pm1a_cnt.address);
    g_power.pm1b_control_port = static_cast<uint16_t>(f.pm1b_cnt.address);
    g_power.slp_typa = g_acpi.s5.slp_typa;
    g_power.slp_typb = g_acpi.s5.slp_typb;
  }
  if (f.reset_supported && f.reset_reg.space == AddressSpace::kSystemIo) {
    g_reset_port = static_cast<uint16_t>(f.reset_reg.address);
  }
  if (g_acpi.madt.pcat_compat) {
    x86::outb(kPicMasterData, 0xff);
    x86::outb(kPicSlaveData, 0xff);
  }
  log::info("ACPI: %zu usable CPUs, %zu I/O APICs, local APIC at 0x%lx, S5 %s",
            g_acpi.madt.cpu_count, g_acpi.madt.ioapic_count, g_acpi.madt.lapic_base,
            g_power.acpi_s5 ? "available" : "not usable");
}

void carve_memory() {
  rootstock::MemoryRange exclusions[2 + rootstock::boot::kMaxModules];
  size_t n = 0;
  const auto hv_start = reinterpret_cast<uintptr_t>(__hv_start);
  exclusions[n++] = {hv_start, reinterpret_cast<uintptr_t>(__hv_end) - hv_start,
                     rootstock::MemoryType::kReserved};
  for (size_t i = 0; i < g_boot.module_count; ++i) {
    exclusions[n++] = {g_boot.modules[i].base, g_boot.modules[i].size,
                       rootstock::MemoryType::kReserved};
  }
  ReservationRequest request;
  request.map = g_boot.memory;
  request.map_count = g_boot.memory_count;
  request.exclusions = exclusions;
  request.exclusion_count = n;
  // The frame table (docs/hypercalls.md §6) comes on top of the pool hv.reserve asks for.
  const uint64_t table_bytes = root::frame_table_reservation(g_boot.memory, g_boot.memory_count);
  request.size = g_options.reserve_bytes + table_bytes;
  rootstock::MemoryRange reservation;
  FrameStatus s = carve_reservation(request, reservation);
  if (s == FrameStatus::kOk) {
    s = g_frames.init(reservation, reinterpret_cast<void*>(reservation.base));
  }
  if (s != FrameStatus::kOk) {
    panic("cannot reserve %lu MiB for hv: %s", request.size / kMiB, describe(s));
  }
  log::info("memory: %lu MiB usable, hv reserved [0x%lx, 0x%lx) (%lu MiB), image at 0x%lx",
            rootstock::boot::usable_bytes(g_boot) / kMiB, reservation.base, reservation.end(),
            reservation.length / kMiB, hv_start);
}

// SVM on for the calling CPU; false (after saying why) when this CPU cannot.
bool enable_svm(PerCpu& cpu) {
  svm::SvmFeatures features;
  const svm::SvmStatus s = svm::probe(features);
  if (s != svm::SvmStatus::kOk) {
    log::error("cpu %u (APIC ID %u): %s", cpu.index, cpu.apic_id, svm::describe(s));
    return false;
  }
  svm::enable(cpu.host_save_pa);
  log::info("cpu %u (APIC ID %u): SVM ready (revision %u, %u ASIDs, NPT)", cpu.index, cpu.apic_id,
            features.revision, features.asids);
  // Where hv's per-CPU SVM pages are, for reading a report of a root access to hv's memory.
  log::debug("cpu %u: host save area 0x%lx, host VMCB 0x%lx", cpu.index, cpu.host_save_pa,
             cpu.host_vmcb_pa);
  __atomic_store_n(&cpu.svm_ready, 1u, __ATOMIC_RELEASE);
  return true;
}

SharedFrames& shared_frames() {
  static SharedFrames frames(g_frames);  // built on the BSP before any AP starts
  return frames;
}

void ap_main(PerCpu& cpu) {
  if (!enable_svm(cpu)) return;
  ApWork work;
  while ((work = static_cast<ApWork>(__atomic_load_n(&g_ap_work, __ATOMIC_ACQUIRE))) ==
         ApWork::kWait) {
    asm volatile("pause");
  }
  if (work == ApWork::kRoot) {
    x86::LocalApic::restore_firmware_mode(cpu.firmware_apic_base);
    root::run_root_ap(cpu);
  }
  selftest::run_on_this_cpu(cpu, shared_frames(), g_maps);
  __atomic_store_n(&cpu.selftest_done, 1u, __ATOMIC_RELEASE);
}

// Waits until `flag` of every CPU is set, or the timeout; returns how many set it.
uint32_t wait_all(volatile uint32_t PerCpu::* flag, uint64_t timeout_us) {
  uint32_t ready = 0;
  for (uint64_t waited = 0;; waited += kPollUs) {
    ready = 0;
    for (uint32_t i = 0; i < cpu_count(); ++i) {
      ready += __atomic_load_n(&(cpu(i)->*flag), __ATOMIC_ACQUIRE) != 0 ? 1 : 0;
    }
    if (ready == cpu_count() || waited >= timeout_us) return ready;
    x86::delay_us(kPollUs);
  }
}

[[noreturn]] void stop_cannot_run(const char* why) {
  log::error("%s; hv cannot run on this machine, powering off", why);
  power_off(g_power, RunResult::kCannotRun);
}

void prepare_permission_maps(BootArena& arena) {
  void* iopm = arena.allocate_pages(kIopmBytes, g_maps.iopm_pa);
  void* msrpm = arena.allocate_pages(kMsrpmBytes, g_maps.msrpm_pa);
  if (iopm == nullptr || msrpm == nullptr) panic("out of hv memory for the permission maps");
  memset(iopm, 0xff, kIopmBytes);
  memset(msrpm, 0xff, kMsrpmBytes);
}

// Which of a child's PAUSEs exit (hv.pause_exits, arch/x86/svm/pause_filter.hpp), said once.
svm::PauseExits child_pause_exits() {
  const svm::PauseExits p =
      svm::pause_exits(g_options.pause_exits, g_svm.pause_filter, g_svm.pause_filter_threshold);
  if (!p.intercept) {
    log::info("children: PAUSE never exits (%s)", g_options.pause_exits == PauseExitMode::kNone
                                                      ? "hv.pause_exits=none"
                                                      : "the CPU has no pause filter");
  } else if (g_options.pause_exits == PauseExitMode::kAll) {
    log::info("children: every PAUSE exits (hv.pause_exits=all)");
  } else {
    log::info("children: PAUSE loops exit after %u PAUSEs (threshold %u cycles)",
              unsigned{p.filter_count}, unsigned{p.filter_threshold});
  }
  return p;
}

[[noreturn]] void run_selftest(PerCpu& bsp) {
  __atomic_store_n(&g_ap_work, static_cast<uint32_t>(ApWork::kSelftest), __ATOMIC_RELEASE);
  selftest::run_on_this_cpu(bsp, shared_frames(), g_maps);
  __atomic_store_n(&bsp.selftest_done, 1u, __ATOMIC_RELEASE);
  const uint32_t done = wait_all(&PerCpu::selftest_done, kSelftestWaitUs);
  uint64_t passed = 0, failed = 0;
  for (uint32_t i = 0; i < cpu_count(); ++i) {
    passed += cpu(i)->selftest_passed;
    failed += cpu(i)->selftest_failed;
  }
  if (done != cpu_count()) {
    log::error("selftest: only %u of %u CPUs finished", done, cpu_count());
    failed += cpu_count() - done;
  }
  log::milestone(rootstock::milestone::Writer("selftest")
                     .field("name", "hv")
                     .field("passed", passed)
                     .field("failed", failed));
  power_off(g_power, failed == 0 ? RunResult::kPassed : RunResult::kFailed);
}

// Loads the root's Linux into its memory and runs it on every CPU (DESIGN.md §1).
[[noreturn]] void launch_root(PerCpu& bsp, bool x2apic) {
  const root::Payload payload = root::find_payload(g_boot);
  const auto hv_start = reinterpret_cast<uintptr_t>(__hv_start);
  const rootstock::MemoryRange hv_ranges[] = {
      {hv_start, root::image_end() - hv_start, rootstock::MemoryType::kReserved},
      g_frames.reservation(),
  };
  const size_t n = root::build_root_map(g_boot.memory, g_boot.memory_count, hv_ranges, 2,
                                        g_root_map, root::kMaxRootRanges);
  if (n == 0) panic("the root's memory map does not fit its e820 table");
  uint64_t root_bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    if (g_root_map[i].type == rootstock::MemoryType::kUsable) root_bytes += g_root_map[i].length;
  }
  root::RootConfig config;
  const char* err = root::load_root(payload, g_options.root_cmdline(), g_root_map, n,
                                    g_acpi.rsdp.paddr, config.entry);
  if (err != nullptr) stop_cannot_run(err);
  log::milestone(rootstock::milestone::Writer("root-start")
                     .field("cpus", uint64_t{cpu_count()})
                     .field("ram_mib", root_bytes >> 20)
                     .field("firmware_ram_mib", rootstock::boot::usable_bytes(g_boot) >> 20)
                     .field("kernel", payload.kernel.from_module ? "module" : "embedded")
                     .field("initramfs", payload.initramfs.from_module ? "module" : "embedded"));
  config.map = g_root_map;
  config.map_count = n;
  config.hv_ranges = hv_ranges;
  config.hv_count = 2;
  config.power = g_power;
  // The root gets the APICs as the firmware left them; it may switch to x2APIC itself, so
  // both the xAPIC page (while APs start) and the x2APIC ICR are watched.
  config.lapic_base = g_acpi.madt.lapic_base;
  config.x2apic = x2apic;
  // The reset register is not intercepted: at 0xcf9 it shares its dword with the PCI
  // configuration address port 0xcf8, so intercepting it costs an exit per configuration
  // access (~9000 in one boot). A root reset reaches the platform without hv's milestone.
  config.reset_port = 0;
  config.reservation = g_frames.reservation();
  if (const char* e = root::prepare_root(config, shared_frames())) stop_cannot_run(e);
  const svm::ChildMaps child_maps{g_maps.iopm_pa, g_maps.msrpm_pa, child_pause_exits()};
  if (const char* e = root::init_hypercalls(g_boot.memory, g_boot.memory_count, hv_ranges, 2,
                                            g_frames, child_maps)) {
    log::error("hypercalls are off (ABI version 0): %s", e);
  }
  __atomic_store_n(&g_ap_work, static_cast<uint32_t>(ApWork::kRoot), __ATOMIC_RELEASE);
  x86::LocalApic::restore_firmware_mode(bsp.firmware_apic_base);
  root::run_root_bsp(bsp);
}

}  // namespace
}  // namespace hv

extern "C" [[noreturn]] void hv_main(uint32_t protocol, uint32_t boot_info) {
  using namespace hv;
  if (g_console.init()) {
    log::attach(&g_console);
  }
  log::info("Rootstock hv %s (build %s), entered through %s", ROOTSTOCK_VERSION,
            own_build_id().text, protocol_name(protocol));
  read_boot_information(protocol, boot_info);
  apply_options();
  const uint64_t khz = x86::calibrate_tsc();
  log::info("TSC %lu.%03lu MHz (measured against the PIT)", khz / 1000, khz % 1000);
  read_acpi();
  carve_memory();

  if (x86::cpu_vendor() == x86::Vendor::kIntel) {
    stop_cannot_run("this is an Intel CPU and the VMX backend is not implemented yet");
  }
  if (const svm::SvmStatus s = svm::probe(g_svm); s != svm::SvmStatus::kOk) {
    stop_cannot_run(svm::describe(s));
  }

  if (const char* e = build_hv_address_space(g_boot.memory, g_boot.memory_count, shared_frames())) {
    log::warn("%s; hv keeps its boot page tables (the low 4 GiB)", e);
  }
  BootArena arena(g_frames);
  const bool x2apic =
      (x86::cpuid(x86::cpuid_bit::kLeafFeatures).ecx & x86::cpuid_bit::kFeaturesEcxX2apic) != 0;
  const uint64_t firmware_apic = x86::LocalApic::init(x2apic, g_acpi.madt.lapic_base);
  PerCpu* bsp = create_per_cpu(arena, 0, x86::LocalApic::id());
  if (bsp == nullptr) panic("out of hv memory for the boot CPU's state");
  bsp->firmware_apic_base = firmware_apic;
  install_per_cpu(*bsp);
  register_bsp(bsp);
  prepare_permission_maps(arena);  // the self-test guest's, and every child's
  shared_frames();

  uint32_t n = 0;
  for (size_t i = 0; i < g_acpi.madt.cpu_count; ++i) {
    if (g_acpi.madt.cpus[i].enabled) g_apic_ids[n++] = g_acpi.madt.cpus[i].apic_id;
  }
  const ApStartup startup{g_apic_ids, n, bsp->apic_id, x86::read_cr3()};
  start_aps(startup, arena, ap_main);
  if (!enable_svm(*bsp)) stop_cannot_run("SVM could not be enabled on the boot CPU");
  const uint32_t ready = wait_all(&PerCpu::svm_ready, kApWaitUs);

  log::milestone(rootstock::milestone::Writer("hv-ready")
                     .field("version", ROOTSTOCK_VERSION)
                     .field("build", own_build_id().text)
                     .field("cpus", uint64_t{ready})
                     .field("arch", "svm")
                     .field("apic", x2apic ? "x2apic" : "xapic")
                     .field("reserved_mib", g_frames.reservation().length / kMiB)
                     .field("pool_mib", g_options.reserve_bytes / kMiB));
  if (ready != n) log::error("%u of %u CPUs listed by ACPI are ready", ready, n);

  if (g_options.selftest_exception) {
    log::info("selftest exception: raising #UD in hv; the panic below is expected");
    asm volatile("ud2");
  }
  if (g_options.selftest) run_selftest(*bsp);
  launch_root(*bsp, x2apic);
}
