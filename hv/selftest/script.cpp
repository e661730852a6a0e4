#include "selftest/script.hpp"

#include "selftest/guest_abi.h"

namespace hv::selftest {
namespace {

// Instruction lengths in guest.S, for CPUs without next-RIP saving (NRIPS, absent under TCG):
// the guest's encodings are fixed, so hv knows them (AMD APM vol. 3, opcode map).
constexpr uint64_t kLenCpuid = 2;    // 0F A2
constexpr uint64_t kLenVmmcall = 3;  // 0F 01 D9
constexpr uint64_t kLenMsr = 2;      // 0F 32 / 0F 30
constexpr uint64_t kLenHlt = 1;      // F4
constexpr uint64_t kLow32 = 0xffffffffull;

Action advance(uint64_t rip, uint64_t len) {
  Action a;
  a.set_rip = true;
  a.rip = rip + len;
  return a;
}

bool is_report(const VcpuExit& e, const GuestRegisters& r, uint32_t code) {
  return e.kind == ExitKind::kHypercall && (r.rax & kLow32) == code;
}

}  // namespace

const char* step_name(Step step) {
  switch (step) {
    case Step::kCpuid:
      return "cpuid";
    case Step::kReportCpuid:
      return "cpuid-result";
    case Step::kOut:
      return "io-out";
    case Step::kIn:
      return "io-in";
    case Step::kReportIn:
      return "io-in-result";
    case Step::kRdmsr:
      return "rdmsr";
    case Step::kWrmsr:
      return "wrmsr";
    case Step::kHlt:
      return "hlt";
    case Step::kNestedFault:
      return "npt-fault";
    case Step::kReportNestedFault:
      return "npt-fault-result";
    case Step::kReadyInterrupt:
      return "interrupt-ready";
    case Step::kGotInterrupt:
      return "interrupt-delivered";
    case Step::kReadyException:
      return "exception-ready";
    case Step::kGotException:
      return "exception-delivered";
    case Step::kDone:
      return "done";
    case Step::kFinished:
      return "finished";
  }
  return "?";
}

Action Script::pass(Action a) {
  ++passed_;
  step_ = static_cast<Step>(static_cast<uint8_t>(step_) + 1);
  if (step_ == Step::kFinished) {
    a.verdict = Action::Verdict::kDone;
  }
  return a;
}

Action Script::fail(const char* why) {
  Action a;
  a.verdict = Action::Verdict::kFailed;
  a.failure = why;
  return a;
}

Action Script::on_exit(const VcpuExit& e, GuestRegisters& r, uint64_t rip) {
  switch (step_) {
    case Step::kCpuid:
      if (e.kind != ExitKind::kCpuid) return fail("expected a CPUID exit");
      if ((r.rax & kLow32) != SELFTEST_CPUID_LEAF) return fail("CPUID exit with the wrong leaf");
      r.rax = SELFTEST_CPUID_LEAF;
      r.rbx = SELFTEST_SIG_EBX;
      r.rcx = SELFTEST_SIG_ECX;
      r.rdx = SELFTEST_SIG_EDX;
      return pass(advance(rip, kLenCpuid));
    case Step::kReportCpuid:
      if (!is_report(e, r, REPORT_CPUID)) return fail("expected the CPUID report hypercall");
      if (r.rbx != 1) return fail("the guest did not see hv's CPUID signature");
      return pass(advance(rip, kLenVmmcall));
    case Step::kOut:
      if (e.kind != ExitKind::kIo) return fail("expected an I/O exit for OUT");
      if (e.io.port != SELFTEST_PORT || e.io.size != 1 || e.io.in || e.io.string) {
        return fail("OUT exit with the wrong port, size or direction");
      }
      if ((r.rax & 0xff) != SELFTEST_OUT_VALUE) return fail("OUT exit with the wrong value");
      return pass(advance(e.io.next_rip, 0));
    case Step::kIn:
      if (e.kind != ExitKind::kIo) return fail("expected an I/O exit for IN");
      if (e.io.port != SELFTEST_PORT || e.io.size != 4 || !e.io.in || e.io.string) {
        return fail("IN exit with the wrong port, size or direction");
      }
      r.rax = (r.rax & ~kLow32) | SELFTEST_IN_VALUE;
      return pass(advance(e.io.next_rip, 0));
    case Step::kReportIn:
      if (!is_report(e, r, REPORT_IN)) return fail("expected the IN report hypercall");
      if ((r.rbx & kLow32) != SELFTEST_IN_VALUE) return fail("the guest read the wrong IN value");
      return pass(advance(rip, kLenVmmcall));
    case Step::kRdmsr:
      if (e.kind != ExitKind::kMsrRead) return fail("expected an RDMSR exit");
      if ((r.rcx & kLow32) != SELFTEST_MSR) return fail("RDMSR exit for the wrong MSR");
      r.rax = SELFTEST_MSR_VALUE_LO;
      r.rdx = SELFTEST_MSR_VALUE_HI;
      return pass(advance(rip, kLenMsr));
    case Step::kWrmsr:
      if (e.kind != ExitKind::kMsrWrite) return fail("expected a WRMSR exit");
      if ((r.rcx & kLow32) != SELFTEST_MSR) return fail("WRMSR exit for the wrong MSR");
      if ((r.rax & kLow32) != (~uint64_t{SELFTEST_MSR_VALUE_LO} & kLow32) ||
          (r.rdx & kLow32) != (~uint64_t{SELFTEST_MSR_VALUE_HI} & kLow32)) {
        return fail("WRMSR wrote the wrong value");
      }
      return pass(advance(rip, kLenMsr));
    case Step::kHlt:
      if (e.kind != ExitKind::kHlt) return fail("expected a HLT exit");
      return pass(advance(rip, kLenHlt));
    case Step::kNestedFault: {
      if (e.kind != ExitKind::kNestedPageFault) return fail("expected a nested page fault");
      if (e.npf.gpa != SELFTEST_UNMAPPED_GPA || e.npf.present || e.npf.write || e.npf.execute) {
        return fail("nested page fault with the wrong address or access");
      }
      Action a;
      a.map_faulting_page = true;  // the guest retries the read and finds the pattern
      return pass(a);
    }
    case Step::kReportNestedFault:
      if (!is_report(e, r, REPORT_NPF)) return fail("expected the NPT-fault report hypercall");
      if ((r.rbx & kLow32) != SELFTEST_NPF_PATTERN) return fail("the guest read the wrong data");
      return pass(advance(rip, kLenVmmcall));
    case Step::kReadyInterrupt: {
      if (!is_report(e, r, REPORT_READY_INTERRUPT)) return fail("expected interrupt-ready");
      Action a = advance(rip, kLenVmmcall);
      a.inject_interrupt = true;
      a.interrupt_vector = SELFTEST_INTERRUPT_VECTOR;
      return pass(a);
    }
    case Step::kGotInterrupt:
      if (!is_report(e, r, REPORT_GOT_INTERRUPT)) return fail("the interrupt was not delivered");
      if (r.rbx != SELFTEST_INTERRUPT_VECTOR) return fail("interrupt on the wrong vector");
      return pass(advance(rip, kLenVmmcall));
    case Step::kReadyException: {
      if (!is_report(e, r, REPORT_READY_EXCEPTION)) return fail("expected exception-ready");
      Action a = advance(rip, kLenVmmcall);
      a.inject_exception = true;
      a.exception_vector = SELFTEST_EXCEPTION_VECTOR;
      a.error_code = SELFTEST_EXCEPTION_ERROR;
      return pass(a);
    }
    case Step::kGotException:
      if (!is_report(e, r, REPORT_GOT_EXCEPTION)) return fail("the exception was not delivered");
      if ((r.rbx & kLow32) != SELFTEST_EXCEPTION_ERROR) return fail("wrong exception error code");
      return pass(advance(rip, kLenVmmcall));
    case Step::kDone:
      if (!is_report(e, r, REPORT_DONE)) return fail("expected the done hypercall");
      return pass(Action{});
    case Step::kFinished:
      break;
  }
  return fail("an exit after the guest finished");
}

}  // namespace hv::selftest
