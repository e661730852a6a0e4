// Vp::run() against the fake backend: each exit goes to the right handler, is completed the way
// hypercalls.md §7 says (IN/OUT with RS_RUN_COMPLETE_ADVANCE, MMIO with regs and
// RS_RUN_LOAD_REGS), exactly once; exits the loop does not handle come back to the caller; and
// what cannot be decoded is an error that leaves the VP untouched.
#include <catch2/catch_test_macros.hpp>
#include <cerrno>
#include <string>
#include <vector>

#include "tests/fakes/fake_backend.hpp"
#include "vmm/exit_report.hpp"
#include "vmm/partition.hpp"

using namespace rootstock::vmm;

namespace {

struct Recorder final : PortIoHandler, MmioHandler {
  struct Access {
    uint64_t where = 0;
    uint8_t size = 0;
    uint64_t value = 0;
  };
  std::vector<Access> outs, ins, reads, writes;
  uint32_t in_value = 0;
  uint64_t read_value = 0;
  Next out_result = Next::kContinue;

  Next out(uint16_t port, uint8_t size, uint32_t value) override {
    outs.push_back({port, size, value});
    return out_result;
  }
  uint32_t in(uint16_t port, uint8_t size) override {
    ins.push_back({port, size, in_value});
    return in_value;
  }
  uint64_t read(uint64_t gpa, uint8_t size) override {
    reads.push_back({gpa, size, read_value});
    return read_value;
  }
  Next write(uint64_t gpa, uint8_t size, uint64_t value) override {
    writes.push_back({gpa, size, value});
    return Next::kContinue;
  }
};

// A partition with VP 0 created, and its fake counterpart.
struct Fixture {
  FakeBackend fake;
  Partition partition = *Partition::create(fake);
  Vp vp = *partition.create_vp(0);
  FakeVp& fvp = fake.vp(0, 0);
  Recorder dev;

  void script(std::initializer_list<FakeExit> exits) { fvp.script.insert(fvp.script.end(), exits); }
  Result<VpExit> run() { return vp.run(dev, dev); }
};

rs_run_regs regs_with(uint64_t rip, std::initializer_list<std::pair<uint32_t, uint64_t>> gprs) {
  rs_run_regs r{};
  r.rip = rip;
  r.rflags = 0x2;
  for (const auto& [reg, value] : gprs) r.gpr[reg] = value;
  return r;
}

FakeExit with_regs(FakeExit e, const rs_run_regs& regs) {
  e.regs = regs;
  return e;
}

}  // namespace

TEST_CASE("run loop: OUT goes to the port handler and completes with ADVANCE") {
  Fixture f;
  f.script({with_regs(FakeExit::io_out(0xe9, 1, 'A', 2), regs_with(0x100, {})), FakeExit::halt()});
  auto exit = f.run();
  REQUIRE(exit);
  CHECK(exit->kind == VpExit::Kind::kHalt);
  REQUIRE(f.dev.outs.size() == 1);
  CHECK(f.dev.outs[0].where == 0xe9);
  CHECK(f.dev.outs[0].size == 1);
  CHECK(f.dev.outs[0].value == 'A');
  REQUIRE(f.fvp.entries.size() == 2);
  CHECK(f.fvp.entries[0].completion == RS_RUN_COMPLETE_NONE);
  CHECK(f.fvp.entries[1].completion == RS_RUN_COMPLETE_ADVANCE);
  CHECK(f.fvp.entries[1].root_flags == 0);
  CHECK(f.fvp.state.rip == 0x102);  // hv advanced past the 2-byte OUT, once
  CHECK(f.vp.handled_exits() == 1);
}

TEST_CASE("run loop: IN answers through exit.io.data with ADVANCE, at the IN's size") {
  for (const uint8_t size : {uint8_t{1}, uint8_t{2}, uint8_t{4}}) {
    Fixture f;
    f.dev.in_value = 0x89abcdef;
    f.script({with_regs(FakeExit::io_in(0x700, size), regs_with(0x10, {{RS_REG_RAX, ~0ull}})),
              FakeExit::halt()});
    auto exit = f.run();
    REQUIRE(exit);
    CHECK(exit->kind == VpExit::Kind::kHalt);
    REQUIRE(f.dev.ins.size() == 1);
    CHECK(f.dev.ins[0].where == 0x700);
    CHECK(f.dev.ins[0].size == size);
    const uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
    REQUIRE(f.fvp.entries.size() == 2);
    CHECK(f.fvp.entries[1].completion == RS_RUN_COMPLETE_ADVANCE);
    CHECK(f.fvp.entries[1].io_data == (0x89abcdefull & mask));
    const uint64_t rax = size == 4 ? 0x89abcdefull : (~0ull & ~mask) | (0x89abcdefull & mask);
    CHECK(f.fvp.state.gpr[RS_REG_RAX] == rax);
    CHECK(f.fvp.state.rip == 0x11);
  }
}

