// A child VP's state on SVM: the VMCB after RESET and the ABI's registers read and written in it
// (docs/hypercalls.md §8; AMD APM vol. 2, appendix B for the VMCB, 14.1.3 for the reset state).
// Pure logic over a VMCB in memory: host-unit-tested. Entering the VP is svm_child_run.cpp's.
#pragma once

#include <stdint.h>

#include "arch/x86/svm/pause_filter.hpp"
#include "arch/x86/svm/vmcb.hpp"
#include "arch/x86/xsave.hpp"
#include "partition/vp_arch.hpp"

namespace hv::svm {

/// The child ASID every child VP runs with; hv flushes it whenever another VP ran on the CPU.
inline constexpr uint32_t kChildAsid = 2;

/// What every child VMCB shares: the permission maps (all intercepted; contiguous pages from
/// hv's own pool, docs/hypercalls.md "Open points" 1) and which PAUSEs exit.
struct ChildMaps {
  uint64_t iopm_pa = 0;
  uint64_t msrpm_pa = 0;
  PauseExits pause{};
};

/// VpArch on SVM.
class SvmChildArch final : public VpArch {
 public:
  explicit SvmChildArch(const ChildMaps& maps) : maps_(maps) {}

  void reset(void* state, uint64_t npt_root, bool bootstrap) override;
  void reset_extended(void* area) override { x86::init_child_area(area); }
  uint16_t get_register(const void* state, const GuestRegisters& gprs, uint32_t name,
                        rs_hc_register_value& out) override;
  uint16_t check_register(uint32_t name, const rs_hc_register_value& value) override;
  void set_register(void* state, GuestRegisters& gprs, uint32_t name,
                    const rs_hc_register_value& value) override;
  void publish(const void* state, const GuestRegisters& gprs, rs_run_page& page) override;
  void queue_event(void* state, uint64_t event) override;
  bool event_pending(const void* state) override;

 private:
  ChildMaps maps_;
};

/// The decoder's CPU mode for the VMCB's state (RS_CPU_MODE_*).
uint8_t cpu_mode(const VmcbSave& save);

}  // namespace hv::svm
