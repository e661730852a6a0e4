#include "vcpu/exit.hpp"

namespace hv {

const char* exit_kind_name(ExitKind kind) {
  switch (kind) {
    case ExitKind::kCpuid:
      return "cpuid";
    case ExitKind::kIo:
      return "io";
    case ExitKind::kMsrRead:
      return "rdmsr";
    case ExitKind::kMsrWrite:
      return "wrmsr";
    case ExitKind::kHypercall:
      return "hypercall";
    case ExitKind::kHlt:
      return "hlt";
    case ExitKind::kPause:
      return "pause";
    case ExitKind::kNestedPageFault:
      return "npf";
    case ExitKind::kException:
      return "exception";
    case ExitKind::kExternalInterrupt:
      return "interrupt";
    case ExitKind::kInterruptWindow:
      return "interrupt-window";
    case ExitKind::kNmi:
      return "nmi";
    case ExitKind::kInit:
      return "init";
    case ExitKind::kShutdown:
      return "shutdown";
    case ExitKind::kInvalidState:
      return "invalid-state";
    case ExitKind::kUnhandled:
      return "unhandled";
  }
  return "?";
}

}  // namespace hv
