// Figures the VMM self-tests compare before and after (rootstock.selftest=partitions,
// hypercall-abuse): the root's free memory as Linux counts it (/proc/meminfo) and hv's frame
// accounting (CHECK_INVARIANTS, docs/hypercalls.md §6), printed so that a failing boot log
// shows the numbers, not only the verdict.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>

#include <rootstock/hypercall_abi.h>

namespace rootstock::selftest {

/// The value in KiB of `key` ("MemFree") in /proc/meminfo-formatted `text` (also
/// /proc/PID/status's "RssAnon" and the like: the same "Key: N kB" lines).
[[nodiscard]] std::optional<uint64_t> meminfo_kib(std::string_view text, std::string_view key);

/// Free memory of the running kernel in KiB: MemFree plus the free pages on per-CPU lists,
/// after dropping clean caches so that the figure moves only with allocations (0 if
/// /proc/meminfo cannot be read).
[[nodiscard]] uint64_t free_kib();

/// KiB of free pages waiting on the kernel's per-CPU lists (part of free_kib()).
[[nodiscard]] uint64_t per_cpu_list_kib();

/// Pages pinned for long-term use (FOLL_PIN) and not yet released, from /proc/vmstat
/// (nr_foll_pin_acquired − nr_foll_pin_released): exact where MemFree is noisy. The hvroot
/// driver pins every page of guest memory it maps, so a VMM's pins must all come back.
[[nodiscard]] std::optional<uint64_t> pins_outstanding();

/// "frames: root=… hv_used=… deposited=…/… child=… run_page=… partitions=… vps=…".
[[nodiscard]] std::string frame_counts_text(const rs_hc_invariants_output& counts);

/// Whether the counts of the frames that change owner (root, run page, deposited, child), the
/// total, and the partition and VP counts agree. hv's own frames (HV_FREE/HV_USED) are left out:
/// hiding a deposited frame from the root may split a 2 MiB page of the root's nested tables,
/// and hv keeps that table while any frame of the 2 MiB is deposited (docs/DESIGN.md §2) —
/// growth bounded by the size of RAM, checked by hv_growth_allowed().
[[nodiscard]] bool same_frame_counts(const rs_hc_invariants_output& a,
                                     const rs_hc_invariants_output& b);

/// Whether hv uses no more of its own frames in `after` than in `before` plus one page table
/// per 2 MiB of RAM (the most the root's split tables can take); more is a leak in hv.
[[nodiscard]] bool hv_growth_allowed(const rs_hc_invariants_output& before,
                                     const rs_hc_invariants_output& after);

/// The states whose counts differ, "root 1000->998 child 0->2", or "" if none.
[[nodiscard]] std::string frame_count_changes(const rs_hc_invariants_output& before,
                                              const rs_hc_invariants_output& after);

/// A word for an RS_INVARIANT_* value.
[[nodiscard]] const char* invariant_name(uint32_t invariant);

}  // namespace rootstock::selftest
