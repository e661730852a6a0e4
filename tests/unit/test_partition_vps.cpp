// VP calls (docs/hypercalls.md VP_*, §7, §8) over the real SVM VpArch: the reset state, register
// names and values, events, and VP_RUN's completion of the last exit.
#include <catch2/catch_test_macros.hpp>

#include "arch/x86/svm/vmcb.hpp"
#include "arch/x86/xsave.hpp"
#include "fake_machine.hpp"

using namespace hv;
using fake::World;

namespace {

struct VpWorld : World {
  uint64_t id = 0;
  uint64_t run_page = 0;
  VpWorld() {
    REQUIRE(partitions->create(0, id).status == RS_STATUS_SUCCESS);
    rs_hc_deposit_input in{};
    in.partition_id = id;
    for (unsigned i = 0; i < 7; ++i) in.frames[i] = root_frame();
    REQUIRE(partitions->deposit(in, 0, 0, 7).status == RS_STATUS_SUCCESS);
    run_page = root_frame();
    REQUIRE(partitions->vp_create(id, 0, run_page).status == RS_STATUS_SUCCESS);
  }
  uint64_t get(uint32_t name) {
    rs_hc_get_registers_input in{};
    in.partition_id = id;
    in.names[0] = name;
    rs_hc_get_registers_output out{};
    REQUIRE(partitions->get_registers(in, 0, 1, out).status == RS_STATUS_SUCCESS);
    return out.values[0].scalar.value;
  }
  uint16_t set(uint32_t name, uint64_t value) {
    rs_hc_set_registers_input in{};
    in.partition_id = id;
    in.elements[0].name = name;
    in.elements[0].value.scalar.value = value;
    return partitions->set_registers(in, 0, 1).status;
  }
  rs_run_page& page() { return World::page<rs_run_page>(run_page); }
};

}  // namespace

TEST_CASE("VP calls: create checks its arguments in order", "[hv][vp]") {
  VpWorld w;
  CHECK(w.partitions->vp_create(w.id, 0, w.root_frame()).status == RS_STATUS_EXISTS);
  CHECK(w.partitions->vp_create(w.id, kMaxVps, w.root_frame()).status ==
        RS_STATUS_INVALID_VP_INDEX);
  CHECK(w.partitions->vp_create(w.id, 1, w.root_frame() + 1).status == RS_STATUS_MISALIGNED);
  CHECK(w.partitions->vp_create(w.id, 1, w.run_page).status == RS_STATUS_FRAME_NOT_OWNED);
  CHECK(w.partitions->vp_create(w.id, 1, World::kHvBase).status == RS_STATUS_FRAME_NOT_OWNED);
  CHECK(w.partitions->vp_create(w.id + 9, 1, w.root_frame()).status ==
        RS_STATUS_INVALID_PARTITION_ID);
  // Deposits: 7 given, PML4 + VMCB + extended state used; two more VPs fit, the third needs
  // two pages.
  CHECK(w.partitions->vp_create(w.id, 1, w.root_frame()).status == RS_STATUS_SUCCESS);
  CHECK(w.partitions->vp_create(w.id, 2, w.root_frame()).status == RS_STATUS_SUCCESS);
  const auto r = w.partitions->vp_create(w.id, 3, w.root_frame());
  CHECK(r.status == RS_STATUS_INSUFFICIENT_MEMORY);
  CHECK(r.detail == 2);
  CHECK(w.page().version == RS_RUN_PAGE_VERSION);
  CHECK(w.partitions->vp_destroy(w.id, 5).status == RS_STATUS_INVALID_VP_INDEX);
  CHECK(w.partitions->vp_destroy(w.id, 1).status == RS_STATUS_SUCCESS);
  CHECK(w.count(FrameState::kRunPage) == 2);
}

TEST_CASE("VP calls: the reset state", "[hv][vp]") {
  VpWorld w;
  CHECK(w.get(RS_REG_RIP) == 0xfff0);
  CHECK(w.get(RS_REG_RFLAGS) == 2);
  CHECK(w.get(RS_REG_CR0) == 0x60000010);
  CHECK(w.get(RS_REG_EFER) == 0);  // SVME is hv's
  rs_hc_get_registers_input in{};
  in.partition_id = w.id;
  in.names[0] = RS_REG_CS;
  rs_hc_get_registers_output out{};
  REQUIRE(w.partitions->get_registers(in, 0, 1, out).status == RS_STATUS_SUCCESS);
  CHECK(out.values[0].segment.selector == 0xf000);
  CHECK(out.values[0].segment.base == 0xffff0000);
  CHECK(w.page().cpu_mode == RS_CPU_MODE_REAL);
}

