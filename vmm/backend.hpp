// The VMM's seam to hv (STYLE.md "Hardware as types", Cloud Hypervisor's hypervisor crate): the
// hvroot driver's ioctls (drivers/hvroot/uapi/hvroot.h) as three small interfaces, one per kind
// of file descriptor the driver hands out: /dev/hvroot, a partition, a VP. HvrootBackend
// (hvroot_backend.hpp) makes the real calls; FakeBackend (tests/fakes/fake_backend.hpp) lets unit
// tests script what hv would answer.
//
// Lifetimes follow the driver's: destroying a PartitionBackend closes the partition's fd, and
// the driver destroys the partition (every frame back to Linux) once its VPs' fds are closed
// too. A VpBackend's run page stays valid for as long as that object lives.
#pragma once

#include <stdint.h>

#include <memory>
#include <span>

#include <hvroot.h>
#include <rootstock/hypercall_abi.h>

#include "vmm/error.hpp"

namespace rootstock::vmm {

/// How HVROOT_RUN_VP returned.
enum class RunStatus : uint8_t {
  kExit,         ///< an exit the VMM must handle is in the run page
  kInterrupted,  ///< a signal interrupted the call (-EINTR); the run page says RS_EXIT_NONE
};

/// One VP of a partition (a VP fd and its mmap'ed run page).
class VpBackend {
 public:
  virtual ~VpBackend() = default;
  /// The VP index it was created with.
  [[nodiscard]] virtual uint32_t index() const = 0;
  /// The run page shared with hv (docs/hypercalls.md §7), valid while this object lives.
  [[nodiscard]] virtual rs_run_page& run_page() = 0;
  /// HVROOT_RUN_VP: applies the completion in the run page, runs the VP until the next exit.
  [[nodiscard]] virtual Result<RunStatus> run() = 0;
  /// Whether run() sleeps through halts in the driver (HVROOT_RUN_HALT_IN_KERNEL: a VP with
  /// an interrupt controller) or returns them (RS_EXIT_HALT: a VP whose halt means "done").
  virtual void set_halt_in_kernel(bool on) = 0;
  /// HVROOT_GET_REGISTERS: values[i] receives register names[i] (1 to 128 names).
  [[nodiscard]] virtual Result<void> get_registers(std::span<const uint32_t> names,
                                                   std::span<rs_hc_register_value> values) = 0;
  /// HVROOT_SET_REGISTERS: register names[i] becomes values[i], in order (1 to 128 names).
  [[nodiscard]] virtual Result<void> set_registers(
      std::span<const uint32_t> names, std::span<const rs_hc_register_value> values) = 0;
  /// HVROOT_INJECT: an RS_EVENT_* word (VP_INJECT).
  [[nodiscard]] virtual Result<void> inject(uint64_t event) = 0;
};

/// One child partition (a partition fd).
class PartitionBackend {
 public:
  virtual ~PartitionBackend() = default;
  /// HVROOT_MAP_MEMORY: `host` (page-aligned, a 4 KiB multiple) becomes guest-physical
  /// [gpa, gpa + host.size()) with `flags` (RS_ACCESS_*, RS_MAP_LARGE).
  [[nodiscard]] virtual Result<void> map_memory(uint64_t gpa, std::span<uint8_t> host,
                                                uint32_t flags) = 0;
  /// HVROOT_UNMAP_MEMORY: removes the region mapped at exactly [gpa, gpa + size).
  [[nodiscard]] virtual Result<void> unmap_memory(uint64_t gpa, uint64_t size) = 0;
  /// HVROOT_CREATE_VP: the VP `index` in its RESET state, with its run page mapped.
  [[nodiscard]] virtual Result<std::unique_ptr<VpBackend>> create_vp(uint32_t index) = 0;
  /// HVROOT_QUERY_PARTITION (PARTITION_QUERY): hv's id and counters for this partition.
  [[nodiscard]] virtual Result<hvroot_partition_info> query() = 0;
  /// HVROOT_INTERRUPT (PARTITION_INTERRUPT): `flags` RS_INTERRUPT_* with `argument` the GSI,
  /// or the MSI address (bits 31:0) and data (63:32).
  [[nodiscard]] virtual Result<void> interrupt(uint32_t flags, uint64_t argument) = 0;
  /// HVROOT_DOORBELL (PARTITION_DOORBELL with an eventfd): adds or removes one doorbell;
  /// `arg.hv_status` gets hv's refusal.
  [[nodiscard]] virtual Result<void> doorbell(hvroot_doorbell& arg) = 0;
};

/// The driver itself (/dev/hvroot).
class Backend {
 public:
  virtual ~Backend() = default;
  /// HVROOT_GET_VERSION: hv's ABI version and limits.
  [[nodiscard]] virtual Result<hvroot_version> version() = 0;
  /// HVROOT_CREATE_PARTITION: a new, empty child partition.
  [[nodiscard]] virtual Result<std::unique_ptr<PartitionBackend>> create_partition() = 0;
  /// HVROOT_CHECK_INVARIANTS: hv's frame counts and the first broken invariant (slow: for
  /// self-tests, never on a production path).
  [[nodiscard]] virtual Result<rs_hc_invariants_output> check_invariants() = 0;
  /// HVROOT_RAW_HYPERCALL: one hypercall exactly as given; `call` receives the result word and
  /// the argument registers after the call. Fails with EPERM unless the module allows it.
  [[nodiscard]] virtual Result<void> raw_hypercall(hvroot_raw_hypercall& call) = 0;
};

}  // namespace rootstock::vmm
