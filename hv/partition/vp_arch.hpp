// The architecture's part of a child VP, behind one interface so the partition code above it is
// arch-neutral and host-tested with a fake: the state page (a VMCB on SVM) after reset, and the
// registers of docs/hypercalls.md §8 read and written in it. Running the VP is the caller's
// (hv's VP_RUN glue), not this interface's.
#pragma once

#include <stdint.h>

#include <rootstock/hypercall_abi.h>

#include "vcpu/exit.hpp"

namespace hv {

/// Reads and writes a child VP's architectural state.
class VpArch {
 public:
  /// Fills a zeroed state page with the state after RESET (docs/hypercalls.md VP_CREATE), the
  /// child's nested page tables at `npt_root`.
  virtual void reset(void* state, uint64_t npt_root, bool bootstrap) = 0;
  /// Fills a zeroed extended-state page (x87/SSE/AVX registers) with the state after RESET.
  virtual void reset_extended(void* area) = 0;
  /// Reads register `name`: RS_STATUS_SUCCESS, INVALID_PARAMETER (no such name) or
  /// NOT_SUPPORTED. Unused parts of `out` are 0.
  virtual uint16_t get_register(const void* state, const GuestRegisters& gprs, uint32_t name,
                                rs_hc_register_value& out) = 0;
  /// Checks whether `value` may be written to `name` (§8's last column), changing nothing.
  virtual uint16_t check_register(uint32_t name, const rs_hc_register_value& value) = 0;
  /// Writes a value check_register() accepted.
  virtual void set_register(void* state, GuestRegisters& gprs, uint32_t name,
                            const rs_hc_register_value& value) = 0;
  /// Copies what the run page shows of the VP (regs, CRs, EFER, mode, CPL) into it.
  virtual void publish(const void* state, const GuestRegisters& gprs, rs_run_page& page) = 0;
  /// Whether `event` (VP_INJECT's word) can be queued now; the VP's pending event is
  /// `pending` (0: none).
  virtual void queue_event(void* state, uint64_t event) = 0;
  /// Whether an exception or NMI is waiting for the next entry.
  virtual bool event_pending(const void* state) = 0;

 protected:
  VpArch() = default;
  ~VpArch() = default;
  VpArch(const VpArch&) = delete;
  VpArch& operator=(const VpArch&) = delete;
};

}  // namespace hv
