#include "selftest/raw_caller.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace rootstock::selftest {

std::string RawCaller::usable() {
  auto probe = fast(RS_HC_GET_VERSION, {});
  if (probe) return "";
  return probe.error().errno_value == EPERM
             ? "raw hypercalls refused (EPERM): load hvroot.ko with allow_raw_hypercalls=1 for "
               "this self-test"
             : vmm::describe(probe.error());
}

vmm::Result<hvroot_raw_hypercall> RawCaller::issue(const abuse::Call& call) {
  hvroot_raw_hypercall raw{};
  raw.control = call.control;
  for (size_t i = 0; i < 4; ++i) raw.args[i] = call.args[i];
  raw.flags = call.flags;
  std::memset(input_, 0, sizeof(input_));
  if (!call.input.empty()) {
    std::memcpy(input_, call.input.data(), std::min(call.input.size(), sizeof(input_)));
  }
  raw.input = reinterpret_cast<uintptr_t>(input_);
  raw.output = reinterpret_cast<uintptr_t>(output_);
  if (auto r = backend_.raw_hypercall(raw); !r) return std::unexpected(r.error());
  return raw;
}

vmm::Result<hvroot_raw_hypercall> RawCaller::fast(uint16_t code, std::array<uint64_t, 4> args) {
  abuse::Call c;
  c.control = RS_HC_CONTROL(code, RS_HC_CONTROL_FAST, 0, 0);
  c.args = args;
  return issue(c);
}

vmm::Result<uint64_t> RawCaller::create() {
  auto r = fast(RS_HC_PARTITION_CREATE, {});
  if (!r) return std::unexpected(r.error());
  if (RS_HC_RESULT_STATUS(r->result) != RS_STATUS_SUCCESS) {
    return vmm::fail("raw PARTITION_CREATE: status " +
                     vmm::status_name(static_cast<uint32_t>(RS_HC_RESULT_STATUS(r->result))));
  }
  return r->args[0];
}

vmm::Result<void> RawCaller::destroy(uint64_t id) {
  for (int i = 0; i < 100000; ++i) {
    auto r = fast(RS_HC_PARTITION_DESTROY, {id, 0, 0, 0});
    if (!r) return std::unexpected(r.error());
    const uint64_t status = RS_HC_RESULT_STATUS(r->result);
    if (status == RS_STATUS_SUCCESS) return {};
    if (status != RS_STATUS_PARTIAL) {
      return vmm::fail("raw PARTITION_DESTROY " + std::to_string(id) + ": status " +
                       vmm::status_name(static_cast<uint32_t>(status)));
    }
  }
  return vmm::fail("raw PARTITION_DESTROY " + std::to_string(id) + " never finished");
}

vmm::Result<uint16_t> RawCaller::deposit(uint64_t partition, std::span<const uint64_t> frames) {
  rs_hc_deposit_input in{};
  in.partition_id = partition;
  const size_t n = std::min<size_t>(frames.size(), RS_HC_DEPOSIT_MAX_REPS);
  std::copy_n(frames.begin(), n, in.frames);
  abuse::Call c;
  c.control = RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, n, 0);
  c.flags = HVROOT_RAW_INPUT_PAGE;
  c.input.resize(sizeof(in));
  std::memcpy(c.input.data(), &in, sizeof(in));
  auto r = issue(c);
  if (!r) return std::unexpected(r.error());
  return static_cast<uint16_t>(RS_HC_RESULT_STATUS(r->result));
}

vmm::Result<std::vector<uint64_t>> RawCaller::withdraw(uint64_t partition, uint16_t count) {
  rs_hc_withdraw_input in{};
  in.partition_id = partition;
  abuse::Call c;
  c.control = RS_HC_CONTROL(RS_HC_WITHDRAW_MEMORY, 0, count, 0);
  c.flags = HVROOT_RAW_INPUT_PAGE | HVROOT_RAW_OUTPUT_PAGE;
  c.input.resize(sizeof(in));
  std::memcpy(c.input.data(), &in, sizeof(in));
  auto r = issue(c);
  if (!r) return std::unexpected(r.error());
  if (RS_HC_RESULT_STATUS(r->result) != RS_STATUS_SUCCESS) {
    return vmm::fail("raw WITHDRAW_MEMORY: status " +
                     vmm::status_name(static_cast<uint32_t>(RS_HC_RESULT_STATUS(r->result))));
  }
  const auto done = static_cast<size_t>(RS_HC_RESULT_REPS_DONE(r->result));
  const auto* out = reinterpret_cast<const rs_hc_withdraw_output*>(output_);
  return std::vector<uint64_t>(out->frames, out->frames + std::min<size_t>(done, count));
}

}  // namespace rootstock::selftest
