// The registers of VP_GET/SET_REGISTERS that live in hv's VP rather than in its VMCB: the
// interrupt controller's RS_REG_APIC_BASE and RS_REG_ACTIVITY (docs/hypercalls.md §10) and
// RS_REG_XCR0, which hv switches around VP_RUN (§8).
#include "arch/x86/xsave.hpp"
#include "partition/child_interrupts.hpp"
#include "partition/partitions.hpp"

namespace hv {

uint16_t Partitions::get_vp_register(Partition& p, const ChildVp& vp, uint32_t name,
                                     rs_hc_register_value& out) {
  out = rs_hc_register_value{};
  if (name == RS_REG_XCR0) {
    if (!x86::xsave_features().xsave) return RS_STATUS_NOT_SUPPORTED;
    out.scalar.value = vp.xcr0;
    return RS_STATUS_SUCCESS;
  }
  SpinlockGuard irq(p.irq_lock);
  out.scalar.value = name == RS_REG_APIC_BASE ? vp.lapic.apic_base() : vp.activity;
  return RS_STATUS_SUCCESS;
}

uint16_t Partitions::check_vp_register(Partition& p, const ChildVp& vp, uint32_t name,
                                       const rs_hc_register_value& value) {
  if (name == RS_REG_XCR0 && !x86::xsave_features().xsave) return RS_STATUS_NOT_SUPPORTED;
  if (value.scalar.reserved0 != 0) return RS_STATUS_RESERVED_NONZERO;
  const uint64_t v = value.scalar.value;
  if (name == RS_REG_XCR0) {
    // What the child's XSETBV would accept (child_run.cpp handle_xsetbv).
    return x86::valid_child_xcr0(v, x86::xsave_features().child_mask) ? RS_STATUS_SUCCESS
                                                                      : RS_STATUS_INVALID_PARAMETER;
  }
  if (name == RS_REG_ACTIVITY) {
    return v <= RS_ACTIVITY_WAIT_FOR_SIPI ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
  }
  // IA32_APIC_BASE: what a WRMSR by the child would accept (SDM 11.12.5), tried on a copy.
  SpinlockGuard irq(p.irq_lock);
  VirtualLapic copy = vp.lapic;
  return copy.write_apic_base(v) == LapicStatus::kOk ? RS_STATUS_SUCCESS
                                                     : RS_STATUS_INVALID_PARAMETER;
}

void Partitions::set_vp_register(Partition& p, ChildVp& vp, uint32_t name,
                                 const rs_hc_register_value& value) {
  if (name == RS_REG_XCR0) {
    // The VP is not running (idle_vp()): its XCR0 goes onto the CPU at its next VP_RUN.
    vp.xcr0 = value.scalar.value;
    return;
  }
  SpinlockGuard irq(p.irq_lock);
  if (name == RS_REG_ACTIVITY) {
    vp.activity = static_cast<uint8_t>(value.scalar.value);
    vp.sipi_pending = false;
    return;
  }
  (void)vp.lapic.write_apic_base(value.scalar.value);  // checked above
}

}  // namespace hv
