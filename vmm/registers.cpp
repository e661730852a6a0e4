#include "vmm/registers.hpp"

namespace rootstock::vmm {

RegisterAssignment scalar_register(uint32_t name, uint64_t value) {
  RegisterAssignment r;
  r.name = name;
  r.value.scalar.value = value;
  return r;
}

RegisterAssignment segment_register(uint32_t name, uint64_t base, uint32_t limit, uint16_t selector,
                                    uint16_t attributes) {
  RegisterAssignment r;
  r.name = name;
  r.value.segment.base = base;
  r.value.segment.limit = limit;
  r.value.segment.selector = selector;
  r.value.segment.attributes = attributes;
  return r;
}

RegisterAssignment table_register(uint32_t name, uint64_t base, uint16_t limit) {
  RegisterAssignment r;
  r.name = name;
  r.value.table.base = base;
  r.value.table.limit = limit;
  return r;
}

}  // namespace rootstock::vmm
