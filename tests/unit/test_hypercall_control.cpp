// Hypercall validation steps 2-5 (docs/hypercalls.md "Validation order"), path by path: each
// bad control word, argument register or page gets its documented status, in the documented
// order, and nothing is reported as decoded unless every check passed.
#include <catch2/catch_test_macros.hpp>
#include <set>

#include "hypercall/control.hpp"

using namespace hv::hypercall;

namespace {

// Root-owned frames for the page checks: 0x100-0x1ff.
bool root_page(uint64_t pfn, void*) {
  return pfn >= 0x100 && pfn < 0x200;
}

uint16_t check(uint64_t rax, Arguments args = {}) {
  Control c;
  const CallForm* f = nullptr;
  const uint16_t s = validate_call(rax, args, root_page, nullptr, c, f);
  if (s == RS_STATUS_SUCCESS) {
    REQUIRE(f != nullptr);
    CHECK(f->code == c.code);
  }
  return s;
}

}  // namespace

TEST_CASE("hypercall control: unknown codes first, whatever else is wrong", "[hv][hypercall]") {
  CHECK(check(0) == RS_STATUS_INVALID_CALL_CODE);
  CHECK(check(0x0003) == RS_STATUS_INVALID_CALL_CODE);
  CHECK(check(0xffff | RS_HC_CONTROL_RESERVED_MASK, {1, 2, 3, 4}) == RS_STATUS_INVALID_CALL_CODE);
}

TEST_CASE("hypercall control: the well-formed forms pass", "[hv][hypercall]") {
  CHECK(check(RS_HC_CONTROL(RS_HC_GET_VERSION, RS_HC_CONTROL_FAST, 0, 0)) == RS_STATUS_SUCCESS);
  CHECK(check(RS_HC_CONTROL(RS_HC_PARTITION_QUERY, RS_HC_CONTROL_FAST, 0, 0), {7, 0, 0, 0}) ==
        RS_STATUS_SUCCESS);
  CHECK(check(RS_HC_CONTROL(RS_HC_MAP_GPA_RANGE, 0, 508, 507), {0x100000, 0, 0, 0}) ==
        RS_STATUS_SUCCESS);
  CHECK(check(RS_HC_CONTROL(RS_HC_WITHDRAW_MEMORY, 0, 1, 0), {0x100000, 0x1ff000, 0, 0}) ==
        RS_STATUS_SUCCESS);
  CHECK(check(RS_HC_CONTROL(RS_HC_UNMAP_GPA_RANGE, RS_HC_CONTROL_FAST, 4095, 0),
              {1, 0x2000, 0, 0}) == RS_STATUS_SUCCESS);
}

TEST_CASE("hypercall control: reserved bits, fast bit and rep fields", "[hv][hypercall]") {
  const uint64_t version = RS_HC_CONTROL(RS_HC_GET_VERSION, RS_HC_CONTROL_FAST, 0, 0);
  for (uint64_t bit : {1ull << 17, 1ull << 31, 1ull << 44, 1ull << 47, 1ull << 60, 1ull << 63}) {
    CHECK(check(version | bit) == RS_STATUS_RESERVED_NONZERO);
  }
  CHECK(check(RS_HC_CONTROL(RS_HC_GET_VERSION, 0, 0, 0)) == RS_STATUS_INVALID_CONTROL);  // not fast
  CHECK(check(RS_HC_CONTROL(RS_HC_MAP_GPA_RANGE, RS_HC_CONTROL_FAST, 1, 0), {0x100000, 0, 0, 0}) ==
        RS_STATUS_INVALID_CONTROL);  // fast, but a page call
  CHECK(check(RS_HC_CONTROL(RS_HC_GET_VERSION, RS_HC_CONTROL_FAST, 1, 0)) ==
        RS_STATUS_INVALID_CONTROL);  // reps on a call without reps
  CHECK(check(RS_HC_CONTROL(RS_HC_GET_VERSION, RS_HC_CONTROL_FAST, 0, 1)) ==
        RS_STATUS_INVALID_CONTROL);
  const Arguments page{0x100000, 0, 0, 0};
  CHECK(check(RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, 0, 0), page) == RS_STATUS_INVALID_CONTROL);
  CHECK(check(RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, 5, 5), page) == RS_STATUS_INVALID_CONTROL);
  CHECK(check(RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, 511, 0), page) ==
        RS_STATUS_REP_COUNT_TOO_LARGE);
  CHECK(check(RS_HC_CONTROL(RS_HC_VP_SET_REGISTERS, 0, 129, 0), page) ==
        RS_STATUS_REP_COUNT_TOO_LARGE);
}

