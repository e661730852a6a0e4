// Register values for VP_SET_REGISTERS (docs/hypercalls.md §8): a name and its 16-byte value,
// built so that the unused parts are 0 (hv refuses anything else with RESERVED_NONZERO).
#pragma once

#include <stdint.h>

#include <vector>

#include <rootstock/hypercall_abi.h>

namespace rootstock::vmm {

/// One register and the value it is to get.
struct RegisterAssignment {
  uint32_t name = 0;  ///< RS_REG_*
  rs_hc_register_value value{};
};

/// A scalar register (GPRs, RIP, RFLAGS, CRs, MSRs).
[[nodiscard]] RegisterAssignment scalar_register(uint32_t name, uint64_t value);
/// A segment register (ES…GS, LDTR, TR): base, limit in bytes, selector, RS_SEGMENT_ATTR_*.
[[nodiscard]] RegisterAssignment segment_register(uint32_t name, uint64_t base, uint32_t limit,
                                                  uint16_t selector, uint16_t attributes);
/// GDTR or IDTR.
[[nodiscard]] RegisterAssignment table_register(uint32_t name, uint64_t base, uint16_t limit);

/// An ordered list of assignments; VP_SET_REGISTERS applies them in this order.
using RegisterList = std::vector<RegisterAssignment>;

}  // namespace rootstock::vmm
