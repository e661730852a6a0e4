// hv's self-test script: the guest's exits in order pass, and each kind of wrong exit fails
// with the step it happened at.
#include <catch2/catch_test_macros.hpp>
#include <string>

#include "selftest/guest_abi.h"
#include "selftest/script.hpp"

using namespace hv;
using namespace hv::selftest;

namespace {

VcpuExit exit_of(ExitKind k) {
  VcpuExit e;
  e.kind = k;
  return e;
}

VcpuExit io(uint16_t port, uint8_t size, bool in, uint64_t next) {
  VcpuExit e = exit_of(ExitKind::kIo);
  e.io.port = port;
  e.io.size = size;
  e.io.in = in;
  e.io.next_rip = next;
  return e;
}

// Plays the guest of guest.S against the script; returns the script's last action.
struct Guest {
  Script script;
  GuestRegisters regs{};
  uint64_t rip = 0x1000;

  Action step(const VcpuExit& e) {
    const Action a = script.on_exit(e, regs, rip);
    if (a.set_rip) rip = a.rip;
    return a;
  }
  Action report(uint32_t code, uint64_t value) {
    regs.rax = code;
    regs.rbx = value;
    return step(exit_of(ExitKind::kHypercall));
  }
};

}  // namespace

TEST_CASE("selftest script passes the guest's exits in order", "[hv][selftest]") {
  Guest g;
  g.regs.rax = SELFTEST_CPUID_LEAF;
  Action a = g.step(exit_of(ExitKind::kCpuid));
  REQUIRE(a.verdict == Action::Verdict::kContinue);
  CHECK(g.regs.rbx == SELFTEST_SIG_EBX);
  CHECK(g.rip == 0x1002);
  CHECK(g.report(REPORT_CPUID, 1).verdict == Action::Verdict::kContinue);
  g.regs.rax = SELFTEST_OUT_VALUE;
  CHECK(g.step(io(SELFTEST_PORT, 1, false, 0x105d)).verdict == Action::Verdict::kContinue);
  CHECK(g.rip == 0x105d);
  CHECK(g.step(io(SELFTEST_PORT, 4, true, 0x1062)).verdict == Action::Verdict::kContinue);
  CHECK((g.regs.rax & 0xffffffff) == SELFTEST_IN_VALUE);
  CHECK(g.report(REPORT_IN, SELFTEST_IN_VALUE).verdict == Action::Verdict::kContinue);
  g.regs.rcx = SELFTEST_MSR;
  CHECK(g.step(exit_of(ExitKind::kMsrRead)).verdict == Action::Verdict::kContinue);
  g.regs.rax = ~g.regs.rax & 0xffffffff;
  g.regs.rdx = ~g.regs.rdx & 0xffffffff;
  CHECK(g.step(exit_of(ExitKind::kMsrWrite)).verdict == Action::Verdict::kContinue);
  CHECK(g.step(exit_of(ExitKind::kHlt)).verdict == Action::Verdict::kContinue);
  VcpuExit npf = exit_of(ExitKind::kNestedPageFault);
  npf.npf.gpa = SELFTEST_UNMAPPED_GPA;
  a = g.step(npf);
  CHECK(a.map_faulting_page);
  CHECK_FALSE(a.set_rip);  // the guest retries the read
  CHECK(g.report(REPORT_NPF, SELFTEST_NPF_PATTERN).verdict == Action::Verdict::kContinue);
  a = g.report(REPORT_READY_INTERRUPT, 0);
  CHECK(a.inject_interrupt);
  CHECK(a.interrupt_vector == SELFTEST_INTERRUPT_VECTOR);
  CHECK(g.report(REPORT_GOT_INTERRUPT, SELFTEST_INTERRUPT_VECTOR).verdict ==
        Action::Verdict::kContinue);
  a = g.report(REPORT_READY_EXCEPTION, 0);
  CHECK(a.inject_exception);
  CHECK(a.error_code == SELFTEST_EXCEPTION_ERROR);
  CHECK(g.report(REPORT_GOT_EXCEPTION, SELFTEST_EXCEPTION_ERROR).verdict ==
        Action::Verdict::kContinue);
  CHECK(g.report(REPORT_DONE, 0).verdict == Action::Verdict::kDone);
  CHECK(g.script.passed() == 15);
  // Anything after the end is a failure.
  CHECK(g.report(REPORT_DONE, 0).verdict == Action::Verdict::kFailed);
}

TEST_CASE("selftest script fails on the wrong exit or wrong details", "[hv][selftest]") {
  {
    Guest g;
    const Action a = g.step(exit_of(ExitKind::kHlt));
    CHECK(a.verdict == Action::Verdict::kFailed);
    CHECK(std::string(a.failure).find("CPUID") != std::string::npos);
    CHECK(g.script.step() == Step::kCpuid);
  }
  {
    Guest g;
    g.regs.rax = 0;  // wrong leaf
    CHECK(g.step(exit_of(ExitKind::kCpuid)).verdict == Action::Verdict::kFailed);
  }
  {
    Guest g;
    g.regs.rax = SELFTEST_CPUID_LEAF;
    (void)g.step(exit_of(ExitKind::kCpuid));
    CHECK(g.report(REPORT_CPUID, 0).verdict == Action::Verdict::kFailed);  // signature missed
  }
  {
    Guest g;
    g.regs.rax = SELFTEST_CPUID_LEAF;
    (void)g.step(exit_of(ExitKind::kCpuid));
    (void)g.report(REPORT_CPUID, 1);
    g.regs.rax = SELFTEST_OUT_VALUE;
    CHECK(g.step(io(SELFTEST_PORT + 1, 1, false, 0)).verdict == Action::Verdict::kFailed);
  }
  {
    Guest g;
    CHECK(g.step(exit_of(ExitKind::kShutdown)).verdict == Action::Verdict::kFailed);
  }
}
