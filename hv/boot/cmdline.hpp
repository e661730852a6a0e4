// hv's boot command line (DESIGN.md §7): hv consumes the `hv.*` options and keeps every other
// argument, in order, for the root kernel (`rootstock.*` options thus reach PID 1).
//
//   hv.console=com1..com4 | 0xPORT | none   serial log port (default com1)
//   hv.reserve=SIZE[K|M|G]                  memory hv carves out for itself (default 64M;
//                                           a multiple of 2M, 16M..4G)
//   hv.selftest[=guest,exception]           run hv's built-in self-tests: guest (the default)
//                                           runs the self-test guest on every CPU; exception
//                                           raises #UD in hv to show the panic path
//   hv.loglevel=error|warn|info|debug       (default info)
//   hv.debug_exit=0xPORT                    QEMU's isa-debug-exit port: at power-off hv writes
//                                           its result there (0 passed, 1 failed, 2 cannot run)
//                                           before trying ACPI
//   hv.pause_exits=auto|all|none            when a child's spinning vCPU leaves the guest so
//                                           that the root can run the sibling it waits for
//                                           (vcpu/pause_exits.hpp; default auto: PAUSE loops,
//                                           where the CPU has a pause filter)
//
// Arguments are separated by white space outside double quotes; quotes are kept as written in
// the root's part. A value may be quoted (hv.loglevel="debug"). After a `--` argument nothing
// is consumed: the rest belongs to the root kernel and its init, as in Linux.
//
// A bad value or an unknown hv.* option never fails the parse: it is recorded as a problem
// (reported once the console is up) and the option keeps its previous value. When an option is
// given twice, the last valid value wins.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/boot/boot_info.hpp>
#include <rootstock/text.hpp>

#include "console/log.hpp"
#include "console/uart16550.hpp"
#include "vcpu/pause_exits.hpp"

namespace hv {

/// Longest root command line kept: the boot command line's own bound.
inline constexpr size_t kMaxRootCmdline = rootstock::boot::kMaxCmdline;
/// Most problems kept; more are counted.
inline constexpr size_t kMaxOptionProblems = 8;
/// Longest argument text kept in a problem; longer ones are cut and end in "...".
inline constexpr size_t kMaxProblemText = 63;

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kDefaultReserve = 64 * kMiB;
inline constexpr uint64_t kMinReserve = 16 * kMiB;
inline constexpr uint64_t kMaxReserve = 4096 * kMiB;
/// hv maps its pool with 2 MiB pages.
inline constexpr uint64_t kReserveAlignment = 2 * kMiB;

/// One argument hv could not use, and why.
struct OptionProblem {
  char option[kMaxProblemText + 1] = {};  ///< the argument as written (NUL-terminated)
  const char* reason = "";                ///< static text, e.g. "unknown hv option"
};

/// What hv takes from its command line, and the rest for the root.
struct HvOptions {
  bool console_enabled = true;
  uint16_t console_port = Uart16550::kCom1;
  uint64_t reserve_bytes = kDefaultReserve;
  bool selftest = false;            ///< the guest self-test on every CPU
  bool selftest_exception = false;  ///< a deliberate #UD in hv: the panic path, shown
  log::Level log_level = log::Level::kInfo;
  uint16_t debug_exit_port = 0;  ///< 0: none
  PauseExitMode pause_exits = PauseExitMode::kAuto;

  char root_cmdline_storage[kMaxRootCmdline + 1] = {};
  size_t root_cmdline_length = 0;

  OptionProblem problems[kMaxOptionProblems] = {};
  size_t problem_count = 0;
  /// Problems beyond kMaxOptionProblems, not kept.
  size_t problems_dropped = 0;

  /// The arguments that are not hv's, space-separated, NUL-terminated in this struct.
  [[nodiscard]] rootstock::Text root_cmdline() const {
    return {root_cmdline_storage, root_cmdline_length};
  }
};

/// Parses `cmdline` into `out`, which starts from the defaults. Never fails; see problems.
void parse_cmdline(rootstock::Text cmdline, HvOptions& out);

}  // namespace hv
