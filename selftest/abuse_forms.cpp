// The call forms of hypercalls.md §5 and the checks every result word must pass (§2, §3).
#include <cstdio>

#include "selftest/abuse_calls.hpp"

#include "selftest/hex.hpp"

namespace rootstock::selftest::abuse {
namespace {

// Argument register bits (RSI, bit 3, is only PARTITION_DOORBELL's, in 1.2).
constexpr uint8_t kRbx = 1, kRcx = 2, kRdx = 4, kRsi = 8;

constexpr Form kForms[] = {
    {RS_HC_GET_VERSION, true, 0, 0, false, false},
    {RS_HC_CHECK_INVARIANTS, false, 0, kRcx, false, true},
    {RS_HC_PARTITION_CREATE, true, 0, kRbx, false, false},
    {RS_HC_PARTITION_DESTROY, true, 0, kRbx, false, false},
    {RS_HC_PARTITION_QUERY, true, 0, kRbx, false, false},
    {RS_HC_MAP_GPA_RANGE, false, RS_HC_MAP_GPA_MAX_REPS, kRbx, true, false},
    {RS_HC_UNMAP_GPA_RANGE, true, RS_HC_UNMAP_GPA_MAX_REPS, kRbx | kRcx | kRdx, false, false},
    {RS_HC_DEPOSIT_MEMORY, false, RS_HC_DEPOSIT_MAX_REPS, kRbx, true, false},
    {RS_HC_WITHDRAW_MEMORY, false, RS_HC_WITHDRAW_MAX_REPS, kRbx | kRcx, true, true},
    {RS_HC_VP_CREATE, true, 0, kRbx | kRcx | kRdx, false, false},
    {RS_HC_VP_DESTROY, true, 0, kRbx | kRcx, false, false},
    {RS_HC_VP_RUN, true, 0, kRbx | kRcx | kRdx, false, false},
    {RS_HC_VP_GET_REGISTERS, false, RS_HC_REGISTERS_MAX_REPS, kRbx | kRcx, true, true},
    {RS_HC_VP_SET_REGISTERS, false, RS_HC_REGISTERS_MAX_REPS, kRbx, true, false},
    {RS_HC_VP_INJECT, true, 0, kRbx | kRcx | kRdx, false, false},
    {RS_HC_PARTITION_INTERRUPT, true, 0, kRbx | kRcx | kRdx, false, false},
    {RS_HC_PARTITION_DOORBELL, true, 0, kRbx | kRcx | kRdx | kRsi, false, false},
};

bool documented(uint64_t status) {
  return status <= RS_STATUS_INSUFFICIENT_MEMORY ||
         (status >= RS_STATUS_FIRST_ERROR && status <= RS_STATUS_NOT_SUPPORTED) ||
         status == RS_STATUS_INVALID_CALL_CODE;
}

}  // namespace

const Form* find_form(uint16_t code) {
  for (const Form& f : kForms) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

std::string check_result(const Call& call, uint64_t result) {
  const uint64_t status = RS_HC_RESULT_STATUS(result);
  const uint64_t detail = RS_HC_RESULT_DETAIL(result);
  const uint64_t reps_done = RS_HC_RESULT_REPS_DONE(result);
  const uint16_t code = static_cast<uint16_t>(call.control & RS_HC_CONTROL_CODE_MASK);
  const Form* form = find_form(code);
  if ((result >> 44) != 0) return "result bits 63:44 not 0: " + hex(result);
  if (form == nullptr || status == RS_STATUS_INVALID_CALL_CODE) {
    if (result != RS_STATUS_INVALID_CALL_CODE) {
      return "an unknown call code must give exactly 0xffff, got " + hex(result);
    }
    return form == nullptr ? "" : "the known call " + hex(code) + " was answered 0xffff";
  }
  if (!documented(status)) return "undocumented status " + hex(status);
  if (call.expect_detail && status == call.expect && detail != *call.expect_detail) {
    return "detail " + std::to_string(detail) + ", the failing element says " +
           std::to_string(*call.expect_detail);
  }
  const uint64_t count =
      (call.control & RS_HC_CONTROL_REP_COUNT_MASK) >> RS_HC_CONTROL_REP_COUNT_SHIFT;
  const uint64_t start =
      (call.control & RS_HC_CONTROL_REP_START_MASK) >> RS_HC_CONTROL_REP_START_SHIFT;
  const bool rep_fields_valid =
      form->max_reps != 0 && count >= 1 && count <= form->max_reps && start < count &&
      (call.control & RS_HC_CONTROL_FAST) == (form->fast ? RS_HC_CONTROL_FAST : 0);
  if (form->max_reps == 0) {
    if (reps_done != 0) return "reps done " + std::to_string(reps_done) + " for a simple call";
    return "";
  }
  if (!rep_fields_valid) {
    // No element index means anything here; the rep start or 0 are both honest answers.
    if (reps_done != 0 && reps_done != start) {
      return "reps done " + std::to_string(reps_done) + " for rep fields that were refused";
    }
    return "";
  }
  if (status >= RS_STATUS_FIRST_ERROR || status == RS_STATUS_INSUFFICIENT_MEMORY) {
    if (reps_done != start) {
      return "a refused rep call must report reps done = start (" + std::to_string(start) +
             "), got " + std::to_string(reps_done);
    }
    if (status >= RS_STATUS_FIRST_ERROR && detail > count) {
      return "detail " + std::to_string(detail) + " names no element of " + std::to_string(count);
    }
  } else if (status == RS_STATUS_SUCCESS && code != RS_HC_WITHDRAW_MEMORY && reps_done != count) {
    return "SUCCESS with reps done " + std::to_string(reps_done) + " of " + std::to_string(count);
  } else if (status == RS_STATUS_PARTIAL && (reps_done <= start || reps_done >= count)) {
    return "PARTIAL with reps done " + std::to_string(reps_done) + " outside (" +
           std::to_string(start) + ", " + std::to_string(count) + ")";
  }
  return "";
}

}  // namespace rootstock::selftest::abuse
