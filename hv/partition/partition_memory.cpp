// Memory calls: MAP_GPA_RANGE, UNMAP_GPA_RANGE, DEPOSIT_MEMORY, WITHDRAW_MEMORY
// (docs/hypercalls.md §5, §6). Each checks every element of the invocation, then applies them,
// so an error changes nothing and names the failing element in `detail`.
#include "partition/partitions.hpp"

extern "C" void* memset(void* dst, int c, __SIZE_TYPE__ n);

namespace hv {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kLargePage = RS_HC_LARGE_PAGE_SIZE;
constexpr uint64_t kGpaLimit = 1ull << kChildGpaBits;

CallResult element_error(uint16_t status, uint16_t index) {
  return {status, uint64_t{index} + 1, 0};
}

// Tables a map of [first, last] needs in an empty tree: a PDPT per 512 GiB, a PD per GiB, a
// PT per 2 MiB with 4 KiB leaves, plus the PML4.
uint64_t tables_for_empty_tree(uint64_t first, uint64_t last, bool small) {
  uint64_t n = 1 + ((last >> 39) - (first >> 39) + 1) + ((last >> 30) - (first >> 30) + 1);
  if (small) n += (last >> 21) - (first >> 21) + 1;
  return n;
}

PageFlags npt_flags(uint32_t access) {
  // Reads are implied by presence (x86 cannot express write-only or execute-only pages).
  // Execute permission: NX in nested tables needs EFER.NXE in hv, which hv sets (entry.S); a
  // mapping without RS_ACCESS_EXECUTE faults on instruction fetch (an RS_EXIT_MEMORY).
  PageFlags f = PageFlags::kNone;
  if ((access & RS_ACCESS_WRITE) != 0) f = f | PageFlags::kWritable;
  if ((access & RS_ACCESS_EXECUTE) == 0) f = f | PageFlags::kNoExecute;
  return f;
}

}  // namespace

CallResult Partitions::map(const rs_hc_map_gpa_input& in, uint64_t input_pfn, uint16_t start,
                           uint16_t count) {
  if (in.reserved0 != 0 || in.reserved1 != 0 || (in.flags & ~RS_MAP_FLAGS_VALID) != 0) {
    return {RS_STATUS_RESERVED_NONZERO};
  }
  SpinlockGuard guard(lock_);
  Partition* p = nullptr;
  if (const uint16_t s = changeable(in.partition_id, p); s != RS_STATUS_SUCCESS) return {s};
  if ((in.flags & RS_ACCESS_READ) == 0) return {RS_STATUS_INVALID_PARAMETER};
  const bool large = (in.flags & RS_MAP_LARGE) != 0;
  const uint64_t size = large ? kLargePage : kPage;
  if ((in.gpa_base & (size - 1)) != 0) return {RS_STATUS_MISALIGNED};
  const uint64_t first = in.gpa_base + uint64_t{start} * size;
  const uint64_t total = static_cast<uint64_t>(count - start) * size;
  if (in.gpa_base >= kGpaLimit || first >= kGpaLimit || total > kGpaLimit - first) {
    return {RS_STATUS_GPA_OUT_OF_RANGE};
  }
  for (uint64_t a = first; a < first + total; a += kPage) {
    if (p->npt.translate(a)) return {RS_STATUS_GPA_OVERLAP};
  }
  // Elements: aligned root frames, none listed twice or being the input page. Moving each
  // frame to CHILD as it is checked finds duplicates (the second move fails); a failure moves
  // this invocation's frames back.
  const uint64_t frames_per = size / kPage;
  auto undo = [&](uint16_t upto, uint64_t partial_frames) {
    for (uint16_t i = start; i <= upto && i < count; ++i) {
      const uint64_t n = i == upto ? partial_frames : frames_per;
      for (uint64_t f = 0; f < n; ++f) {
        (void)table_.move(in.frames[i] / kPage + f, FrameState::kChild, p->owner, FrameState::kRoot,
                          0);
      }
    }
  };
  for (uint16_t i = start; i < count; ++i) {
    const uint64_t frame = in.frames[i];
    if ((frame & (size - 1)) != 0) {
      undo(i, 0);
      return element_error(RS_STATUS_MISALIGNED, i);
    }
    for (uint64_t f = 0; f < frames_per; ++f) {
      const uint64_t pfn = frame / kPage + f;
      if (pfn == 0 || pfn == input_pfn ||
          table_.move(pfn, FrameState::kRoot, 0, FrameState::kChild, p->owner) !=
              FrameTableStatus::kOk) {
        undo(i, f);
        return element_error(RS_STATUS_FRAME_NOT_OWNED, i);
      }
    }
  }
  // Memory for the tables, only once everything else passed.
  const uint64_t need = p->npt.initialized()
                            ? p->npt.tables_needed(first, total, !large)
                            : tables_for_empty_tree(first, first + total - 1, !large);
  if (!p->deposits.covers(need)) {
    undo(count, 0);
    return {RS_STATUS_INSUFFICIENT_MEMORY, need - p->deposits.free_count(), start};
  }
  if (!p->npt.initialized()) (void)p->npt.init();
  const PageFlags flags = npt_flags(in.flags);
  for (uint16_t i = start; i < count; ++i) {
    // Cannot fail: the arguments were checked and the tables counted.
    (void)p->npt.map(in.gpa_base + uint64_t{i} * size, in.frames[i], size, flags);
  }
  p->mapped_pages += total / kPage;
  return {RS_STATUS_SUCCESS, 0, count};
}

