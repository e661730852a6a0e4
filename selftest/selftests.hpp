// The bodies of the root's self-tests, one file each; registry.cpp names them. Each checks into
// `result` and may print notes; the registry prints the milestone.
#pragma once

#include "selftest/selftest_context.hpp"
#include "selftest/selftest_result.hpp"

namespace rootstock::selftest {

/// `appliance-cycles`: 50 create/start/stop/delete cycles of a small Linux VM through the
/// appliance's VM manager (most stopped mid-boot, every tenth by its power button), then hv's
/// frame counts, the root's pinned pages and free memory where they started.
void selftest_appliance_cycles(SelftestContext& context, SelftestResult& result);

/// `init`: PID 1's reaping (a burst of children, an orphan), module loading errors and the
/// process-stopping step of shutdown.
void selftest_init(SelftestContext& context, SelftestResult& result);

/// `protection`: run in the root under hv, hv's memory stays unreadable and unwritable, SVM
/// stays hidden and hv's MSRs untouchable.
void selftest_protection(SelftestContext& context, SelftestResult& result);

/// `vm-isolation`: four Linux children boot and power off beside a triple-faulting one, and
/// truncated or empty kernels are refused before any VM exists.
void selftest_vm_isolation(SelftestContext& context, SelftestResult& result);

/// `partitions`: four payload children at once on four threads (ids, MMIO, checksums of
/// 64 MiB), 1000 create/destroy cycles and a killed VMM process, with the root's free memory
/// and hv's frame counts back where they started (needs /dev/hvroot).
void selftest_partitions(SelftestContext& context, SelftestResult& result);

/// `hypercall-abuse`: every validation rule of docs/hypercalls.md and a seeded random stream of
/// 100,000 raw hypercalls, then no invariant violations and the frame counts of the start
/// (needs hvroot loaded with allow_raw_hypercalls=1).
void selftest_hypercall_abuse(SelftestContext& context, SelftestResult& result);

/// `hostile-child`: payload hostile64 probes CR4, RDPMC, SVM instructions, the debug
/// registers, IA32_TSC_AUX, XSETBV, over-long xAPIC stores, a one-tick periodic timer and an
/// IPI flood, twice on one CPU, while a sibling child checksums memory; hv's answers are checked
/// and its invariants hold afterwards.
void selftest_hostile_child(SelftestContext& context, SelftestResult& result);

/// `hostile-root`: the root writes IA32_APIC_BASE, reads and writes deposited frames, races
/// deposits from another CPU, splits hv's nested tables across all of RAM and takes CPUs
/// offline and online; hv's invariants and canary hold after each (needs hvroot loaded with
/// allow_raw_hypercalls=1).
void selftest_hostile_root(SelftestContext& context, SelftestResult& result);

/// `linux-children`: the default child kernel in a 2-vCPU child reaches its init with both
/// CPUs, times `sleep 2`, takes typed input, pauses and resumes, and powers off on the ACPI
/// power button.
void selftest_linux_children(SelftestContext& context, SelftestResult& result);
/// The exits a virtio-blk read and a virtio-net packet cost, with and without doorbells
/// (virtio_exits.cpp).
void selftest_virtio_exits(SelftestContext& context, SelftestResult& result);

/// `vsock-echo`: a Linux child with a vsock device runs vsock-echo; the root connects to its
/// uds_path with CONNECT 5000, reads OK and gets 64 KiB echoed; a CONNECT to a closed port ends
/// without OK; the socket file goes with the VM.
void selftest_vsock_echo(SelftestContext& context, SelftestResult& result);

/// `interrupt-delivery`: a payload child's 250 LAPIC timer interrupts are each delivered once,
/// never while its IF is clear (payload irq64).
void selftest_interrupt_delivery(SelftestContext& context, SelftestResult& result);

}  // namespace rootstock::selftest
