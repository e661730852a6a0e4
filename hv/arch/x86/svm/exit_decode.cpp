#include "arch/x86/svm/exit_decode.hpp"

namespace hv::svm {
namespace {

// IOIO EXITINFO1 (APM vol. 2, 15.10.2, figure 15-2).
constexpr uint64_t kIoTypeIn = 1ull << 0;
constexpr uint64_t kIoString = 1ull << 2;
constexpr uint64_t kIoRep = 1ull << 3;
constexpr uint64_t kIoSize8 = 1ull << 4;
constexpr uint64_t kIoSize16 = 1ull << 5;
constexpr uint64_t kIoSize32 = 1ull << 6;
constexpr unsigned kIoPortShift = 16;

// NPF EXITINFO1: a #PF-style error code (APM vol. 2, 15.25.6).
constexpr uint64_t kNpfPresent = 1ull << 0;
constexpr uint64_t kNpfWrite = 1ull << 1;
constexpr uint64_t kNpfFetch = 1ull << 4;

// EXITINTINFO (APM vol. 2, 15.7.2): same layout as EVENTINJ; bit 31 valid.
constexpr uint64_t kIntInfoValid = 1ull << 31;

constexpr uint64_t kVectorCount = 32;
constexpr uint8_t kVectorPageFault = 14;

}  // namespace

VcpuExit decode_exit(const ExitRecord& r) {
  VcpuExit e;
  e.raw_code = r.exit_code;
  e.pending_event = (r.exit_int_info & kIntInfoValid) != 0 ? r.exit_int_info : 0;
  const auto code = static_cast<ExitCode>(r.exit_code);
  const uint64_t exc_base = static_cast<uint64_t>(ExitCode::kExceptionBase);
  if (r.exit_code >= exc_base && r.exit_code < exc_base + kVectorCount) {
    e.kind = ExitKind::kException;
    e.exception.vector = static_cast<uint8_t>(r.exit_code - exc_base);
    e.exception.error_code = static_cast<uint32_t>(r.exit_info1);
    if (e.exception.vector == kVectorPageFault) {
      e.exception.fault_address = r.exit_info2;
    }
    return e;
  }
  switch (code) {
    case ExitCode::kIntr:
      e.kind = ExitKind::kExternalInterrupt;
      break;
    case ExitCode::kNmi:
      e.kind = ExitKind::kNmi;
      break;
    case ExitCode::kInit:
      e.kind = ExitKind::kInit;
      break;
    case ExitCode::kVintr:
      e.kind = ExitKind::kInterruptWindow;
      break;
    case ExitCode::kCpuid:
      e.kind = ExitKind::kCpuid;
      break;
    case ExitCode::kHlt:
      e.kind = ExitKind::kHlt;
      break;
    case ExitCode::kPause:
      e.kind = ExitKind::kPause;
      break;
    case ExitCode::kIoio: {
      e.kind = ExitKind::kIo;
      const uint64_t info = r.exit_info1;
      e.io.port = static_cast<uint16_t>(info >> kIoPortShift);
      e.io.in = (info & kIoTypeIn) != 0;
      e.io.string = (info & kIoString) != 0;
      e.io.rep = (info & kIoRep) != 0;
      e.io.size = (info & kIoSize32) != 0   ? 4
                  : (info & kIoSize16) != 0 ? 2
                  : (info & kIoSize8) != 0  ? 1
                                            : 0;
      e.io.next_rip = r.exit_info2;
      if (e.io.size == 0) {
        e.kind = ExitKind::kUnhandled;  // no size bit: not an encoding the APM defines
      }
      break;
    }
    case ExitCode::kMsr:
      e.kind = r.exit_info1 == 0 ? ExitKind::kMsrRead : ExitKind::kMsrWrite;
      if (r.exit_info1 > 1) {
        e.kind = ExitKind::kUnhandled;
      }
      break;
    case ExitCode::kShutdown:
      e.kind = ExitKind::kShutdown;
      break;
    case ExitCode::kVmmcall:
      e.kind = ExitKind::kHypercall;
      break;
    case ExitCode::kNpf:
      e.kind = ExitKind::kNestedPageFault;
      e.npf.gpa = r.exit_info2;
      e.npf.present = (r.exit_info1 & kNpfPresent) != 0;
      e.npf.write = (r.exit_info1 & kNpfWrite) != 0;
      e.npf.execute = (r.exit_info1 & kNpfFetch) != 0;
      break;
    case ExitCode::kInvalid:
      e.kind = ExitKind::kInvalidState;
      break;
    default:
      e.kind = ExitKind::kUnhandled;
      break;
  }
  return e;
}

}  // namespace hv::svm