TEST_CASE("VP calls: registers are checked before any is written", "[hv][vp]") {
  VpWorld w;
  CHECK(w.set(RS_REG_RIP, 0x1234) == RS_STATUS_SUCCESS);
  CHECK(w.get(RS_REG_RIP) == 0x1234);
  CHECK(w.set(RS_REG_RBX, 77) == RS_STATUS_SUCCESS);
  CHECK(w.get(RS_REG_RBX) == 77);
  CHECK(w.set(RS_REG_RFLAGS, 0) == RS_STATUS_INVALID_PARAMETER);         // bit 1 clear
  CHECK(w.set(RS_REG_CR0, 1ull << 31) == RS_STATUS_INVALID_PARAMETER);   // PG without PE
  CHECK(w.set(RS_REG_CR4, 1ull << 13) == RS_STATUS_INVALID_PARAMETER);   // VMXE
  CHECK(w.set(RS_REG_EFER, 1ull << 12) == RS_STATUS_INVALID_PARAMETER);  // SVME
  CHECK(w.set(RS_REG_PAT, 0x02) == RS_STATUS_INVALID_PARAMETER);
  CHECK(w.set(RS_REG_LSTAR, 0x0000800000000000ull) == RS_STATUS_INVALID_PARAMETER);
  CHECK(w.set(0x3f, 0) == RS_STATUS_INVALID_PARAMETER);
  if (hv::x86::xsave_features().xsave) {
    // XCR0 as the child's XSETBV would set it: x87 always, AVX only with SSE.
    CHECK(w.get(RS_REG_XCR0) == 1);
    CHECK(w.set(RS_REG_XCR0, 0) == RS_STATUS_INVALID_PARAMETER);
    CHECK(w.set(RS_REG_XCR0, 1 | 4) == RS_STATUS_INVALID_PARAMETER);
    CHECK(w.set(RS_REG_XCR0, 1ull << 9) == RS_STATUS_INVALID_PARAMETER);  // PKRU: never
    CHECK(w.set(RS_REG_XCR0, 3) == RS_STATUS_SUCCESS);
    CHECK(w.get(RS_REG_XCR0) == 3);
  } else {
    CHECK(w.set(RS_REG_XCR0, 1) == RS_STATUS_NOT_SUPPORTED);
  }
  CHECK(w.set(RS_REG_EFER, (1ull << 8) | (1ull << 11)) == RS_STATUS_SUCCESS);  // LME, NXE
  CHECK(w.get(RS_REG_EFER) == ((1ull << 8) | (1ull << 11)));
  // A batch with a bad third element changes nothing, and names it.
  rs_hc_set_registers_input in{};
  in.partition_id = w.id;
  in.elements[0].name = RS_REG_RAX;
  in.elements[0].value.scalar.value = 1;
  in.elements[1].name = RS_REG_RCX;
  in.elements[1].value.scalar.value = 2;
  in.elements[2].name = RS_REG_RAX;  // twice
  auto r = w.partitions->set_registers(in, 0, 3);
  CHECK(r.status == RS_STATUS_INVALID_PARAMETER);
  CHECK(r.detail == 3);
  in.elements[2].name = RS_REG_CS;
  in.elements[2].value.segment.attributes = 0x1000;
  CHECK(w.partitions->set_registers(in, 0, 3).status == RS_STATUS_RESERVED_NONZERO);
  in.elements[2].value.segment.attributes = 0;
  in.elements[2].reserved0 = 1;
  CHECK(w.partitions->set_registers(in, 0, 3).status == RS_STATUS_RESERVED_NONZERO);
  CHECK(w.get(RS_REG_RAX) == 0);
  in.elements[0].value.scalar.reserved0 = 5;
  in.elements[2].reserved0 = 0;
  CHECK(w.partitions->set_registers(in, 0, 3).status == RS_STATUS_RESERVED_NONZERO);
}

TEST_CASE("VP calls: events are checked as the architecture defines them", "[hv][vp]") {
  VpWorld w;
  auto ev = [](uint64_t vector, uint64_t type, bool err = false, uint64_t code = 0) {
    return vector | (type << RS_EVENT_TYPE_SHIFT) | (err ? RS_EVENT_ERROR_CODE_VALID : 0) |
           (code << RS_EVENT_ERROR_CODE_SHIFT);
  };
  CHECK(w.partitions->inject(w.id, 0, ev(0x20, RS_EVENT_TYPE_INTERRUPT)).status ==
        RS_STATUS_SUCCESS);
  CHECK(w.partitions->inject(w.id, 0, ev(0x10, RS_EVENT_TYPE_INTERRUPT)).status ==
        RS_STATUS_INVALID_PARAMETER);
  CHECK(w.partitions->inject(w.id, 0, ev(3, RS_EVENT_TYPE_NMI)).status ==
        RS_STATUS_INVALID_PARAMETER);
  CHECK(w.partitions->inject(w.id, 0, ev(13, RS_EVENT_TYPE_EXCEPTION)).status ==
        RS_STATUS_INVALID_PARAMETER);  // #GP has an error code
  CHECK(w.partitions->inject(w.id, 0, ev(6, RS_EVENT_TYPE_EXCEPTION, false, 4)).status ==
        RS_STATUS_RESERVED_NONZERO);  // a code without the flag
  CHECK(w.partitions->inject(w.id, 0, ev(6, 1)).status == RS_STATUS_INVALID_PARAMETER);
  CHECK(w.partitions->inject(w.id, 0, ev(6, RS_EVENT_TYPE_EXCEPTION) | (1u << 12)).status ==
        RS_STATUS_RESERVED_NONZERO);
  CHECK(w.partitions->inject(w.id, 0, ev(13, RS_EVENT_TYPE_EXCEPTION, true, 0)).status ==
        RS_STATUS_SUCCESS);
  CHECK(w.partitions->inject(w.id, 0, ev(2, RS_EVENT_TYPE_NMI)).status == RS_STATUS_BUSY);
  CHECK(w.partitions->inject(w.id, 7, ev(2, RS_EVENT_TYPE_NMI)).status ==
        RS_STATUS_INVALID_VP_INDEX);
}

