// Starting the application processors: INIT-SIPI-SIPI with the waits the MP initialization
// protocol asks for (Intel SDM vol. 3A, 8.4.4.1; AMD APM vol. 2, 15.27.8 for the AMD side),
// through a real-mode trampoline below 1 MiB (arch/x86/trampoline.S).
#pragma once

#include <stdint.h>

#include "cpu/per_cpu.hpp"
#include "mm/boot_arena.hpp"

namespace hv {

/// Allocates a CPU's PerCpu and its stacks from the arena; nullptr when memory ran out.
PerCpu* create_per_cpu(BootArena& arena, uint32_t index, uint32_t apic_id);

/// What start_aps() needs.
struct ApStartup {
  const uint32_t* apic_ids;  ///< every usable CPU's APIC ID, the BSP's included
  uint32_t count;
  uint32_t bsp_apic_id;
  uint64_t page_table_root;  ///< CR3 the APs use to reach long mode (below 4 GiB)
};

/// Every CPU's PerCpu, by index; entries past cpu_count() are null.
PerCpu* cpu(uint32_t index);
uint32_t cpu_count();
/// Registers the BSP as CPU 0.
void register_bsp(PerCpu* bsp);

/// Starts every AP in `startup` one after the other; each runs `ap_main` on its own stack
/// after installing its PerCpu. APs that do not come online within the timeout are reported
/// and left out. Returns the number of CPUs online, the BSP included.
uint32_t start_aps(const ApStartup& startup, BootArena& arena, void (*ap_main)(PerCpu&));

}  // namespace hv
