#include "vmm/virtio/chain_io.hpp"

#include <algorithm>

namespace rootstock::vmm::virtio {
namespace {

/// Calls `copy(gpa, at, n)` for each piece of the bytes [offset, offset + total) of `buffers`
/// (`at`: the piece's position in the caller's span), stopping at the first refusal.
template <typename Copy>
RamResult<size_t> for_each_piece(std::span<const ChainBuffer> buffers, uint64_t offset,
                                 size_t total, Copy copy) {
  size_t done = 0;
  for (const ChainBuffer& buffer : buffers) {
    if (done == total) break;
    if (offset >= buffer.len) {
      offset -= buffer.len;
      continue;
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buffer.len - offset, total - done));
    if (auto r = copy(buffer.gpa + offset, done, n); !r) return std::unexpected(r.error());
    done += n;
    offset = 0;
  }
  return done;
}

}  // namespace

RamResult<size_t> read_from_chain(const GuestRam& ram, const DescriptorChain& chain,
                                  uint64_t offset, std::span<uint8_t> out) {
  return for_each_piece(
      chain.readable(), offset, out.size(),
      [&](uint64_t gpa, size_t at, size_t n) { return ram.read(gpa, out.subspan(at, n)); });
}

RamResult<size_t> write_to_chain(GuestRam& ram, const DescriptorChain& chain, uint64_t offset,
                                 std::span<const uint8_t> data) {
  return for_each_piece(
      chain.writable(), offset, data.size(),
      [&](uint64_t gpa, size_t at, size_t n) { return ram.write(gpa, data.subspan(at, n)); });
}

}  // namespace rootstock::vmm::virtio