TEST_CASE("VP calls: VP_RUN applies the root's completion once", "[hv][vp]") {
  VpWorld w;
  REQUIRE(w.set(RS_REG_RIP, 0x100) == RS_STATUS_SUCCESS);
  REQUIRE(w.set(RS_REG_RAX, 0x1122334455667788ull) == RS_STATUS_SUCCESS);
  RunTicket t;
  REQUIRE(w.partitions->begin_run(w.id, 0, 0, t).status == RS_STATUS_SUCCESS);
  CHECK(w.partitions->begin_run(w.id, 0, 0, t).status == RS_STATUS_BUSY);  // running
  CHECK(w.partitions->destroy(w.id).status == RS_STATUS_BUSY);
  // The VP exits for an IN AX of 1 byte-length 2 (in ax, dx is 66 ED: two bytes).
  LastExit exit;
  exit.reason = RS_EXIT_IO;
  exit.instruction_length = 2;
  exit.io_in = true;
  exit.io_size = 2;
  w.partitions->end_run(t, exit);
  CHECK(w.page().exit_count == 1);
  CHECK(w.page().regs.rip == 0x100);
  w.page().exit.io.data = 0xbeef;
  w.page().completion = RS_RUN_COMPLETE_ADVANCE;
  REQUIRE(w.partitions->begin_run(w.id, 0, 0, t).status == RS_STATUS_SUCCESS);
  w.partitions->end_run(t, LastExit{});
  CHECK(w.get(RS_REG_RIP) == 0x102);
  CHECK(w.get(RS_REG_RAX) == 0x112233445566beefull);
  CHECK(w.page().completion == 0);
  // ADVANCE after an exit without a length, bad flags, reserved words: refused, nothing run.
  w.page().completion = RS_RUN_COMPLETE_ADVANCE;
  CHECK(w.partitions->begin_run(w.id, 0, 0, t).status == RS_STATUS_INVALID_PARAMETER);
  w.page().completion = 7;
  CHECK(w.partitions->begin_run(w.id, 0, 0, t).status == RS_STATUS_INVALID_PARAMETER);
  w.page().completion = 0;
  w.page().root_flags = 2;
  CHECK(w.partitions->begin_run(w.id, 0, 0, t).status == RS_STATUS_RESERVED_NONZERO);
  w.page().root_flags = RS_RUN_LOAD_REGS;
  w.page().regs.rflags = 0;  // bit 1 clear
  CHECK(w.partitions->begin_run(w.id, 0, 0, t).status == RS_STATUS_INVALID_PARAMETER);
  w.page().regs.rflags = 0x202;
  w.page().regs.gpr[RS_REG_RSI] = 99;
  CHECK(w.partitions->begin_run(w.id, 0, 2, t).status == RS_STATUS_RESERVED_NONZERO);  // flags
  REQUIRE(w.partitions->begin_run(w.id, 0, 0, t).status == RS_STATUS_SUCCESS);
  CHECK_FALSE(t.report_pause);
  w.partitions->end_run(t, LastExit{});
  CHECK(w.get(RS_REG_RSI) == 99);
  // The one flag 1.3 defines: the run reports a PAUSE loop as RS_EXIT_PAUSE.
  REQUIRE(w.partitions->begin_run(w.id, 0, RS_VP_RUN_REPORT_PAUSE, t).status == RS_STATUS_SUCCESS);
  CHECK(t.report_pause);
  w.partitions->end_run(t, LastExit{});
  CHECK(w.get(RS_REG_RFLAGS) == 0x202);
  CHECK(w.page().root_flags == 0);
}

TEST_CASE("VP calls: EFER.LMA follows LME, PG and PAE as the CPU would set it", "[hv][vp]") {
  VpWorld w;
  REQUIRE(w.set(RS_REG_EFER, 1ull << 8) == RS_STATUS_SUCCESS);  // LME
  CHECK(w.get(RS_REG_EFER) == (1ull << 8));
  REQUIRE(w.set(RS_REG_CR4, 1ull << 5) == RS_STATUS_SUCCESS);         // PAE
  REQUIRE(w.set(RS_REG_CR0, (1ull << 31) | 1) == RS_STATUS_SUCCESS);  // PG, PE
  CHECK(w.get(RS_REG_EFER) == ((1ull << 8) | (1ull << 10)));          // LMA now
  REQUIRE(w.set(RS_REG_CR0, 1) == RS_STATUS_SUCCESS);                 // paging off: long mode off
  CHECK(w.get(RS_REG_EFER) == (1ull << 8));
}
