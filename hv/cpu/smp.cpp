#include "cpu/smp.hpp"

#include "arch/x86/boot_layout.h"
#include "arch/x86/lapic.hpp"
#include "arch/x86/pit_tsc.hpp"
#include "console/log.hpp"

extern "C" {
extern const char hv_trampoline_start[];
extern const char hv_trampoline_end[];
extern char hv_trampoline_params[];
void* memcpy(void* dst, const void* src, size_t n);
[[noreturn]] void hv_ap_entry(uint32_t index);
}

namespace hv {
namespace {

/// The trampoline's parameter block (trampoline.S), as the AP reads it.
struct TrampolineParams {
  uint32_t cr3;
  uint32_t cpu_index;
  uint64_t stack_top;
  uint64_t entry;
};
static_assert(sizeof(TrampolineParams) == 24);

constexpr uint64_t kStackBytes = 16 * 1024;
constexpr uint64_t kEmergencyStackBytes = 4 * 1024;
constexpr uint64_t kPageBytes = 4096;
// Intel SDM 8.4.4.1: INIT, wait 10 ms, STARTUP, wait 200 us, STARTUP again.
constexpr uint64_t kInitDelayUs = 10000;
constexpr uint64_t kStartupDelayUs = 200;
// How long an AP may take to reach hv's code after its last STARTUP. Generous: under full
// emulation a vCPU thread can be descheduled for a long time.
constexpr uint64_t kOnlineTimeoutUs = 2000000;
constexpr uint64_t kPollUs = 100;

PerCpu* g_cpus[kMaxCpus];
uint32_t g_count = 0;
void (*g_ap_main)(PerCpu&) = nullptr;

bool wait_online(const PerCpu& cpu, uint64_t timeout_us) {
  for (uint64_t waited = 0; waited < timeout_us; waited += kPollUs) {
    if (cpu.online != 0) return true;
    x86::delay_us(kPollUs);
  }
  return cpu.online != 0;
}

bool start_one(PerCpu& cpu, uint64_t cr3) {
  auto* params = reinterpret_cast<volatile TrampolineParams*>(
      TRAMPOLINE_BASE + (hv_trampoline_params - hv_trampoline_start));
  params->cr3 = static_cast<uint32_t>(cr3);
  params->cpu_index = cpu.index;
  params->stack_top = cpu.stack_top;
  params->entry = reinterpret_cast<uintptr_t>(&hv_ap_entry);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);

  using namespace x86::icr;
  if (!x86::LocalApic::send_ipi(cpu.apic_id, kDeliveryInit | kLevelAssert | kTriggerLevel)) {
    log::warn("cpu %u (APIC ID %u): INIT was not accepted", cpu.index, cpu.apic_id);
    return false;
  }
  x86::delay_us(kInitDelayUs);
  for (int attempt = 0; attempt < 2 && cpu.online == 0; ++attempt) {
    if (!x86::LocalApic::send_ipi(cpu.apic_id,
                                  kDeliveryStartup | kLevelAssert | TRAMPOLINE_SIPI_VECTOR)) {
      log::warn("cpu %u (APIC ID %u): STARTUP was not accepted", cpu.index, cpu.apic_id);
      return false;
    }
    x86::delay_us(kStartupDelayUs);
  }
  return wait_online(cpu, kOnlineTimeoutUs);
}

}  // namespace

PerCpu* create_per_cpu(BootArena& arena, uint32_t index, uint32_t apic_id) {
  uint64_t pa = 0;
  auto* cpu = static_cast<PerCpu*>(arena.allocate_pages(sizeof(PerCpu), pa));
  void* stack = arena.allocate_pages(kStackBytes, pa);
  void* emergency = arena.allocate_pages(kEmergencyStackBytes, pa);
  uint64_t host_save_pa = 0, host_vmcb_pa = 0;
  void* host_save = arena.allocate_pages(kPageBytes, host_save_pa);
  void* host_vmcb = arena.allocate_pages(kPageBytes, host_vmcb_pa);
  if (cpu == nullptr || stack == nullptr || emergency == nullptr || host_save == nullptr ||
      host_vmcb == nullptr) {
    return nullptr;
  }
  cpu->host_save_pa = host_save_pa;
  cpu->host_vmcb_pa = host_vmcb_pa;
  cpu->index = index;
  cpu->apic_id = apic_id;
  cpu->stack_top = reinterpret_cast<uintptr_t>(stack) + kStackBytes;
  cpu->emergency_top = reinterpret_cast<uintptr_t>(emergency) + kEmergencyStackBytes;
  return cpu;
}

PerCpu* cpu(uint32_t index) {
  return index < g_count ? g_cpus[index] : nullptr;
}
uint32_t cpu_count() {
  return g_count;
}

void register_bsp(PerCpu* bsp) {
  g_cpus[0] = bsp;
  g_count = 1;
}

uint32_t start_aps(const ApStartup& s, BootArena& arena, void (*ap_main)(PerCpu&)) {
  g_ap_main = ap_main;
  memcpy(reinterpret_cast<void*>(TRAMPOLINE_BASE), hv_trampoline_start,
         static_cast<size_t>(hv_trampoline_end - hv_trampoline_start));
  for (uint32_t i = 0; i < s.count && g_count < kMaxCpus; ++i) {
    if (s.apic_ids[i] == s.bsp_apic_id) continue;
    PerCpu* c = create_per_cpu(arena, g_count, s.apic_ids[i]);
    if (c == nullptr) {
      log::error("out of hv memory for cpu %u's state; not starting it or any after it", g_count);
      break;
    }
    g_cpus[g_count] = c;
    if (start_one(*c, s.page_table_root)) {
      ++g_count;
    } else {
      log::error("cpu %u (APIC ID %u) did not come online; continuing without it", c->index,
                 c->apic_id);
      g_cpus[g_count] = nullptr;
    }
  }
  return g_count;
}

}  // namespace hv

// The AP's first C++ code, reached from the trampoline on its own stack.
extern "C" [[noreturn]] void hv_ap_entry(uint32_t index) {
  hv::PerCpu& cpu = *hv::g_cpus[index];
  hv::install_per_cpu(cpu);
  cpu.firmware_apic_base = hv::x86::LocalApic::enable_this_cpu();
  __atomic_store_n(&cpu.online, 1u, __ATOMIC_RELEASE);
  hv::g_ap_main(cpu);
  for (;;) {
    asm volatile("cli; hlt");
  }
}
