// The hypercall ABI header compiles as C++ in the unit tests too (its static_asserts run here),
// and its control/result helpers pack and unpack the documented RAX layout.
#include <rootstock/hypercall_abi.h>

#include <catch2/catch_test_macros.hpp>
#include <cstdint>

TEST_CASE("hypercall ABI: the control word round-trips its fields", "[abi]") {
  const uint64_t control = RS_HC_CONTROL(RS_HC_MAP_GPA_RANGE, 0, 12, 5);
  CHECK((control & 0xffff) == RS_HC_MAP_GPA_RANGE);
  CHECK(((control >> 32) & 0xfff) == 12);
  CHECK(((control >> 48) & 0xfff) == 5);
  CHECK(RS_STATUS_INVALID_CALL_CODE == 0xffff);
}
