#include "root/hypercalls.hpp"

#include "arch/x86/pit_tsc.hpp"
#include "arch/x86/xsave.hpp"
#include "console/log.hpp"
#include "cpu/smp.hpp"
#include "cpu/tlb_shootdown.hpp"
#include "hypercall/dispatch.hpp"
#include "lib/placement_new.hpp"
#include "mm/hv_address_space.hpp"
#include "root/child_run.hpp"
#include "root/root_exits.hpp"

namespace hv::root {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kLenVmmcall = 3;

// hv's machine: RAM through hv's identity map, deposits hidden in the root's nested tables.
class HvMachine final : public Machine {
 public:
  void* frame(uint64_t pa) override { return reinterpret_cast<void*>(pa); }
  bool hide_from_root(uint64_t pa) override { return unmap_for_root(pa, kPage); }
  bool show_to_root(uint64_t pa) override { return root::show_to_root(pa); }
  void flush_guest_tlbs() override { flush_guest_tlbs_everywhere(); }
  void kick_cpu(uint32_t index) override { hv::kick_cpu(index); }
};

struct Hypercalls {
  FrameTable table;
  HvMachine machine;
  svm::SvmChildArch* arch = nullptr;
  Partitions* partitions = nullptr;
  FrameAllocator* frames = nullptr;
  bool ready = false;
};

Hypercalls g_calls;
alignas(svm::SvmChildArch) uint8_t g_arch_storage[sizeof(svm::SvmChildArch)];
alignas(Partitions) uint8_t g_partitions_storage[sizeof(Partitions)];

uint64_t round_up_block(uint64_t bytes) {
  return (bytes + kBlockSize - 1) & ~(kBlockSize - 1);
}

// What CHECK_INVARIANTS found goes to hv's log too (docs/hypercalls.md CHECK_INVARIANTS).
void report_violations(const PerCpu& cpu) {
  const auto& out = *reinterpret_cast<const rs_hc_invariants_output*>(cpu.hypercall_out);
  if (out.violations == 0) return;
  log::error("CHECK_INVARIANTS: %lu violations, the first of invariant %u at frame 0x%lx",
             out.violations, out.first_violation, out.first_violation_frame);
}

}  // namespace

uint64_t frame_table_reservation(const rootstock::MemoryRange* map, size_t map_count) {
  return round_up_block(FrameTable::storage_bytes(FrameTable::frames_spanned(map, map_count)));
}

const char* init_hypercalls(const rootstock::MemoryRange* map, size_t map_count,
                            const rootstock::MemoryRange* hv_ranges, size_t hv_count,
                            FrameAllocator& frames, const svm::ChildMaps& child_maps) {
  const uint64_t entries = FrameTable::frames_spanned(map, map_count);
  const uint64_t blocks = round_up_block(FrameTable::storage_bytes(entries)) / kBlockSize;
  // Blocks come from the top of the reservation down, so consecutive ones are adjacent: the
  // lowest is the table's start. Anything else is a fragmented reservation.
  uint64_t lowest = 0, previous = 0;
  for (uint64_t i = 0; i < blocks; ++i) {
    uint64_t pa = 0;
    if (frames.allocate_block(pa) != FrameStatus::kOk) {
      return "no room for the frame table in hv's reservation";
    }
    if (i != 0 && pa + kBlockSize != previous) return "the frame table's blocks are not adjacent";
    previous = lowest = pa;
  }
  auto* storage = static_cast<uint16_t*>(frames.pointer_to(lowest));
  if (g_calls.table.init(storage, blocks * kBlockSize / 2, map, map_count, hv_ranges, hv_count) !=
      FrameTableStatus::kOk) {
    return "the frame table does not fit its storage";
  }
  for (uint32_t i = 0; i < cpu_count(); ++i) {
    if (frames.allocate_frame(cpu(i)->hypercall_in) != FrameStatus::kOk ||
        frames.allocate_frame(cpu(i)->hypercall_out) != FrameStatus::kOk ||
        frames.allocate_frame(cpu(i)->root_xsave) != FrameStatus::kOk) {
      return "out of hv memory for hypercalls";
    }
    log::debug("cpu %u: hypercall pages 0x%lx, 0x%lx, root vector state 0x%lx", i,
               cpu(i)->hypercall_in, cpu(i)->hypercall_out, cpu(i)->root_xsave);
  }
  // CPUID's XSAVE features, read once here while only this CPU runs hv code: the register calls
  // and every CPU's VP_RUN read them later without a race.
  (void)x86::xsave_features();
  g_calls.arch = new (g_arch_storage) svm::SvmChildArch(child_maps);
  g_calls.partitions =
      new (g_partitions_storage) Partitions(g_calls.table, g_calls.machine, *g_calls.arch);
  // KVM's min_timer_period_us default: a periodic LAPIC timer runs at most 5000 times a second.
  constexpr uint64_t kMinPeriodicUs = 200;
  g_calls.partitions->set_min_periodic_tsc(x86::tsc_khz() * kMinPeriodicUs / 1000);
  g_calls.frames = &frames;
  g_calls.ready = true;
  log::info("hypercalls: ABI %u.%u, frame table of %lu frames (%lu KiB)", RS_ABI_VERSION_MAJOR,
            RS_ABI_VERSION_MINOR, entries, FrameTable::storage_bytes(entries) / 1024);
  return nullptr;
}

Partitions& partitions() {
  return *g_calls.partitions;
}

Machine& hv_machine() {
  return g_calls.machine;
}

VpArch& child_arch() {
  return *g_calls.arch;
}

uint32_t hypercall_abi_version() {
  return g_calls.ready ? RS_ABI_VERSION : 0;
}

void handle_hypercall(PerCpu& cpu, svm::SvmVcpu& v) {
  GuestRegisters& r = v.regs();
  if (!g_calls.ready) {
    r.rax = RS_STATUS_INVALID_CALL_CODE;  // ABI version 0: no calls
  } else {
    hypercall::HypercallEnv env;
    env.partitions = g_calls.partitions;
    env.table = &g_calls.table;
    env.machine = &g_calls.machine;
    env.run_vp = run_child_vp;
    env.run_context = &cpu;
    env.hv_free_frames = g_calls.frames->free_frames();
    env.scratch_in = reinterpret_cast<void*>(cpu.hypercall_in);
    env.scratch_out = reinterpret_cast<void*>(cpu.hypercall_out);
    hypercall::HypercallRegisters regs{r.rax, r.rbx, r.rcx, r.rdx, r.rsi};
    hypercall::dispatch(env, regs);
    if ((r.rax & RS_HC_CONTROL_CODE_MASK) == RS_HC_CHECK_INVARIANTS &&
        RS_HC_RESULT_STATUS(regs.rax) == RS_STATUS_SUCCESS) {
      report_violations(cpu);
    }
    r.rax = regs.rax;
    r.rbx = regs.rbx;
    r.rcx = regs.rcx;
    r.rdx = regs.rdx;
    r.rsi = regs.rsi;
  }
  v.set_rip(v.rip() + kLenVmmcall);
}

}  // namespace hv::root
