// The self-test's expectations: for every exit of the self-test guest (guest.S), whether it is
// the exit the guest's next instruction must cause, with the right details, and what hv does
// in answer. Pure logic over decoded exits, so host unit tests drive it exit by exit.
#pragma once

#include <stdint.h>

#include "vcpu/exit.hpp"

namespace hv::selftest {

/// What the driver must do after one exit.
struct Action {
  enum class Verdict : uint8_t { kContinue, kDone, kFailed };
  Verdict verdict = Verdict::kContinue;
  bool set_rip = false;
  uint64_t rip = 0;
  bool inject_interrupt = false;
  uint8_t interrupt_vector = 0;
  bool inject_exception = false;
  uint8_t exception_vector = 0;
  uint32_t error_code = 0;
  bool map_faulting_page = false;  ///< map a page holding SELFTEST_NPF_PATTERN at the GPA
  const char* failure = nullptr;   ///< what went wrong, when kFailed
};

/// The guest's steps, in the order it performs them.
enum class Step : uint8_t {
  kCpuid,
  kReportCpuid,
  kOut,
  kIn,
  kReportIn,
  kRdmsr,
  kWrmsr,
  kHlt,
  kNestedFault,
  kReportNestedFault,
  kReadyInterrupt,
  kGotInterrupt,
  kReadyException,
  kGotException,
  kDone,
  kFinished,  ///< past the end: every further exit is a failure
};

/// The name of a step, for the console.
const char* step_name(Step step);

/// Walks the guest's script one exit at a time.
class Script {
 public:
  /// Judges one exit. `regs` may be changed (results of CPUID, IN, RDMSR); `rip` is the
  /// guest's RIP at the exit.
  Action on_exit(const VcpuExit& exit, GuestRegisters& regs, uint64_t rip);

  [[nodiscard]] Step step() const { return step_; }
  [[nodiscard]] unsigned passed() const { return passed_; }

 private:
  Action pass(Action a);
  Action fail(const char* why);

  Step step_ = Step::kCpuid;
  unsigned passed_ = 0;
};

}  // namespace hv::selftest
