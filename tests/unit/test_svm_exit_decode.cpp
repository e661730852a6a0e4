// SVM exit decoding (AMD APM vol. 2, appendix C and 15.7.2): every field hv relies on comes out
// of the right EXITINFO bits, and codes hv does not know stay "unhandled".
#include <catch2/catch_test_macros.hpp>

#include "arch/x86/svm/exit_decode.hpp"

using hv::ExitKind;
using hv::svm::decode_exit;

TEST_CASE("svm decode: IOIO exits carry port, size, direction and next RIP", "[hv][svm]") {
  // IN DX -> EAX from port 0x99: TYPE=1, SZ32 (bit 6), port in 31:16.
  const auto in = decode_exit({0x7b, (0x99ull << 16) | (1ull << 6) | 1, 0x1062, 0});
  CHECK(in.kind == ExitKind::kIo);
  CHECK(in.io.port == 0x99);
  CHECK(in.io.size == 4);
  CHECK(in.io.in);
  CHECK_FALSE(in.io.string);
  CHECK(in.io.next_rip == 0x1062);
  // REP OUTSW to 0x3f8: STR, REP, SZ16.
  const auto outs =
      decode_exit({0x7b, (0x3f8ull << 16) | (1ull << 5) | (1ull << 3) | (1ull << 2), 0, 0});
  CHECK(outs.io.port == 0x3f8);
  CHECK(outs.io.size == 2);
  CHECK_FALSE(outs.io.in);
  CHECK(outs.io.string);
  CHECK(outs.io.rep);
  // No size bit: not an encoding the APM defines.
  CHECK(decode_exit({0x7b, 0x99ull << 16, 0, 0}).kind == ExitKind::kUnhandled);
}

TEST_CASE("svm decode: MSR exits split into read and write", "[hv][svm]") {
  CHECK(decode_exit({0x7c, 0, 0, 0}).kind == ExitKind::kMsrRead);
  CHECK(decode_exit({0x7c, 1, 0, 0}).kind == ExitKind::kMsrWrite);
  CHECK(decode_exit({0x7c, 2, 0, 0}).kind == ExitKind::kUnhandled);
}

TEST_CASE("svm decode: nested page faults carry the GPA and the access", "[hv][svm]") {
  const auto read = decode_exit({0x400, 0x100000004ull, 0x40000000, 0});
  CHECK(read.kind == ExitKind::kNestedPageFault);
  CHECK(read.npf.gpa == 0x40000000);
  CHECK_FALSE(read.npf.present);
  CHECK_FALSE(read.npf.write);
  const auto write = decode_exit({0x400, 0x3, 0xfee00300, 0});
  CHECK(write.npf.present);
  CHECK(write.npf.write);
  CHECK(decode_exit({0x400, 0x10, 0x1000, 0}).npf.execute);
}

TEST_CASE("svm decode: exceptions, interrupts and the simple exits", "[hv][svm]") {
  const auto gp = decode_exit({0x40 + 13, 0x1238, 0, 0});
  CHECK(gp.kind == ExitKind::kException);
  CHECK(gp.exception.vector == 13);
  CHECK(gp.exception.error_code == 0x1238);
  const auto pf = decode_exit({0x40 + 14, 2, 0xdeadb000, 0});
  CHECK(pf.exception.fault_address == 0xdeadb000);
  CHECK(decode_exit({0x40 + 31, 0, 0, 0}).kind == ExitKind::kException);
  CHECK(decode_exit({0x60, 0, 0, 0}).kind == ExitKind::kExternalInterrupt);
  CHECK(decode_exit({0x61, 0, 0, 0}).kind == ExitKind::kNmi);
  CHECK(decode_exit({0x63, 0, 0, 0}).kind == ExitKind::kInit);
  CHECK(decode_exit({0x72, 0, 0, 0}).kind == ExitKind::kCpuid);
  CHECK(decode_exit({0x78, 0, 0, 0}).kind == ExitKind::kHlt);
  CHECK(decode_exit({0x7f, 0, 0, 0}).kind == ExitKind::kShutdown);
  CHECK(decode_exit({0x81, 0, 0, 0}).kind == ExitKind::kHypercall);
  CHECK(decode_exit({~0ull, 0, 0, 0}).kind == ExitKind::kInvalidState);
  CHECK(decode_exit({0x8d, 0, 0, 0}).kind == ExitKind::kUnhandled);
}

TEST_CASE("svm decode: an interrupted event delivery is kept for re-injection", "[hv][svm]") {
  const uint64_t pending = (1ull << 31) | (3ull << 8) | 14;  // valid #PF exception
  CHECK(decode_exit({0x400, 0, 0x2000, pending}).pending_event == pending);
  CHECK(decode_exit({0x400, 0, 0x2000, 14}).pending_event == 0);  // not valid
}
