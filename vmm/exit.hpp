// The exit hv left in a run page (docs/hypercalls.md §7), decoded once into a plain struct and
// checked (Zircon's IoInfo, STYLE.md "Decode an exit once"): the handlers after it work on
// these structs, never on the shared page's raw fields.
#pragma once

#include <stdint.h>

#include <array>

#include <rootstock/hypercall_abi.h>
#include <rootstock/x86/decoder.hpp>

#include "vmm/error.hpp"

namespace rootstock::vmm {

/// The exit reasons a VMM sees after HVROOT_RUN_VP returned an exit (RS_EXIT_*).
enum class ExitKind : uint8_t {
  kIo,            ///< RS_EXIT_IO: IN or OUT
  kMemory,        ///< RS_EXIT_MEMORY: an access to a GPA not mapped for it (MMIO)
  kHalt,          ///< RS_EXIT_HALT: RIP is already past the HLT
  kShutdown,      ///< RS_EXIT_SHUTDOWN: triple fault; reported again at every VP_RUN
  kHypercall,     ///< RS_EXIT_HYPERCALL: the child executed VMMCALL/VMCALL
  kUnsupported,   ///< RS_EXIT_UNSUPPORTED: an instruction or event hv leaves to the root
  kInvalidState,  ///< RS_EXIT_INVALID_STATE: the CPU refused to enter with the VP's state
  kDoorbell,      ///< RS_EXIT_DOORBELL: a write hv completed for a doorbell hvroot no longer has
};

/// RS_EXIT_IO.
struct IoExit {
  uint16_t port = 0;
  uint8_t size = 0;                ///< 1, 2 or 4
  bool in = false;                 ///< IN; else OUT
  uint32_t data = 0;               ///< OUT: the value written (low `size` bytes)
  uint8_t instruction_length = 0;  ///< never 0: RS_RUN_COMPLETE_ADVANCE needs it
};

/// RS_EXIT_MEMORY.
struct MemoryExit {
  uint64_t gpa = 0;
  uint8_t access = 0;                        ///< one RS_ACCESS_*
  bool mapped = false;                       ///< RS_MEMORY_MAPPED: mapped, but not for this access
  x86::CpuMode mode = x86::CpuMode::k64Bit;  ///< from the run page's cpu_mode
  uint8_t byte_count = 0;                    ///< instruction bytes hv could fetch (0-15)
  std::array<uint8_t, x86::kMaxInstructionLength> bytes{};
};

/// RS_EXIT_DOORBELL (docs/hypercalls.md §11): the write is done, RIP is past it; only the device
/// behind the address is still to hear of it.
struct DoorbellExit {
  uint64_t gpa = 0;
  uint8_t length = 0;  ///< 1, 2, 4 or 8
  uint64_t value = 0;  ///< the low `length` bytes written
};

/// One exit.
struct Exit {
  ExitKind kind = ExitKind::kHalt;
  uint32_t reason = 0;          ///< the raw RS_EXIT_* value
  uint64_t rip = 0;             ///< the child's RIP as hv reported it
  IoExit io;                    ///< kIo
  MemoryExit memory;            ///< kMemory
  DoorbellExit doorbell;        ///< kDoorbell
  rs_exit_hardware hardware{};  ///< kUnsupported, kInvalidState
};

/// The name of an RS_EXIT_* value ("io", "memory", …), "unknown" for others.
[[nodiscard]] const char* exit_name(uint32_t reason);

/// The decoder's mode for a run page's RS_CPU_MODE_* value; an error for values the ABI does
/// not define.
[[nodiscard]] Result<x86::CpuMode> decoder_mode(uint8_t cpu_mode);

/// Decodes and checks the exit in `page`. RS_EXIT_NONE, exit reasons ABI 1.0 does not define
/// and fields outside their documented values are errors: the driver returns from
/// HVROOT_RUN_VP with success only for an exit, and a VMM must not act on a page it cannot read.
[[nodiscard]] Result<Exit> decode_exit(const rs_run_page& page);

}  // namespace rootstock::vmm