CallResult Partitions::unmap(uint64_t id, uint64_t gpa_base, uint64_t flags, uint16_t start,
                             uint16_t count) {
  if ((flags & ~uint64_t{RS_UNMAP_FLAGS_VALID}) != 0) return {RS_STATUS_RESERVED_NONZERO};
  SpinlockGuard guard(lock_);
  Partition* p = nullptr;
  if (const uint16_t s = changeable(id, p); s != RS_STATUS_SUCCESS) return {s};
  const uint64_t size = (flags & RS_MAP_LARGE) != 0 ? kLargePage : kPage;
  if ((gpa_base & (size - 1)) != 0) return {RS_STATUS_MISALIGNED};
  const uint64_t first = gpa_base + uint64_t{start} * size;
  const uint64_t total = static_cast<uint64_t>(count - start) * size;
  if (gpa_base >= kGpaLimit || first >= kGpaLimit || total > kGpaLimit - first) {
    return {RS_STATUS_GPA_OUT_OF_RANGE};
  }
  for (uint16_t i = start; i < count; ++i) {
    const uint64_t gpa = gpa_base + uint64_t{i} * size;
    const Translation t = p->npt.translate(gpa);
    if (!t || bytes(t.size) != size || (t.phys & (size - 1)) != 0) {
      return element_error(RS_STATUS_GPA_NOT_MAPPED, i);
    }
  }
  // Unmapping whole leaves never splits, so it needs no tables and cannot fail.
  for (uint16_t i = start; i < count; ++i) {
    const uint64_t gpa = gpa_base + uint64_t{i} * size;
    const uint64_t pa = p->npt.translate(gpa).phys;
    (void)p->npt.unmap(gpa, size);
    for (uint64_t off = 0; off < size; off += kPage) {
      (void)table_.move((pa + off) / kPage, FrameState::kChild, p->owner, FrameState::kRoot, 0);
    }
  }
  p->mapped_pages -= total / kPage;
  machine_.flush_guest_tlbs();
  return {RS_STATUS_SUCCESS, 0, count};
}

CallResult Partitions::deposit(const rs_hc_deposit_input& in, uint64_t input_pfn, uint16_t start,
                               uint16_t count) {
  if (in.reserved0 != 0) return {RS_STATUS_RESERVED_NONZERO};
  SpinlockGuard guard(lock_);
  Partition* p = nullptr;
  if (const uint16_t s = changeable(in.partition_id, p); s != RS_STATUS_SUCCESS) return {s};
  auto undo = [&](uint16_t upto) {
    for (uint16_t i = start; i < upto; ++i) {
      (void)table_.move(in.frames[i] / kPage, FrameState::kDepositedFree, p->owner,
                        FrameState::kRoot, 0);
    }
  };
  for (uint16_t i = start; i < count; ++i) {
    const uint64_t frame = in.frames[i];
    if ((frame & (kPage - 1)) != 0) {
      undo(i);
      return element_error(RS_STATUS_MISALIGNED, i);
    }
    const uint64_t pfn = frame / kPage;
    if (pfn == 0 || pfn == input_pfn ||
        table_.move(pfn, FrameState::kRoot, 0, FrameState::kDepositedFree, p->owner) !=
            FrameTableStatus::kOk) {
      undo(i);
      return element_error(RS_STATUS_FRAME_NOT_OWNED, i);
    }
  }
  for (uint16_t i = start; i < count; ++i) {
    if (!machine_.hide_from_root(in.frames[i])) {
      for (uint16_t j = start; j < i; ++j) (void)machine_.show_to_root(in.frames[j]);
      undo(count);
      return {RS_STATUS_LIMIT_REACHED};  // hv's own memory for the root's tables is gone
    }
  }
  // Before hv writes into the frames, no CPU may reach them through the root any more.
  machine_.flush_guest_tlbs();
  for (uint16_t i = start; i < count; ++i) p->deposits.add_free(in.frames[i]);
  return {RS_STATUS_SUCCESS, 0, count};
}

CallResult Partitions::withdraw(const rs_hc_withdraw_input& in, uint16_t start, uint16_t count,
                                rs_hc_withdraw_output& out) {
  if (in.reserved0 != 0) return {RS_STATUS_RESERVED_NONZERO};
  SpinlockGuard guard(lock_);
  Partition* p = nullptr;
  if (const uint16_t s = changeable(in.partition_id, p); s != RS_STATUS_SUCCESS) return {s};
  uint16_t i = start;
  uint64_t pa = 0;
  for (; i < count && p->deposits.take_free(pa); ++i) {
    memset(machine_.frame(pa), 0, kPage);
    (void)table_.move(pa / kPage, FrameState::kDepositedFree, p->owner, FrameState::kRoot, 0);
    (void)machine_.show_to_root(pa);
    out.frames[i] = pa;
  }
  return {RS_STATUS_SUCCESS, 0, i};
}

}  // namespace hv
