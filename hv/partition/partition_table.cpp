#include "partition/partition_table.hpp"

#include <rootstock/hypercall_abi.h>

namespace hv {

const PartitionTable::Slot* PartitionTable::find(uint16_t id) const {
  if (id == 0) return nullptr;
  for (const Slot& s : slots_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

bool PartitionTable::exists(uint16_t id) const {
  return find(id) != nullptr;
}

uint16_t PartitionTable::live() const {
  uint16_t n = 0;
  for (const Slot& s : slots_) n = static_cast<uint16_t>(n + (s.id != 0 ? 1 : 0));
  return n;
}

uint16_t PartitionTable::create(uint16_t& id) {
  // Ids are not reused within a boot, so a stale id in a VMM names nothing rather than a
  // stranger's partition; the frame table's partition field bounds how many there can be.
  if (next_id_ > FrameTable::kMaxPartitionId) return RS_STATUS_LIMIT_REACHED;
  for (Slot& s : slots_) {
    if (s.id == 0) {
      s = Slot{next_id_++, 0};
      id = s.id;
      return RS_STATUS_SUCCESS;
    }
  }
  return RS_STATUS_LIMIT_REACHED;
}

uint16_t PartitionTable::destroy(uint16_t id, uint64_t& frames_returned) {
  for (Slot& s : slots_) {
    if (id != 0 && s.id == id) {
      frames_returned = frames_.release_partition(id);
      s = Slot{};
      return RS_STATUS_SUCCESS;
    }
  }
  return RS_STATUS_INVALID_PARTITION_ID;
}

uint16_t PartitionTable::query(uint16_t id, PartitionCounts& out) const {
  const Slot* s = find(id);
  if (s == nullptr) return RS_STATUS_INVALID_PARTITION_ID;
  out.vps = s->vps;
  out.mapped_pages = frames_.count(FrameOwner::kChild, id);
  out.deposited_pages = frames_.count(FrameOwner::kDeposited, id);
  return RS_STATUS_SUCCESS;
}

}  // namespace hv
