// Partition lifetime, queries and the invariants (docs/hypercalls.md PARTITION_*, §6).
#include "partition/partitions.hpp"
#include "lib/placement_new.hpp"

extern "C" void* memset(void* dst, int c, __SIZE_TYPE__ n);
extern "C" void* memcpy(void* dst, const void* src, __SIZE_TYPE__ n);

namespace hv {
namespace {
constexpr uint64_t kPage = 4096;
}

Partition* Partitions::find(uint64_t id) {
  if (id == RS_PARTITION_ID_NONE) return nullptr;
  for (uint16_t i = 0; i < kCapacity; ++i) {
    if (used_[i] && slot(i)->id == id) return slot(i);
  }
  return nullptr;
}

uint16_t Partitions::changeable(uint64_t id, Partition*& p) {
  p = find(id);
  if (p == nullptr) return RS_STATUS_INVALID_PARTITION_ID;
  if (p->destroying) return RS_STATUS_BUSY;
  return RS_STATUS_SUCCESS;
}

uint16_t Partitions::live() const {
  uint16_t n = 0;
  for (bool u : used_) n = static_cast<uint16_t>(n + (u ? 1 : 0));
  return n;
}

CallResult Partitions::create(uint64_t flags, uint64_t& id) {
  if (flags != 0) return {RS_STATUS_RESERVED_NONZERO};
  SpinlockGuard guard(lock_);
  for (uint16_t i = 0; i < kCapacity; ++i) {
    if (used_[i]) continue;
    // Ids are never reused within a boot: a stale id in a VMM names nothing rather than a
    // stranger's partition. The frame table records the slot, not the id.
    Partition* p = new (storage_[i]) Partition(table_, machine_, static_cast<uint16_t>(i + 1));
    if (p->npt.init() != PagingStatus::kOk) {
      // No deposits yet: the PML4 comes with the first map (init() is retried there).
      p->npt.destroy();
    }
    p->id = next_id_++;
    used_[i] = true;
    id = p->id;
    return {};
  }
  return {RS_STATUS_LIMIT_REACHED};
}

void Partitions::release_vp(Partition& p, ChildVp& vp) {
  // The run page goes back to the root as it is (the root shares it); the state page to the
  // deposits, zeroed when they go back to the root.
  (void)table_.move(vp.run_page_pa / kPage, FrameState::kRunPage, p.owner, FrameState::kRoot, 0);
  p.deposits.free(vp.state_pa);
  p.deposits.free(vp.xsave_pa);
  SpinlockGuard irq(p.irq_lock);  // another VP's IPI may be looking at this slot
  vp = ChildVp{};
  --p.vp_count;
}

void Partitions::give_back_deposits(Partition& p) {
  uint64_t pa = 0;
  while (p.deposits.take_free(pa)) {
    memset(machine_.frame(pa), 0, kPage);  // hv's structures and list links stay hv's
    (void)table_.move(pa / kPage, FrameState::kDepositedFree, p.owner, FrameState::kRoot, 0);
    // The root's table had this frame before; putting it back needs no new table unless hv's
    // own pool has been emptied since, which leaves the frame unreachable but accounted.
    (void)machine_.show_to_root(pa);
  }
}

CallResult Partitions::destroy(uint64_t id) {
  SpinlockGuard guard(lock_);
  Partition* p = find(id);
  if (p == nullptr) return {RS_STATUS_INVALID_PARTITION_ID};
  if (p->running_vps != 0) return {RS_STATUS_BUSY};
  p->destroying = true;
  for (ChildVp& vp : p->vps) {
    if (vp.exists) release_vp(*p, vp);
  }
  // The mappings, a budget of pages at a time: their frames go back to the root (they stayed
  // mapped there all along). A child with more memory takes several calls (PARTIAL).
  uint64_t budget = kDestroyPagesPerCall;
  while (budget > 0 && p->mapped_pages > 0) {
    constexpr unsigned kBatch = 64;
    struct Leaf {
      uint64_t gpa, pa, size;
    } leaves[kBatch];
    unsigned n = 0;
    uint64_t pages = 0;
    p->npt.for_each_leaf([&](uint64_t gpa, uint64_t pa, uint64_t size) {
      leaves[n++] = {gpa, pa, size};
      pages += size / kPage;
      return n < kBatch && pages < budget;
    });
    if (n == 0) {
      // The counter says mapped, the tables do not (CHECK_INVARIANTS reports such a
      // partition); the tables decide, so destroy always ends.
      p->mapped_pages = 0;
      break;
    }
    for (unsigned i = 0; i < n; ++i) {
      (void)p->npt.unmap(leaves[i].gpa, leaves[i].size);  // whole leaves: no table needed
      for (uint64_t off = 0; off < leaves[i].size; off += kPage) {
        (void)table_.move((leaves[i].pa + off) / kPage, FrameState::kChild, p->owner,
                          FrameState::kRoot, 0);
      }
      p->mapped_pages -= leaves[i].size / kPage;
    }
    budget = pages >= budget ? 0 : budget - pages;
  }
  if (p->mapped_pages > 0) return {RS_STATUS_PARTIAL};
  p->npt.destroy();  // tables back to the deposits
  // No CPU may keep a translation into the child once its frames are the root's again.
  machine_.flush_guest_tlbs();
  give_back_deposits(*p);
  const uint16_t index = static_cast<uint16_t>(p->owner - 1);
  p->~Partition();
  used_[index] = false;
  return {};
}

CallResult Partitions::query(uint64_t id, PartitionInfo& out) {
  SpinlockGuard guard(lock_);
  const Partition* p = find(id);
  if (p == nullptr) return {RS_STATUS_INVALID_PARTITION_ID};
  out.vps = p->vp_count;
  out.mapped_pages = p->mapped_pages;
  out.deposited_pages = p->deposits.free_count() + p->deposits.used_count();
  out.deposited_used = p->deposits.used_count();
  return {};
}

bool Partitions::read_child(const RunTicket& ticket, uint64_t gpa, void* out, uint64_t len) {
  SpinlockGuard guard(lock_);
  const Translation t = ticket.partition->npt.translate(gpa);
  if (!t || len > kPage - (t.phys & (kPage - 1))) return false;
  if (!table_.is(t.phys / kPage, FrameState::kChild, ticket.partition->owner)) return false;
  memcpy(
      out,
      static_cast<const uint8_t*>(machine_.frame(t.phys & ~(kPage - 1))) + (t.phys & (kPage - 1)),
      len);
  return true;
}

bool Partitions::write_root_page(uint64_t pa, uint64_t offset, const void* data, uint64_t len) {
  SpinlockGuard guard(lock_);
  if (offset > kPage || len > kPage - offset || !table_.is(pa / kPage, FrameState::kRoot, 0)) {
    return false;
  }
  memcpy(static_cast<uint8_t*>(machine_.frame(pa)) + offset, data, len);
  return true;
}

bool Partitions::read_root_page(uint64_t pa, void* out, uint64_t len) {
  SpinlockGuard guard(lock_);
  if (len > kPage || !table_.is(pa / kPage, FrameState::kRoot, 0)) return false;
  memcpy(out, machine_.frame(pa), len);
  return true;
}

void Partitions::check_invariants(rs_hc_invariants_output& out) {
  SpinlockGuard guard(lock_);
  out = rs_hc_invariants_output{};
  out.frames_total = table_.count_states(out.frames);
  auto violate = [&](uint32_t invariant, uint64_t pfn) {
    if (out.violations++ == 0) {
      out.first_violation = invariant;
      out.first_violation_frame = pfn * kPage;
    }
  };
  if (const uint64_t bad = table_.first_invalid_entry(); bad != ~uint64_t{0}) {
    violate(RS_INVARIANT_STATE_COUNTS, bad);
  }
  uint64_t run_pages = 0, child = 0, dep_free = 0, dep_used = 0;
  for (uint16_t i = 0; i < kCapacity; ++i) {
    if (!used_[i]) continue;
    Partition& p = *slot(i);
    ++out.partitions;
    out.vps += p.vp_count;
    uint64_t leaves = 0;
    p.npt.for_each_leaf([&](uint64_t, uint64_t pa, uint64_t size) {
      for (uint64_t off = 0; off < size; off += kPage) {
        ++leaves;
        if (!table_.is((pa + off) / kPage, FrameState::kChild, p.owner)) {
          violate(RS_INVARIANT_CHILD_MAPPING, (pa + off) / kPage);
        }
      }
    });
    const uint64_t owned_child = table_.count(FrameState::kChild, p.owner);
    if (leaves != owned_child) violate(RS_INVARIANT_CHILD_MAPPING, 0);
    if (leaves != p.mapped_pages) violate(RS_INVARIANT_COUNTERS, 0);
    if (table_.count(FrameState::kDepositedUsed, p.owner) != p.deposits.used_count() ||
        table_.count(FrameState::kDepositedFree, p.owner) != p.deposits.free_count()) {
      violate(RS_INVARIANT_DEPOSIT, 0);
    }
    uint32_t vps = 0;
    for (const ChildVp& vp : p.vps) {
      if (!vp.exists) continue;
      ++vps;
      if (!table_.is(vp.run_page_pa / kPage, FrameState::kRunPage, p.owner)) {
        violate(RS_INVARIANT_RUN_PAGE, vp.run_page_pa / kPage);
      }
      if (!table_.is(vp.state_pa / kPage, FrameState::kDepositedUsed, p.owner)) {
        violate(RS_INVARIANT_DEPOSIT, vp.state_pa / kPage);
      }
    }
    if (vps != p.vp_count || table_.count(FrameState::kRunPage, p.owner) != vps) {
      violate(RS_INVARIANT_RUN_PAGE, 0);
    }
    run_pages += vps;
    child += owned_child;
    dep_free += p.deposits.free_count();
    dep_used += p.deposits.used_count();
  }
  // Frames in per-partition states that no live partition accounts for (a leak).
  if (out.frames[RS_FRAME_RUN_PAGE] != run_pages) violate(RS_INVARIANT_RUN_PAGE, 0);
  if (out.frames[RS_FRAME_CHILD] != child) violate(RS_INVARIANT_CHILD_MAPPING, 0);
  if (out.frames[RS_FRAME_DEPOSITED_FREE] != dep_free ||
      out.frames[RS_FRAME_DEPOSITED_USED] != dep_used) {
    violate(RS_INVARIANT_DEPOSIT, 0);
  }
}

}  // namespace hv
