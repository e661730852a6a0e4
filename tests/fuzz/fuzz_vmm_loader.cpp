// Fuzzes the child kernel loaders (vmm/loader/): the bzImage loader with its zero page
// (common/linux_boot) and the PVH ELF loader, each given an arbitrary kernel image, initramfs
// and command line and a guest RAM of 2 to 16 MiB.
//
// Input: byte 0 picks the loader (bit 0: PVH), the RAM size (bits 2:1: 2 << n MiB) and an RSDP
// (bit 3); byte 1 is the command line's length and bytes 2-3 the initramfs's (in 16-byte units),
// both taken from the end of the input; the rest is the kernel image.
// Checked: nothing is written outside guest RAM (a guard page sits on each side of it where the
// address space allows, and the loaders see RAM only through GuestMemory's checked spans); a
// load that succeeds puts every part inside RAM; the PVH parser's segments lie inside the file
// and is_pvh_elf() agrees with it.
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string_view>

#include "vmm/guest_memory.hpp"
#include "vmm/loader/linux_loader.hpp"
#include "vmm/loader/pvh_loader.hpp"

using namespace rootstock::vmm;

namespace {

constexpr size_t kHeader = 4;
constexpr uint64_t kPage = GuestMemory::kPageSize;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// An inaccessible page at `at`, unless something is mapped there already.
void guard(uint8_t* at) {
  void* p = mmap(at, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED) std::fprintf(stderr, "fuzz_vmm_loader: no guard page at %p\n", at);
}

// Guest RAM of 2 << index MiB, allocated once (its contents do not matter to the loaders).
GuestMemory& ram(unsigned index) {
  static std::unique_ptr<GuestMemory> rams[4];
  if (!rams[index]) {
    auto m = GuestMemory::allocate(0, (uint64_t{2} << index) << 20);
    check(m.has_value());
    rams[index] = std::make_unique<GuestMemory>(std::move(*m));
    const std::span<uint8_t> host = rams[index]->host();
    guard(host.data() - kPage);
    guard(host.data() + host.size());
  }
  return *rams[index];
}

bool inside(const GuestMemory& m, uint64_t gpa, uint64_t length) {
  return m.contains(gpa, length);
}

void check_pvh_parse(std::span<const uint8_t> file) {
  auto elf = loader::parse_pvh_elf(file);
  check(loader::is_pvh_elf(file) == elf.has_value());
  if (!elf) {
    check(!describe(elf.error()).empty());
    return;
  }
  bool entry_inside = false;
  for (const loader::PvhSegment& s : elf->segments) {
    check(s.offset <= file.size() && s.filesz <= file.size() - s.offset);
    check(s.memsz > 0 && s.filesz <= s.memsz && s.paddr + s.memsz > s.paddr);
    if (elf->entry >= s.paddr && elf->entry - s.paddr < s.filesz) entry_inside = true;
  }
  check(entry_inside);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeader) return 0;
  const bool pvh = (data[0] & 1) != 0;
  GuestMemory& m = ram((data[0] >> 1) & 3);
  const uint64_t rsdp = (data[0] & 8) != 0 ? 0xe0000 : 0;
  std::span<const uint8_t> rest(data + kHeader, size - kHeader);
  const size_t cmdline_length = data[1] < rest.size() ? data[1] : rest.size();
  const std::string_view cmdline(
      reinterpret_cast<const char*>(rest.data()) + rest.size() - cmdline_length, cmdline_length);
  rest = rest.first(rest.size() - cmdline_length);
  const size_t initramfs_length =
      std::min<size_t>((size_t{data[2]} | size_t{data[3]} << 8) * 16, rest.size());
  const std::span<const uint8_t> initramfs = rest.last(initramfs_length);
  const std::span<const uint8_t> kernel = rest.first(rest.size() - initramfs_length);

  if (pvh) {
    check_pvh_parse(kernel);
    auto loaded = loader::load_pvh(m, {kernel, initramfs, cmdline, rsdp});
    if (!loaded) {
      check(!describe(loaded.error()).empty());
      return 0;
    }
    check(loaded->kernel_start < loaded->kernel_end &&
          inside(m, loaded->kernel_start, loaded->kernel_end - loaded->kernel_start));
    check(loaded->entry >= loaded->kernel_start && loaded->entry < loaded->kernel_end);
    check(inside(m, loaded->start_info, kPage));
    if (!initramfs.empty()) check(inside(m, loaded->initramfs_address, initramfs.size()));
    check(!loaded->registers.empty());
    return 0;
  }
  auto loaded = loader::load_linux(m, {kernel, initramfs, cmdline, rsdp});
  if (!loaded) {
    check(!describe(loaded.error()).empty());
    return 0;
  }
  check(loaded->kernel_address >= loader::layout::kHighRam && inside(m, loaded->kernel_address, 1));
  check(inside(m, loaded->entry, 1));
  if (!initramfs.empty()) check(inside(m, loaded->initramfs_address, initramfs.size()));
  check(!loaded->registers.empty());
  return 0;
}
