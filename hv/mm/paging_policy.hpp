// The two kinds of page tables hv builds from the same template (page_table.hpp): its own
// (loaded into CR3) and AMD nested page tables (nCR3 in a VMCB). They differ only in the
// non-leaf bits, the bits forced into every leaf and what an input address is.
#pragma once

#include <stdint.h>

#include "mm/page_table_entry.hpp"

namespace hv {

/// hv's own tables: input addresses are canonical 48-bit virtual addresses (either half,
/// APM vol. 2, 5.3.1), and nothing is accessible from CPL 3 unless a caller asks for it.
struct HvPaging {
  static constexpr const char* kName = "hv";
  /// Non-leaf entries grant everything: R/W and U/S combine as the most restrictive along the
  /// walk and NX as any-set (APM vol. 2, 5.6 "Page-Protection Checks"), so the leaf alone
  /// decides. U/S stays clear: hv runs no user code.
  static constexpr uint64_t kTableEntryBits = bit(EntryBit::kPresent) | bit(EntryBit::kWritable);
  /// Flags added to every leaf.
  static constexpr PageFlags kLeafForced = PageFlags::kNone;
  /// Inputs are sign-extended virtual addresses; the upper half is valid.
  static constexpr bool kCanonicalInput = true;
};

/// AMD nested page tables: input addresses are guest-physical, below 2^48 with 4 levels.
/// APM vol. 2, 15.25.5 "Nested Table Walk": all guest accesses through the nested tables are
/// treated as user accesses, so U/S must be set at every level or the guest faults on its
/// own RAM. Memory types come from the nested PAT/PCD/PWT bits (translated through hv's
/// PAT MSR) and are combined with the guest's own type (APM vol. 2, 15.25.8 "Combining
/// Memory Types, MTRRs").
struct NptPaging {
  static constexpr const char* kName = "npt";
  static constexpr uint64_t kTableEntryBits =
      bit(EntryBit::kPresent) | bit(EntryBit::kWritable) | bit(EntryBit::kUser);
  static constexpr PageFlags kLeafForced = PageFlags::kUser;
  static constexpr bool kCanonicalInput = false;
};

}  // namespace hv
