#include "vmm/partition.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace rootstock::vmm {
namespace {

std::string range_text(uint64_t gpa, uint64_t size) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "[0x%llx, +0x%llx)", static_cast<unsigned long long>(gpa),
                static_cast<unsigned long long>(size));
  return buf;
}

bool overlaps(const Partition::Range& r, uint64_t gpa, uint64_t size) {
  return gpa < r.gpa + r.size && r.gpa < gpa + size;
}

}  // namespace

Result<Partition> Partition::create(Backend& backend) {
  auto p = backend.create_partition();
  if (!p) return std::unexpected(p.error());
  return Partition(std::move(*p));
}

Result<void> Partition::map(GuestMemory& memory, uint32_t flags) {
  const std::string what = "map " + range_text(memory.gpa(), memory.size());
  // Reads are required: x86 nested paging has no present-but-unreadable page (MAP_GPA_RANGE).
  if ((flags & RS_ACCESS_READ) == 0 || (flags & ~RS_MAP_FLAGS_VALID) != 0) {
    return fail(what + ": flags " + std::to_string(flags) + " lack RS_ACCESS_READ or are unknown");
  }
  for (const Range& r : ranges_) {
    if (overlaps(r, memory.gpa(), memory.size())) {
      return fail(what + ": overlaps the mapped " + range_text(r.gpa, r.size));
    }
  }
  if (auto r = backend_->map_memory(memory.gpa(), memory.host(), flags); !r) return r;
  ranges_.push_back({memory.gpa(), memory.size(), flags});
  return {};
}

Result<void> Partition::unmap(const GuestMemory& memory) {
  const auto it = std::find_if(ranges_.begin(), ranges_.end(), [&](const Range& r) {
    return r.gpa == memory.gpa() && r.size == memory.size();
  });
  if (it == ranges_.end()) {
    return fail("unmap " + range_text(memory.gpa(), memory.size()) + ": not mapped");
  }
  if (auto r = backend_->unmap_memory(memory.gpa(), memory.size()); !r) return r;
  ranges_.erase(it);
  return {};
}

Result<void> Partition::change_doorbell(const DoorbellSpec& doorbell, bool remove) {
  hvroot_doorbell arg{};
  arg.gpa = doorbell.gpa;
  arg.value = doorbell.value.value_or(0);
  arg.fd = doorbell.eventfd;
  arg.flags = doorbell.length & HVROOT_DOORBELL_LENGTH_MASK;
  if (doorbell.value) arg.flags |= HVROOT_DOORBELL_MATCH_VALUE;
  if (remove) arg.flags |= HVROOT_DOORBELL_REMOVE;
  return backend_->doorbell(arg);
}

Result<Vp> Partition::create_vp(uint32_t index) {
  auto vp = backend_->create_vp(index);
  if (!vp) return std::unexpected(vp.error());
  return Vp(std::move(*vp));
}

}  // namespace rootstock::vmm
