// What hv does on each exit of a root vCPU (the intercepts root_partition.hpp lists), and the
// root partition's shared state.
#pragma once

#include <stdint.h>

#include "arch/x86/cpuid.hpp"
#include "arch/x86/svm/svm_vcpu.hpp"
#include "cpu/per_cpu.hpp"
#include "lib/spinlock.hpp"
#include "mm/page_table.hpp"
#include "mm/shared_frames.hpp"
#include "root/apic_startup.hpp"
#include "root/root_partition.hpp"
#include "vcpu/exit.hpp"

namespace hv::root {

// Control-register and flag bits the entry states use (AMD APM vol. 2, 3.1).
inline constexpr uint64_t kCr0Pe = 1ull << 0;
inline constexpr uint64_t kCr0Et = 1ull << 4;
inline constexpr uint64_t kCr0Ne = 1ull << 5;
inline constexpr uint64_t kCr0Pg = 1ull << 31;
inline constexpr uint64_t kCr4Pae = 1ull << 5;
inline constexpr uint64_t kRflagsReserved = 1ull << 1;
/// SVM_KEY (APM vol. 2, 15.31): one of the MSRs that control SVM itself.
inline constexpr uint32_t kMsrSvmKey = 0xc0010118;
/// Number of ExitKind values, for the counters.
inline constexpr unsigned kExitKinds = static_cast<unsigned>(ExitKind::kUnhandled) + 1;

/// The root partition, shared by every CPU that runs one of its vCPUs.
struct RootState {
  RootConfig config;
  SharedFrames* frames = nullptr;
  uint64_t iopm_pa = 0;
  uint64_t msrpm_pa = 0;
  uint64_t void_page = 0;         ///< all ones, mapped read-only where the root touches hv memory
  uint64_t mapped_top = 0;        ///< [0, mapped_top) was mapped at start; above, on first touch
  bool every_ap_started = false;  ///< for the log: the root's boot has started every AP
  Spinlock npt_lock;
  ApStartState ap_state[kMaxCpus];
  uint64_t exits[kMaxCpus][kExitKinds] = {};  ///< per CPU, written only by that CPU
  uint64_t protection_faults = 0;
  uint64_t refused_apic_base_writes = 0;
  uint64_t canary_page = 0;  ///< a page of hv's memory holding kCanaryPattern
};

/// What hv keeps in its canary page, every 64-bit word.
inline constexpr uint64_t kCanaryPattern = 0x5a17c0de5a17c0deull;
/// Whether the canary page still holds the pattern in every word.
bool canary_intact();

RootState& state();

/// Maps [gpa, gpa + length) to [pa, ...) in the root's nested tables.
PagingStatus map_for_root(uint64_t gpa, uint64_t pa, uint64_t length, bool writable);
/// Removes [gpa, gpa + length) from the root's nested tables; false when hv ran out of memory
/// for a split (nothing changed). The caller flushes the TLBs.
bool unmap_for_root(uint64_t gpa, uint64_t length);
/// Maps the frame `pa` back into the root's nested tables (one to one, writable) after it was
/// hidden by unmap_for_root(); merges its 2 MiB span back into one page when it is whole
/// again. Needs no frame of hv's: false only for a frame that was never mapped.
bool show_to_root(uint64_t pa);
/// What the root's nested tables map at `gpa` now.
Translation root_translation(uint64_t gpa);
/// The CPUID the root and the children see for a leaf outside hv's own: SVM and VMX hidden,
/// the hypervisor bit set (docs/hypercalls.md §1).
x86::CpuidResult guest_cpuid(uint32_t leaf, uint32_t subleaf);
/// Whether the range touches hv's memory.
bool in_hv_range(uint64_t gpa, uint64_t length);
/// The root sent this CPU an INIT (apic_startup.hpp): a child's VP_RUN on it returns to the
/// root at once, which then waits for its STARTUP.
bool root_init_pending(const PerCpu& cpu);
/// A CPU's state after INIT and STARTUP with `vector`: real mode at vector:0000.
GuestState real_mode_start(uint8_t vector);

/// Runs a root vCPU on the calling CPU for good, handling its exits.
[[noreturn]] void run_root_vcpu(PerCpu& cpu, svm::SvmVcpu& vcpu);

}  // namespace hv::root
