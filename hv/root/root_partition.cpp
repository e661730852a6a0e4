#include "root/root_partition.hpp"

#include <rootstock/milestone.hpp>

#include "arch/x86/lapic.hpp"
#include "arch/x86/msr.hpp"
#include "arch/x86/svm/svm_vcpu.hpp"
#include "arch/x86/svm/vmcb.hpp"
#include "console/log.hpp"
#include "cpu/smp.hpp"
#include "cpu/tlb_shootdown.hpp"
#include "lib/placement_new.hpp"
#include "lib/spinlock.hpp"
#include "mm/page_table.hpp"
#include "mm/paging_policy.hpp"
#include "panic.hpp"
#include "root/apic_startup.hpp"
#include "root/root_exits.hpp"
#include "root/root_memory.hpp"

extern "C" void* memset(void* dst, int c, size_t n);

namespace hv::root {
namespace {

using rootstock::MemoryRange;
using Npt = PageTable<NptPaging, SharedFrames>;

constexpr uint64_t kPage = 4096;
constexpr uint64_t k4GiB = 4ull << 30;
constexpr uint64_t kIopmBytes = 12 * 1024;
constexpr uint64_t kMsrpmBytes = 8 * 1024;
constexpr uint32_t kRootAsid = 1;
// Real-mode and long-mode segment attributes in the VMCB's packed form (APM 15.5.1).
constexpr uint16_t kAttrCode64 = 0xa9b;    // P, S, code RX accessed, L, G
constexpr uint16_t kAttrData = 0xc93;      // P, S, data RW accessed, D/B, G
constexpr uint16_t kAttrRealCode = 0x09b;  // P, S, code RX accessed
constexpr uint16_t kAttrRealData = 0x093;  // P, S, data RW accessed
constexpr uint16_t kAttrTss = 0x08b;       // P, busy 32/64-bit TSS
constexpr uint16_t kAttrLdt = 0x082;       // P, LDT
constexpr uint64_t kPatReset = 0x0007040600070406ull;

alignas(Npt) uint8_t g_npt_storage[sizeof(Npt)];

Npt& npt() {
  return *reinterpret_cast<Npt*>(g_npt_storage);
}

// Sets the intercept bits of `msr` in the MSR permission map (APM vol. 2, 15.11: two bits per
// MSR, read then write, in three 2 KiB vectors for 0x0-0x1fff, 0xc0000000-0xc0001fff and
// 0xc0010000-0xc0011fff).
void intercept_msr(uint8_t* msrpm, uint32_t msr, bool read, bool write) {
  uint32_t base = 0, offset = 0;
  if (msr <= 0x1fff) {
    base = 0;
  } else if (msr >= 0xc0000000 && msr <= 0xc0001fff) {
    base = 0xc0000000;
    offset = 0x800;
  } else if (msr >= 0xc0010000 && msr <= 0xc0011fff) {
    base = 0xc0010000;
    offset = 0x1000;
  } else {
    return;  // outside the map: always intercepted
  }
  const uint32_t bit = (msr - base) * 2;
  uint8_t& byte = msrpm[offset + bit / 8];
  if (read) byte = static_cast<uint8_t>(byte | (1u << (bit % 8)));
  if (write) byte = static_cast<uint8_t>(byte | (1u << (bit % 8 + 1)));
}

// Sets the intercept bits for `count` I/O ports from `port` (APM vol. 2, 15.10.1).
void intercept_ports(uint8_t* iopm, uint16_t port, unsigned count) {
  for (unsigned p = port; p < port + count && p <= 0xffff; ++p) {
    iopm[p / 8] = static_cast<uint8_t>(iopm[p / 8] | (1u << (p % 8)));
  }
}

// Maps [from, to) one to one, skipping every hv range and the trapped xAPIC page.
const char* map_identity(uint64_t from, uint64_t to) {
  uint64_t pos = from;
  while (pos < to) {
    uint64_t hole = to, hole_end = to;
    auto consider = [&](uint64_t base, uint64_t length) {
      const uint64_t b = base & ~(kPage - 1);
      const uint64_t e = (base + length + kPage - 1) & ~(kPage - 1);
      if (length != 0 && e > pos && b < hole) {
        hole = b < pos ? pos : b;
        hole_end = e;
      }
    };
    for (size_t i = 0; i < state().config.hv_count; ++i) {
      consider(state().config.hv_ranges[i].base, state().config.hv_ranges[i].length);
    }
    if (state().config.lapic_base != 0) consider(state().config.lapic_base, kPage);
    if (hole > pos && npt().map(pos, pos, hole - pos, PageFlags::kWritable) != PagingStatus::kOk) {
      return "out of hv memory for the root's nested page tables";
    }
    pos = hole_end;
  }
  return nullptr;
}

}  // namespace

bool canary_intact() {
  const auto* canary =
      static_cast<const volatile uint64_t*>(state().frames->to_pointer(state().canary_page));
  for (uint64_t i = 0; i < kPage / 8; ++i) {
    if (canary[i] != kCanaryPattern) return false;
  }
  return true;
}

RootState& state() {
  static RootState s;
  return s;
}

const char* prepare_root(const RootConfig& config, SharedFrames& frames) {
  RootState& s = state();
  s.config = config;
  s.frames = &frames;
  new (g_npt_storage) Npt(frames);
  if (npt().init() != PagingStatus::kOk) return "out of hv memory for the root's nested tables";

  // The xAPIC page holds the ICR: it stays trapped (apic_startup.hpp), as does the x2APIC ICR.
  uint64_t top = k4GiB;
  for (size_t i = 0; i < config.map_count; ++i) {
    if (config.map[i].end() > top) top = config.map[i].end();
  }
  top = (top + (1ull << 30) - 1) & ~((1ull << 30) - 1);
  s.mapped_top = top;
  if (const char* err = map_identity(0, top)) return err;

  // The canary: a page of hv's memory with a known pattern, which the root's protection
  // self-test tries to read and overwrite (CPUID 0x40000003 tells it whether that worked).
  if (!frames.allocate_zeroed(s.canary_page)) return "out of hv memory";
  auto* canary = static_cast<uint64_t*>(frames.to_pointer(s.canary_page));
  for (uint64_t i = 0; i < kPage / 8; ++i) canary[i] = kCanaryPattern;

  // The page every root read of hv memory sees: all ones, like an empty bus (root_exits.cpp).
  if (!frames.allocate_zeroed(s.void_page)) return "out of hv memory";
  memset(frames.to_pointer(s.void_page), 0xff, kPage);

  // I/O and MSR permission maps: everything passes but the few ports and MSRs hv needs.
  uint64_t iopm_pa = 0;
  for (uint64_t i = 0; i < kIopmBytes / kPage; ++i) {
    uint64_t pa = 0;
    if (!frames.allocate_zeroed(pa)) return "out of hv memory";
    if (i == 0) iopm_pa = pa;
    if (pa != iopm_pa + i * kPage) return "the I/O permission map is not contiguous";
  }
  uint64_t msrpm_pa = 0;
  for (uint64_t i = 0; i < kMsrpmBytes / kPage; ++i) {
    uint64_t pa = 0;
    if (!frames.allocate_zeroed(pa)) return "out of hv memory";
    if (i == 0) msrpm_pa = pa;
    if (pa != msrpm_pa + i * kPage) return "the MSR permission map is not contiguous";
  }
  s.iopm_pa = iopm_pa;
  s.msrpm_pa = msrpm_pa;
  auto* iopm = static_cast<uint8_t*>(frames.to_pointer(iopm_pa));
  auto* msrpm = static_cast<uint8_t*>(frames.to_pointer(msrpm_pa));
  if (config.power.acpi_s5) {
    intercept_ports(iopm, config.power.pm1a_control_port, 2);
    if (config.power.pm1b_control_port != 0) {
      intercept_ports(iopm, config.power.pm1b_control_port, 2);
    }
  }
  if (config.reset_port != 0) intercept_ports(iopm, config.reset_port, 1);
  using x86::Msr;
  intercept_msr(msrpm, static_cast<uint32_t>(Msr::kEfer), true, true);
  intercept_msr(msrpm, static_cast<uint32_t>(Msr::kVmCr), true, true);
  intercept_msr(msrpm, static_cast<uint32_t>(Msr::kVmHsavePa), true, true);
  intercept_msr(msrpm, kMsrSvmKey, true, true);
  intercept_msr(msrpm, static_cast<uint32_t>(Msr::kX2apicIcr), false, true);
  // hv's NMIs go through each CPU's APIC: the root may not disable or move it
  // (apic_base_policy.hpp). Reads pass.
  intercept_msr(msrpm, static_cast<uint32_t>(Msr::kApicBase), false, true);
  return nullptr;
}

PagingStatus map_for_root(uint64_t gpa, uint64_t pa, uint64_t length, bool writable) {
  SpinlockGuard guard(state().npt_lock);
  return npt().map(gpa, pa, length, writable ? PageFlags::kWritable : PageFlags::kNone);
}

bool unmap_for_root(uint64_t gpa, uint64_t length) {
  SpinlockGuard guard(state().npt_lock);
  // Emptied tables stay: giving the frames back (show_to_root) then needs no frame of hv's,
  // so it cannot fail, and reads of hidden frames map the void page without one either.
  return npt().unmap(gpa, length, EmptyTables::kKeep) == PagingStatus::kOk;
}

bool show_to_root(uint64_t pa) {
  uint64_t freed = 0;
  {
    SpinlockGuard guard(state().npt_lock);
    if (npt().map(pa, pa, kPage, PageFlags::kWritable) != PagingStatus::kOk) return false;
    // The split that hid this frame took a table from hv's pool; once its 2 MiB are the
    // root's again it goes back, or every deposit would keep a table for good (up to 2 MiB
    // of hv's pool per GiB of RAM).
    freed = npt().merge_small_pages(pa);
  }
  if (freed != 0) {
    // Another CPU may still walk through the old table: only after the flush may its frame
    // become anything else (a child's VMCB read as page-table entries would map it for the
    // root).
    flush_guest_tlbs_everywhere();
    state().frames->free(freed);
  }
  return true;
}

Translation root_translation(uint64_t gpa) {
  SpinlockGuard guard(state().npt_lock);
  return npt().translate(gpa);
}

bool in_hv_range(uint64_t gpa, uint64_t length) {
  const RootState& s = state();
  for (size_t i = 0; i < s.config.hv_count; ++i) {
    if (ranges_overlap(gpa, length, s.config.hv_ranges[i].base, s.config.hv_ranges[i].length)) {
      return true;
    }
  }
  return false;
}

namespace {

void init_vcpu(PerCpu& cpu, svm::SvmVcpu& vcpu) {
  RootState& s = state();
  uint64_t vmcb_pa = 0;
  if (!s.frames->allocate_zeroed(vmcb_pa)) panic("out of hv memory for cpu %u's VMCB", cpu.index);
  svm::SvmVcpuConfig c;
  c.vmcb = static_cast<svm::Vmcb*>(s.frames->to_pointer(vmcb_pa));
  c.vmcb_pa = vmcb_pa;
  c.host_vmcb_pa = cpu.host_vmcb_pa;
  c.iopm_pa = s.iopm_pa;
  c.msrpm_pa = s.msrpm_pa;
  c.nested_cr3 = npt().root();
  c.asid = kRootAsid;
  // NMIs come to hv first: TLB-flush requests between CPUs, or the root's, injected back
  // (cpu/tlb_shootdown.hpp).
  c.intercept3 = svm::intercept3::kCpuid | svm::intercept3::kNmi;
  vcpu.init(c);
}

GuestState long_mode_entry(const RootEntry& e) {
  GuestState g;
  g.cs = {layout::kBootCs, kAttrCode64, 0xffffffff, 0};
  const Segment data{layout::kBootDs, kAttrData, 0xffffffff, 0};
  g.ds = g.es = g.fs = g.gs = g.ss = data;
  g.tr = {0, kAttrTss, 0x67, 0};
  g.ldtr = {0, kAttrLdt, 0xffff, 0};
  g.gdtr = {e.gdt_base, e.gdt_limit};
  g.idtr = {0, 0};
  g.cr0 = kCr0Pe | kCr0Et | kCr0Ne | kCr0Pg;
  g.cr3 = e.cr3;
  g.cr4 = kCr4Pae;
  g.efer = x86::efer::kLme | x86::efer::kLma;
  g.rip = e.rip;
  g.rflags = kRflagsReserved;
  g.pat = kPatReset;
  return g;
}

}  // namespace

// An AP after INIT and STARTUP (Intel SDM 8.4.4, table 9-1 for the reset state): real mode at
// CS = vector << 8, IP = 0. CR0 keeps the caches enabled (CD/NW clear, unlike a true reset):
// the root's trampoline sets CR0 itself, and an uncached guest would crawl on real hardware.
GuestState real_mode_start(uint8_t vector) {
  GuestState g;
  const uint16_t sel = static_cast<uint16_t>(vector << 8);
  g.cs = {sel, kAttrRealCode, 0xffff, static_cast<uint64_t>(sel) << 4};
  const Segment data{0, kAttrRealData, 0xffff, 0};
  g.ds = g.es = g.fs = g.gs = g.ss = data;
  g.tr = {0, kAttrTss, 0xffff, 0};
  g.ldtr = {0, kAttrLdt, 0xffff, 0};
  g.gdtr = {0, 0xffff};
  g.idtr = {0, 0xffff};
  g.cr0 = kCr0Et;
  g.rip = 0;
  g.rflags = kRflagsReserved;
  g.pat = kPatReset;
  return g;
}

void run_root_bsp(PerCpu& cpu) {
  svm::SvmVcpu vcpu;
  init_vcpu(cpu, vcpu);
  vcpu.set_state(long_mode_entry(state().config.entry));
  vcpu.regs() = {};
  vcpu.regs().rsi = state().config.entry.rsi;
  log::info("root: entering Linux at 0x%lx on cpu %u (kernel at 0x%lx, initramfs %lu KiB)",
            state().config.entry.rip, cpu.index, state().config.entry.kernel_address,
            state().config.entry.initramfs_size / 1024);
  run_root_vcpu(cpu, vcpu);
}

void run_root_ap(PerCpu& cpu) {
  ApStartState& st = state().ap_state[cpu.index];
  svm::SvmVcpu vcpu;
  init_vcpu(cpu, vcpu);
  // Wait for the root's INIT, then its STARTUP (a second STARTUP finds this CPU running).
  while (st.init_received == 0 || st.sipi_vector == 0) {
    asm volatile("pause");
  }
  const auto vector = static_cast<uint8_t>(st.sipi_vector - 1);
  vcpu.set_state(real_mode_start(vector));
  vcpu.regs() = {};
  run_root_vcpu(cpu, vcpu);
}

}  // namespace hv::root
