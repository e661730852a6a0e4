// Fuzzes hv's boot-information parsers (rootstock/boot/): the Multiboot2 information structure
// GRUB passes and the PVH hvm_start_info QEMU's -kernel passes.
//
// Input: byte 0 picks the parser (bit 0: PVH, else Multiboot2); the rest is physical memory at
// kBase, where the structure starts. Its pointers (PVH command line, module list, memory map)
// reach other bytes of the input when they point into [kBase, kBase + size); every other
// address is unreadable.
// Checked: nothing is read outside the reader (ASan); the result is a status describe() knows,
// and on success the memory map is sorted, non-overlapping and non-empty, and the command
// lines fit their storage.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <rootstock/boot/boot_info.hpp>
#include <rootstock/boot/multiboot2.hpp>
#include <rootstock/boot/pvh.hpp>

using namespace rootstock;

namespace {

// 8-byte aligned, as both protocols align their structures.
constexpr uint64_t kBase = 0x10000;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

class Memory final : public boot::PhysReader {
 public:
  Memory(const uint8_t* bytes, size_t size) : bytes_(bytes), size_(size) {}
  bool read(uint64_t paddr, void* out, size_t len) const override {
    if (paddr < kBase || paddr - kBase > size_ || len > size_ - (paddr - kBase)) return false;
    if (len != 0) std::memcpy(out, bytes_ + (paddr - kBase), len);
    return true;
  }

 private:
  const uint8_t* bytes_;
  size_t size_;
};

void check_info(const boot::BootInfo& info) {
  check(info.memory_count > 0);
  for (size_t i = 0; i < info.memory_count; ++i) {
    const MemoryRange& r = info.memory[i];
    check(r.length != 0 && r.base + r.length - 1 >= r.base);
    if (i > 0) {
      const MemoryRange& p = info.memory[i - 1];
      check(p.base + p.length <= r.base);
    }
  }
  check(info.cmdline_length < sizeof(info.cmdline_storage));
  for (size_t i = 0; i < info.module_count; ++i) {
    check(info.modules[i].cmdline_length < sizeof(info.modules[i].cmdline_storage));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // A heap copy of exactly the structure's bytes: a read past them is an ASan report.
  const size_t length = size - 1;
  auto* bytes = new uint8_t[length == 0 ? 1 : length];
  if (length != 0) std::memcpy(bytes, data + 1, length);
  const Memory memory(bytes, length);

  static boot::BootInfo info;  // large: kept off the stack
  const boot::Status status = (data[0] & 1) != 0 ? boot::parse_pvh(memory, kBase, info)
                                                 : boot::parse_multiboot2(memory, kBase, info);
  check(boot::describe(status) != nullptr);
  if (status == boot::Status::kOk) check_info(info);
  delete[] bytes;
  return 0;
}
