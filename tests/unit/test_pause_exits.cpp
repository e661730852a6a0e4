// Which PAUSEs of a child exit: the mode from hv.pause_exits, the CPU's pause filter, what a
// child VMCB gets at RESET, the exit's decoding, and VP_RUN's flag that asks for RS_EXIT_PAUSE.
#include <catch2/catch_test_macros.hpp>
#include <string>

#include "arch/x86/svm/exit_decode.hpp"
#include "arch/x86/svm/pause_filter.hpp"
#include "arch/x86/svm/svm_child.hpp"
#include "arch/x86/svm/vmcb.hpp"
#include "boot/cmdline.hpp"

using hv::PauseExitMode;
using hv::svm::pause_exits;

TEST_CASE("pause exits: auto uses the filter where the CPU has one, else nothing",
          "[hv][svm][pause]") {
  const auto none = pause_exits(PauseExitMode::kAuto, false, false);
  CHECK_FALSE(none.intercept);
  const auto filter = pause_exits(PauseExitMode::kAuto, true, false);
  CHECK(filter.intercept);
  CHECK(filter.filter_count == hv::svm::kPauseFilterCount);
  CHECK(filter.filter_threshold == 0);
  const auto threshold = pause_exits(PauseExitMode::kAuto, true, true);
  CHECK(threshold.filter_count == 3000);
  CHECK(threshold.filter_threshold == 128);
}

TEST_CASE("pause exits: all intercepts on every CPU, none on none", "[hv][svm][pause]") {
  for (const bool filter : {false, true}) {
    const auto all = pause_exits(PauseExitMode::kAll, filter, filter);
    CHECK(all.intercept);
    CHECK(all.filter_count <= 1);
    CHECK(all.filter_threshold == 0);
    CHECK_FALSE(pause_exits(PauseExitMode::kNone, filter, filter).intercept);
  }
}

TEST_CASE("pause exits: a child VMCB intercepts PAUSE only when told to", "[hv][svm][pause]") {
  using hv::svm::intercept3::kPause;
  hv::svm::Vmcb plain{}, spinning{};
  hv::svm::SvmChildArch({0x1000, 0x4000}).reset(&plain, 0x9000, true);
  CHECK((plain.control.intercept3 & kPause) == 0);
  CHECK(plain.control.pause_filter_count == 0);
  const auto filter = pause_exits(PauseExitMode::kAuto, true, true);
  hv::svm::SvmChildArch({0x1000, 0x4000, filter}).reset(&spinning, 0x9000, true);
  CHECK((spinning.control.intercept3 & kPause) != 0);
  CHECK(spinning.control.pause_filter_count == 3000);
  CHECK(spinning.control.pause_filter_threshold == 128);
  // Everything else a child is held to stays as it was.
  CHECK((spinning.control.intercept3 & ~kPause) == plain.control.intercept3);
}

TEST_CASE("pause exits: SVM exit code 0x77 decodes as a PAUSE", "[hv][svm][pause]") {
  CHECK(hv::svm::decode_exit({0x77, 0, 0, 0}).kind == hv::ExitKind::kPause);
  CHECK(std::string(hv::exit_kind_name(hv::ExitKind::kPause)) == "pause");
}

TEST_CASE("pause exits: hv.pause_exits on the command line", "[hv][cmdline][pause]") {
  hv::HvOptions o;
  hv::parse_cmdline("quiet", o);
  CHECK(o.pause_exits == PauseExitMode::kAuto);
  hv::parse_cmdline("hv.pause_exits=all quiet", o);
  CHECK(o.pause_exits == PauseExitMode::kAll);
  CHECK(o.problem_count == 0);
  hv::parse_cmdline("hv.pause_exits=none", o);
  CHECK(o.pause_exits == PauseExitMode::kNone);
  hv::parse_cmdline("hv.pause_exits=none hv.pause_exits=often", o);
  CHECK(o.pause_exits == PauseExitMode::kNone);  // a bad value keeps the last good one
  REQUIRE(o.problem_count == 1);
  CHECK(std::string(o.problems[0].option) == "hv.pause_exits=often");
  CHECK(std::string(o.problems[0].reason) == "is not one of auto, all, none");
}
