// The root partition (DESIGN.md §2–§3): Linux on every CPU in guest mode, owning the hardware.
// Its nested page tables map all of physical memory one to one except hv's own ranges; I/O
// ports, MMIO, interrupts and NMIs pass through. hv intercepts only its hypercall, CPUID, the
// MSRs that would expose or disable SVM, writes to IA32_APIC_BASE (apic_base_policy.hpp), the
// ICR — the x2APIC MSR and the xAPIC page — to emulate INIT and STARTUP (apic_startup.hpp),
// and the ACPI sleep and reset registers (to report its counters before power-off).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/memory_map.hpp>

#include "cpu/per_cpu.hpp"
#include "mm/shared_frames.hpp"
#include "platform/power.hpp"
#include "root/root_loader.hpp"

namespace hv::root {

/// Everything the root partition is built from.
struct RootConfig {
  const rootstock::MemoryRange* map = nullptr;  ///< the root's e820 (root_memory.hpp)
  size_t map_count = 0;
  const rootstock::MemoryRange* hv_ranges = nullptr;  ///< never mapped for the root
  size_t hv_count = 0;
  RootEntry entry;
  PowerControl power;
  uint64_t lapic_base = 0;  ///< the xAPIC page (MADT)
  bool x2apic = false;      ///< the CPUs have x2APIC (the root may turn it on)
  uint16_t reset_port = 0;  ///< the FADT reset register when it is an I/O port (often 0xcf9)
  rootstock::MemoryRange reservation;  ///< hv's reservation, published to the root by CPUID
};

/// Builds the nested page tables and permission maps; nullptr or the reason it failed.
const char* prepare_root(const RootConfig& config, SharedFrames& frames);

/// Runs the root's boot CPU on the calling (boot) CPU. Never returns.
[[noreturn]] void run_root_bsp(PerCpu& cpu);

/// Waits on an AP for the root's INIT and STARTUP to this CPU's APIC ID, then runs the root AP
/// here. Never returns.
[[noreturn]] void run_root_ap(PerCpu& cpu);

}  // namespace hv::root
