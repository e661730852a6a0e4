// The root's hypercalls in hv (docs/hypercalls.md): the frame table over all of RAM, the child
// partitions, hv's Machine (its identity map, the root's nested page tables, NMI shootdowns),
// and the VMMCALL exit that feeds hypercall/dispatch.hpp.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/memory_map.hpp>

#include "arch/x86/svm/svm_child.hpp"
#include "arch/x86/svm/svm_vcpu.hpp"
#include "cpu/per_cpu.hpp"
#include "mm/frame_allocator.hpp"
#include "partition/partitions.hpp"

namespace hv::root {

/// Bytes hv must reserve for the frame table of `map` (whole 2 MiB blocks).
uint64_t frame_table_reservation(const rootstock::MemoryRange* map, size_t map_count);

/// Builds the frame table for the firmware's `map` with `hv_ranges` as hv's, from 2 MiB blocks
/// of `frames`, and the child partitions. nullptr, or why hypercalls stay off (ABI version 0).
const char* init_hypercalls(const rootstock::MemoryRange* map, size_t map_count,
                            const rootstock::MemoryRange* hv_ranges, size_t hv_count,
                            FrameAllocator& frames, const svm::ChildMaps& child_maps);

/// The ABI version CPUID 0x40000001 reports: RS_ABI_VERSION once init_hypercalls() succeeded.
uint32_t hypercall_abi_version();

/// The child partitions (for VP_RUN's reads of child memory).
Partitions& partitions();

/// hv's Machine under the partitions (for kicks from VP_RUN's exit handlers).
Machine& hv_machine();

/// The children's VpArch (for the MSRs a child reads and writes through it).
VpArch& child_arch();

/// The root's VMMCALL at CPL 0 in 64-bit mode: runs the call and advances RIP.
void handle_hypercall(PerCpu& cpu, svm::SvmVcpu& root_vcpu);

}  // namespace hv::root
