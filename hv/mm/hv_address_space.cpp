#include "mm/hv_address_space.hpp"

#include "lib/placement_new.hpp"
#include "mm/frame_allocator.hpp"
#include "mm/page_table.hpp"
#include "mm/paging_policy.hpp"

namespace hv {
namespace {

using HvTables = PageTable<HvPaging, SharedFrames>;

alignas(HvTables) uint8_t g_storage[sizeof(HvTables)];
uint64_t g_root = 0;
uint64_t g_end = kBootIdentityMapEnd;  // the boot tables' reach until hv's own are in place

constexpr uint64_t k1GiB = 1ull << 30;

}  // namespace

const char* build_hv_address_space(const rootstock::MemoryRange* map, size_t count,
                                   SharedFrames& frames) {
  uint64_t end = kBootIdentityMapEnd;
  for (size_t i = 0; i < count; ++i) {
    if (map[i].end() > end) end = map[i].end();
  }
  end = (end + k1GiB - 1) & ~(k1GiB - 1);
  auto* tables = new (g_storage) HvTables(frames);
  if (tables->init() != PagingStatus::kOk) return "out of hv memory for hv's page tables";
  // Memory types come from the MTRRs, which mark MMIO uncacheable (PAT index 0 = WB here).
  if (tables->map(0, 0, end, PageFlags::kWritable | PageFlags::kGlobal) != PagingStatus::kOk) {
    tables->destroy();
    return "out of hv memory for hv's page tables";
  }
  g_root = tables->root();
  asm volatile("mov %0, %%cr3" : : "r"(g_root) : "memory");
  g_end = end;
  return nullptr;
}

uint64_t hv_page_table_root() {
  return g_root;
}
uint64_t hv_mapped_end() {
  return g_end;
}

}  // namespace hv