TEST_CASE("hypercall control: unused argument registers must be zero", "[hv][hypercall]") {
  const uint64_t version = RS_HC_CONTROL(RS_HC_GET_VERSION, RS_HC_CONTROL_FAST, 0, 0);
  CHECK(check(version, {1, 0, 0, 0}) == RS_STATUS_RESERVED_NONZERO);
  CHECK(check(version, {0, 0, 0, 1}) == RS_STATUS_RESERVED_NONZERO);
  const uint64_t create = RS_HC_CONTROL(RS_HC_VP_CREATE, RS_HC_CONTROL_FAST, 0, 0);
  CHECK(check(create, {1, 2, 0x100000, 0}) == RS_STATUS_SUCCESS);
  CHECK(check(create, {1, 2, 0x100000, 9}) == RS_STATUS_RESERVED_NONZERO);
  const uint64_t deposit = RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, 1, 0);
  CHECK(check(deposit, {0x100000, 0x101000, 0, 0}) == RS_STATUS_RESERVED_NONZERO);  // RCX unused
}

TEST_CASE("hypercall control: pages must be aligned root frames", "[hv][hypercall]") {
  const uint64_t map = RS_HC_CONTROL(RS_HC_MAP_GPA_RANGE, 0, 1, 0);
  CHECK(check(map, {0x100008, 0, 0, 0}) == RS_STATUS_MISALIGNED);
  CHECK(check(map, {0x200000, 0, 0, 0}) == RS_STATUS_ACCESS_DENIED);  // not the root's
  CHECK(check(map, {0, 0, 0, 0}) == RS_STATUS_ACCESS_DENIED);
  const uint64_t get = RS_HC_CONTROL(RS_HC_VP_GET_REGISTERS, 0, 1, 0);
  CHECK(check(get, {0x100000, 0x300000, 0, 0}) == RS_STATUS_ACCESS_DENIED);  // output page
  CHECK(check(get, {0x100000, 0x100001, 0, 0}) == RS_STATUS_MISALIGNED);
}

TEST_CASE("hypercall control: every call code of ABI 1.0 has a form", "[hv][hypercall]") {
  std::set<uint16_t> codes;
  for (unsigned code :
       {RS_HC_GET_VERSION, RS_HC_CHECK_INVARIANTS, RS_HC_PARTITION_CREATE, RS_HC_PARTITION_DESTROY,
        RS_HC_PARTITION_QUERY, RS_HC_MAP_GPA_RANGE, RS_HC_UNMAP_GPA_RANGE, RS_HC_DEPOSIT_MEMORY,
        RS_HC_WITHDRAW_MEMORY, RS_HC_VP_CREATE, RS_HC_VP_DESTROY, RS_HC_VP_RUN,
        RS_HC_VP_GET_REGISTERS, RS_HC_VP_SET_REGISTERS, RS_HC_VP_INJECT}) {
    REQUIRE(find_call(static_cast<uint16_t>(code)) != nullptr);
    codes.insert(static_cast<uint16_t>(code));
  }
  CHECK(codes.size() == 15);
}

TEST_CASE("hypercall control: result words", "[hv][hypercall]") {
  const uint64_t r = result_word(RS_STATUS_INSUFFICIENT_MEMORY, 70000, 12);
  CHECK(RS_HC_RESULT_STATUS(r) == RS_STATUS_INSUFFICIENT_MEMORY);
  CHECK(RS_HC_RESULT_DETAIL(r) == RS_HC_RESULT_DETAIL_MAX);  // saturated
  CHECK(RS_HC_RESULT_REPS_DONE(r) == 12);
  CHECK(result_word(RS_STATUS_SUCCESS, 0, 0) == 0);
}