TEST_CASE("run loop: an MMIO load writes the register and RIP with LOAD_REGS") {
  Fixture f;
  f.dev.read_value = 0x5a17c0de;
  const uint8_t mov_eax_rbx[] = {0x8b, 0x03};
  f.script({with_regs(FakeExit::memory(0xd0000, RS_ACCESS_READ, mov_eax_rbx),
                      regs_with(0x10020, {{RS_REG_RAX, ~0ull}, {RS_REG_RBX, 0xd0000}})),
            FakeExit::halt()});
  auto exit = f.run();
  REQUIRE(exit);
  CHECK(exit->kind == VpExit::Kind::kHalt);
  REQUIRE(f.dev.reads.size() == 1);
  CHECK(f.dev.reads[0].where == 0xd0000);
  CHECK(f.dev.reads[0].size == 4);
  CHECK(f.dev.writes.empty());
  const FakeEntry& e = f.fvp.entries.at(1);
  CHECK(e.root_flags == RS_RUN_LOAD_REGS);
  CHECK(e.completion == RS_RUN_COMPLETE_NONE);
  CHECK(e.regs.gpr[RS_REG_RAX] == 0x5a17c0de);  // a 32-bit load zero-extends
  CHECK(e.regs.gpr[RS_REG_RBX] == 0xd0000);
  CHECK(e.regs.rip == 0x10022);
  CHECK(f.fvp.state.rip == 0x10022);  // loaded, and not advanced a second time
}

TEST_CASE("run loop: MMIO stores pass the stored value, in every mode") {
  SECTION("64-bit: mov [rbx+8], ecx") {
    Fixture f;
    const uint8_t bytes[] = {0x89, 0x4b, 0x08};
    f.script({with_regs(FakeExit::memory(0xd0008, RS_ACCESS_WRITE, bytes),
                        regs_with(0x50, {{RS_REG_RCX, 0xffffffffc0ffee03ull}})),
              FakeExit::halt()});
    REQUIRE(f.run());
    REQUIRE(f.dev.writes.size() == 1);
    CHECK(f.dev.writes[0].where == 0xd0008);
    CHECK(f.dev.writes[0].size == 4);
    CHECK(f.dev.writes[0].value == 0xc0ffee03);
    CHECK(f.fvp.entries.at(1).regs.rip == 0x53);
    CHECK(f.fvp.entries.at(1).root_flags == RS_RUN_LOAD_REGS);
  }
  SECTION("32-bit: mov dword [0xd0008], imm32") {
    Fixture f;
    const uint8_t bytes[] = {0xc7, 0x05, 0x08, 0x00, 0x0d, 0x00, 0x78, 0x56, 0x34, 0x12};
    f.script({with_regs(FakeExit::memory(0xd0008, RS_ACCESS_WRITE, bytes, RS_CPU_MODE_PROT32),
                        regs_with(0xffff00a4, {})),
              FakeExit::halt()});
    REQUIRE(f.run());
    REQUIRE(f.dev.writes.size() == 1);
    CHECK(f.dev.writes[0].value == 0x12345678);
    CHECK(f.fvp.entries.at(1).regs.rip == 0xffff00ae);
  }
  SECTION("real mode: mov eax, es:[0] wraps IP at 64 KiB") {
    Fixture f;
    f.dev.read_value = 0xfeedf00d;
    const uint8_t bytes[] = {0x26, 0x66, 0xa1, 0x00, 0x00};
    f.script({with_regs(FakeExit::memory(0xd0000, RS_ACCESS_READ, bytes, RS_CPU_MODE_REAL),
                        regs_with(0xfffe, {{RS_REG_RAX, 0x1111222233334444ull}})),
              FakeExit::halt()});
    REQUIRE(f.run());
    REQUIRE(f.dev.reads.size() == 1);
    CHECK(f.dev.reads[0].size == 4);
    CHECK(f.fvp.entries.at(1).regs.gpr[RS_REG_RAX] == 0xfeedf00d);
    CHECK(f.fvp.entries.at(1).regs.rip == 0x0003);
  }
}

