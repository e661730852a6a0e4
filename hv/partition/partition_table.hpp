// The child partitions that exist (docs/hypercalls.md PARTITION_CREATE/DESTROY/QUERY): ids
// handed out once per boot and never reused, a fixed capacity, and destroy giving every frame
// back through the frame table. Pure logic: host-unit-tested; hv's hypercall handlers will call
// it (issue 6).
#pragma once

#include <stdint.h>

#include "partition/frame_table.hpp"

namespace hv {

/// What PARTITION_QUERY reports.
struct PartitionCounts {
  uint64_t vps = 0;
  uint64_t mapped_pages = 0;     ///< 4 KiB pages mapped into the child
  uint64_t deposited_pages = 0;  ///< pages deposited for its tables and VP state
};

/// The partitions; statuses are the ABI's RS_STATUS_* values.
class PartitionTable {
 public:
  /// Most child partitions at once.
  static constexpr uint16_t kCapacity = 64;

  explicit PartitionTable(FrameTable& frames) : frames_(frames) {}

  /// A new partition's id (never 0, never one used before during this boot).
  uint16_t create(uint16_t& id);
  /// Destroys `id`: every frame deposited for it or mapped into it goes back to the root.
  uint16_t destroy(uint16_t id, uint64_t& frames_returned);
  uint16_t query(uint16_t id, PartitionCounts& out) const;
  /// Whether `id` names a live partition.
  bool exists(uint16_t id) const;
  uint16_t live() const;

 private:
  struct Slot {
    uint16_t id = 0;  ///< 0: free
    uint64_t vps = 0;
  };
  const Slot* find(uint16_t id) const;

  FrameTable& frames_;
  Slot slots_[kCapacity];
  uint16_t next_id_ = 1;
};

}  // namespace hv