TEST_CASE("run loop: a read-modify-write loads, stores the result and sets the flags") {
  Fixture f;
  f.dev.read_value = 0x1;
  const uint8_t or_imm[] = {0x83, 0x0b, 0x10};  // or dword [rbx], 0x10
  f.script({with_regs(FakeExit::memory(0xd0000, RS_ACCESS_READ, or_imm),
                      regs_with(0x80, {{RS_REG_RBX, 0xd0000}})),
            FakeExit::halt()});
  REQUIRE(f.run());
  REQUIRE(f.dev.reads.size() == 1);
  REQUIRE(f.dev.writes.size() == 1);
  CHECK(f.dev.writes[0].value == 0x11);
  const FakeEntry& e = f.fvp.entries.at(1);
  CHECK(e.regs.rip == 0x83);
  CHECK((e.regs.rflags & 0x40) == 0);  // ZF clear: the result is not zero
  CHECK((e.regs.rflags & 0x2) != 0);
}

TEST_CASE("run loop: an instruction that cannot be decoded is an error and changes nothing") {
  struct Case {
    const char* name;
    std::vector<uint8_t> bytes;
    uint8_t access;
    const char* message;
  };
  const Case cases[] = {
      {"short fetch", {0x8b}, RS_ACCESS_READ, "cut short"},
      {"not a memory access", {0x0f, 0x0b}, RS_ACCESS_READ, "MMIO instruction"},
      {"register operand", {0x89, 0xc8}, RS_ACCESS_WRITE, "MMIO instruction"},
      {"load reported as write", {0x8b, 0x03}, RS_ACCESS_WRITE, "does not match"},
      {"store reported as read", {0x89, 0x03}, RS_ACCESS_READ, "does not match"},
      {"execute", {0x8b, 0x03}, RS_ACCESS_EXECUTE, "instruction fetch"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Fixture f;
    f.script({with_regs(FakeExit::memory(0xd0000, c.access, c.bytes), regs_with(0x40, {})),
              FakeExit::halt()});
    auto exit = f.run();
    REQUIRE_FALSE(exit);
    CHECK(exit.error().what.find(c.message) != std::string::npos);
    CHECK(exit.error().what.find("vp 0:") == 0);
    CHECK(exit.error().what.find("rip=0x40") != std::string::npos);
    CHECK(f.dev.reads.empty());
    CHECK(f.dev.writes.empty());
    const rs_run_page& page = f.vp.run_page();
    CHECK(page.completion == RS_RUN_COMPLETE_NONE);
    CHECK(page.root_flags == 0);
    CHECK(page.regs.rip == 0x40);
  }
}

TEST_CASE("run loop: a memory exit hv fetched no bytes for is resumed, not failed") {
  for (const uint8_t access : {uint8_t{RS_ACCESS_READ}, uint8_t{RS_ACCESS_WRITE}}) {
    INFO("access " << int{access});
    Fixture f;
    f.script(
        {with_regs(FakeExit::memory(0xd0000, access, {}), regs_with(0x40, {})), FakeExit::halt()});
    auto exit = f.run();
    REQUIRE(exit);  // the loop entered again and came back with the HLT
    CHECK(exit->kind == VpExit::Kind::kHalt);
    CHECK(f.dev.reads.empty());
    CHECK(f.dev.writes.empty());
    REQUIRE(f.fvp.entries.size() == 2);
    const FakeEntry& e = f.fvp.entries[1];  // what the VMM left for hv: resume as it is
    CHECK(e.completion == RS_RUN_COMPLETE_NONE);
    CHECK(e.root_flags == 0);
    CHECK(f.fvp.state.rip == 0x40);  // at the same instruction
  }
}

TEST_CASE("run loop: exits it does not handle come back to the caller") {
  Fixture f;
  FakeExit unsupported = FakeExit::reason_only(RS_EXIT_UNSUPPORTED);
  unsupported.data.hardware.arch = RS_ARCH_SVM;
  unsupported.data.hardware.code = 0x72;
  f.script({FakeExit::shutdown(), FakeExit::reason_only(RS_EXIT_HYPERCALL), unsupported,
            FakeExit::reason_only(RS_EXIT_INVALID_STATE)});
  auto a = f.run();
  REQUIRE(a);
  CHECK(a->kind == VpExit::Kind::kShutdown);
  auto b = f.run();
  REQUIRE(b);
  CHECK(b->kind == VpExit::Kind::kHypercall);
  auto c = f.run();
  REQUIRE(c);
  CHECK(c->kind == VpExit::Kind::kUnsupported);
  CHECK(c->exit.hardware.code == 0x72);
  CHECK(exit_report(*c, f.vp.run_page()).find("unsupported exit=unsupported") == 0);
  CHECK(exit_report(*c, f.vp.run_page()).find(" svm code=0x72 ") != std::string::npos);
  auto d = f.run();
  REQUIRE(d);
  CHECK(d->kind == VpExit::Kind::kInvalidState);
  CHECK(f.vp.handled_exits() == 0);
  const std::string report = exit_report(*d, f.vp.run_page());
  CHECK(report.starts_with("invalid-state exit=invalid-state rip=0x0 "));
  CHECK(report.find(" mode=long64 ") != std::string::npos);
  CHECK(report.find(" r15=0x0") != std::string::npos);
  CHECK(report.find(" arch? code=0x0") != std::string::npos);  // the fake gave no arch
  CHECK(std::string(describe(VpExit::Kind::kShutdown)) == "shutdown");
}

TEST_CASE("run loop: a doorbell exit hv completed reaches the device, with no completion") {
  Fixture f;
  f.script({with_regs(FakeExit::doorbell(0xc0003004, 2, 1), regs_with(0x80, {})),
            FakeExit::doorbell(0xc0003000, 9, 0), FakeExit::halt()});
  auto exit = f.run();
  // The first reaches the bus as a 2-byte store; the second's length is outside the ABI.
  REQUIRE(f.dev.writes.size() == 1);
  CHECK(f.dev.writes[0].where == 0xc0003004);
  CHECK(f.dev.writes[0].size == 2);
  CHECK(f.dev.writes[0].value == 1);
  CHECK(f.fvp.entries.at(1).completion == RS_RUN_COMPLETE_NONE);
  CHECK(f.fvp.entries.at(1).root_flags == 0);
  REQUIRE_FALSE(exit);
  CHECK(exit.error().what.find("doorbell exit with length 9") != std::string::npos);
}

TEST_CASE("run loop: an exit reason the ABI does not define is an error") {
  Fixture f;
  f.script({FakeExit::reason_only(42)});
  auto exit = f.run();
  REQUIRE_FALSE(exit);
  CHECK(exit.error().what.find("exit reason 42") != std::string::npos);
}

TEST_CASE("run loop: a signal re-enters without applying the completion twice") {
  Fixture f;
  f.script({with_regs(FakeExit::io_out(0xe9, 1, 'x'), regs_with(0x200, {})),
            FakeExit::interrupted(), FakeExit::interrupted(), FakeExit::halt()});
  auto exit = f.run();
  REQUIRE(exit);
  CHECK(exit->kind == VpExit::Kind::kHalt);
  REQUIRE(f.fvp.entries.size() == 4);
  CHECK(f.fvp.entries[1].completion == RS_RUN_COMPLETE_ADVANCE);
  CHECK(f.fvp.entries[2].completion == RS_RUN_COMPLETE_NONE);
  CHECK(f.fvp.entries[3].completion == RS_RUN_COMPLETE_NONE);
  CHECK(f.fvp.state.rip == 0x201);
}

TEST_CASE("run loop: stop requests and stopping devices return kStopped") {
  SECTION("a request before run() stops before entering") {
    Fixture f;
    f.script({FakeExit::halt()});
    f.vp.request_stop();
    auto exit = f.run();
    REQUIRE(exit);
    CHECK(exit->kind == VpExit::Kind::kStopped);
    CHECK(f.fvp.entries.empty());
    auto next = f.run();  // the request was consumed
    REQUIRE(next);
    CHECK(next->kind == VpExit::Kind::kHalt);
  }
  SECTION("a device's kStop returns with the access completed") {
    Fixture f;
    f.dev.out_result = Next::kStop;
    f.script({with_regs(FakeExit::io_out(0xf4, 1, 0), regs_with(0x300, {})), FakeExit::halt()});
    auto exit = f.run();
    REQUIRE(exit);
    CHECK(exit->kind == VpExit::Kind::kStopped);
    CHECK(exit->exit.kind == ExitKind::kIo);
    CHECK(f.vp.run_page().completion == RS_RUN_COMPLETE_ADVANCE);
    f.dev.out_result = Next::kContinue;
    auto next = f.run();
    REQUIRE(next);
    CHECK(next->kind == VpExit::Kind::kHalt);
    CHECK(f.fvp.state.rip == 0x301);
  }
  SECTION("a request from another thread, then its kick, stops the loop") {
    Fixture f;
    FakeExit kicked = FakeExit::interrupted();
    kicked.during = [&f] { f.vp.request_stop(); };
    f.script({kicked, FakeExit::halt()});
    auto exit = f.run();
    REQUIRE(exit);
    CHECK(exit->kind == VpExit::Kind::kStopped);
    CHECK(f.fvp.entries.size() == 1);
    CHECK(f.fvp.script.size() == 1);  // the halt is still to come
  }
}

TEST_CASE("run loop: driver errors come back with the VP named") {
  Fixture f;
  f.script({FakeExit::error(EFAULT)});
  auto exit = f.run();
  REQUIRE_FALSE(exit);
  CHECK(exit.error().errno_value == EFAULT);
  CHECK(exit.error().what.find("vp 0:") == 0);
  CHECK(describe(exit.error()).find("errno 14") != std::string::npos);
}
