// The virtio-blk device (vmm/virtio/block_device.hpp, virtio 1.2 5.2) over fake guest RAM and
// a scripted driver: reads, writes, flushes, discards and write-zeroes (in memory, and on a
// sparse file whose blocks go down), GET_ID, a read-only disk, the configuration space, and
// bad requests failing alone while the queue goes on.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tests/unit/vmm/memory_block_medium.hpp"
#include "tests/unit/vmm/virtio_block_bench.hpp"
#include "vmm/virtio/block_device.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;
using T = BlockRequestType;

namespace {

constexpr uint64_t kDiskBytes = 1024 * 1024;
constexpr uint8_t kOk = 0;
constexpr uint8_t kIoErr = 1;
constexpr uint8_t kUnsupp = 2;

/// A device on `medium`, activated with everything it offers on a bench's queue, serving each
/// request inside notify() (test_virtio_block_worker.cpp has the worker thread).
struct Disk {
  explicit Disk(std::unique_ptr<BlockMedium> m, std::string id = "rootstock-disk-0")
      : medium(m.get()),
        device(std::move(m), std::move(id), BlockIo::kInline),
        bench(device.features()) {
    SplitVirtqueue* queues[] = {&bench.queue()};
    REQUIRE(device.activate(device.features(), queues, bench));
  }
  /// Sends one request, notifies, and returns the used length.
  uint32_t run(const std::vector<BlockPart>& parts) {
    const uint16_t idx = bench.driver().used_idx();
    const uint16_t head = bench.send(parts);
    device.notify(0);
    REQUIRE(bench.driver().used_idx() == static_cast<uint16_t>(idx + 1));
    auto used = bench.driver().used(idx);
    CHECK(used.id == head);
    return used.len;
  }

  BlockMedium* medium;
  BlockDevice device;
  BlockBench bench;
};

std::unique_ptr<MemoryBlockMedium> memory_disk(bool read_only = false) {
  auto m = std::make_unique<MemoryBlockMedium>(kDiskBytes, read_only);
  for (size_t i = 0; i < m->bytes().size(); ++i) m->bytes()[i] = static_cast<uint8_t>(i / 512);
  return m;
}

MemoryBlockMedium& memory(Disk& d) {
  return *static_cast<MemoryBlockMedium*>(d.medium);
}

}  // namespace

TEST_CASE("virtio blk device: features, and capacity in the configuration space", "[virtio][blk]") {
  Disk d(memory_disk());
  const uint64_t f = d.device.features();
  CHECK((f & kFeatureVersion1) != 0);
  CHECK((f & block_feature_mask(BlockFeatureBit::kFlush)) != 0);
  CHECK((f & block_feature_mask(BlockFeatureBit::kDiscard)) != 0);
  CHECK((f & block_feature_mask(BlockFeatureBit::kWriteZeroes)) != 0);
  CHECK((f & block_feature_mask(BlockFeatureBit::kReadOnly)) == 0);
  CHECK(d.device.type() == DeviceType::kBlock);
  CHECK(d.device.config_size() == 72);
  uint8_t bytes[8] = {};
  d.device.read_config(0, bytes);
  uint64_t capacity = 0;
  memcpy(&capacity, bytes, 8);
  CHECK(capacity == kDiskBytes / 512);
  uint32_t seg_max = 0;
  d.device.read_config(12, std::span(reinterpret_cast<uint8_t*>(&seg_max), 4));
  CHECK(seg_max == BlockDevice::kQueueSize - 2);
  // Past the end: zeros.
  uint8_t tail[8];
  d.device.read_config(68, tail);
  CHECK(tail[4] == 0);
  d.device.read_config(0xffffffff, tail);
  CHECK(tail[0] == 0);
}

TEST_CASE("virtio blk device: read and write", "[virtio][blk]") {
  Disk d(memory_disk());
  CHECK(d.run({BlockPart::in(block_header(T::kIn, 3)), BlockPart::out(512), BlockPart::out(513)}) ==
        1025);
  CHECK(d.bench.status() == kOk);
  CHECK(d.bench.part(1) == std::vector<uint8_t>(512, 3));
  CHECK(d.bench.part(2)[511] == 4);
  CHECK(d.bench.interrupts == 1);

  std::vector<uint8_t> data(3 * 512, 0xab);
  CHECK(d.run({BlockPart::in(block_header(T::kOut, 100)), BlockPart::in(data),
               BlockPart::out(1)}) == 1);
  CHECK(d.bench.status() == kOk);
  CHECK(memory(d).bytes()[100 * 512] == 0xab);
  CHECK(memory(d).bytes()[103 * 512 - 1] == 0xab);
  CHECK(memory(d).bytes()[103 * 512] == 103);
  CHECK(d.device.counters().reads == 1);
  CHECK(d.device.counters().writes == 1);
  CHECK(d.device.counters().bytes_read == 1024);
  CHECK(d.device.counters().bytes_written == 1536);
}

TEST_CASE("virtio blk device: a large read goes through the bounce buffer in pieces",
          "[virtio][blk]") {
  Disk d(memory_disk());
  CHECK(d.run({BlockPart::in(block_header(T::kIn, 10)), BlockPart::out(200 * 1024),
               BlockPart::out(1)}) == 200 * 1024 + 1);
  auto got = d.bench.part(1);
  for (size_t s = 0; s < 400; ++s) REQUIRE(got[s * 512] == static_cast<uint8_t>(10 + s));
}

TEST_CASE("virtio blk device: flush reaches the medium", "[virtio][blk]") {
  Disk d(memory_disk());
  CHECK(d.run({BlockPart::in(block_header(T::kFlush, 0)), BlockPart::out(1)}) == 1);
  CHECK(d.bench.status() == kOk);
  CHECK(memory(d).flushes == 1);
}

TEST_CASE("virtio blk device: flush not negotiated is UNSUPP", "[virtio][blk]") {
  auto m = memory_disk();
  auto* medium = m.get();
  BlockDevice device(std::move(m), "x", BlockIo::kInline);
  BlockBench bench;
  SplitVirtqueue* queues[] = {&bench.queue()};
  REQUIRE(device.activate(kFeatureVersion1, queues, bench));
  bench.send({BlockPart::in(block_header(T::kFlush, 0)), BlockPart::out(1)});
  device.notify(0);
  CHECK(bench.status() == kUnsupp);
  CHECK(medium->flushes == 0);
  bench.send({BlockPart::in(block_header(T::kDiscard, 0)),
              BlockPart::in(block_segments({{0, 8, 0}})), BlockPart::out(1)});
  device.notify(0);
  CHECK(bench.status() == kUnsupp);
  CHECK(device.counters().unsupported == 2);
}

TEST_CASE("virtio blk device: discard and write-zeroes in memory", "[virtio][blk]") {
  Disk d(memory_disk());
  d.run({BlockPart::in(block_header(T::kDiscard, 0)),
         BlockPart::in(block_segments({{8, 8, 0}, {32, 1, 0}})), BlockPart::out(1)});
  CHECK(d.bench.status() == kOk);
  CHECK(memory(d).bytes()[8 * 512] == 0);
  CHECK(memory(d).bytes()[32 * 512 + 511] == 0);
  CHECK(memory(d).bytes()[33 * 512] == 33);
  d.run({BlockPart::in(block_header(T::kWriteZeroes, 0)),
         BlockPart::in(block_segments({{40, 2, kBlockSegmentUnmap}})), BlockPart::out(1)});
  CHECK(d.bench.status() == kOk);
  CHECK(memory(d).bytes()[41 * 512] == 0);
  CHECK(memory(d).bytes()[42 * 512] == 42);
  CHECK(d.device.counters().discards == 1);
  CHECK(d.device.counters().write_zeroes == 1);
}

TEST_CASE("virtio blk device: GET_ID answers the serial, NUL-padded", "[virtio][blk]") {
  Disk d(memory_disk(), "serial-42");
  CHECK(d.run({BlockPart::in(block_header(T::kGetId, 0)), BlockPart::out(20), BlockPart::out(1)}) ==
        21);
  CHECK(d.bench.status() == kOk);
  auto id = d.bench.part(1);
  CHECK(std::string(id.begin(), id.begin() + 9) == "serial-42");
  CHECK(id[9] == 0);
  CHECK(id[19] == 0);
  // A serial longer than 20 bytes is cut, without a NUL.
  Disk l(memory_disk(), "0123456789abcdefghijKLM");
  l.run({BlockPart::in(block_header(T::kGetId, 0)), BlockPart::out(21)});
  auto long_id = l.bench.part(1);
  CHECK(std::string(long_id.begin(), long_id.begin() + 20) == "0123456789abcdefghij");
}

TEST_CASE("virtio blk device: a read-only disk refuses writes, discards and write-zeroes",
          "[virtio][blk]") {
  Disk d(memory_disk(true));
  CHECK((d.device.features() & block_feature_mask(BlockFeatureBit::kReadOnly)) != 0);
  CHECK((d.device.features() & block_feature_mask(BlockFeatureBit::kDiscard)) == 0);
  d.run({BlockPart::in(block_header(T::kOut, 0)), BlockPart::in(std::vector<uint8_t>(512, 9)),
         BlockPart::out(1)});
  CHECK(d.bench.status() == kIoErr);
  CHECK(memory(d).bytes()[0] == 0);
  for (T type : {T::kDiscard, T::kWriteZeroes}) {
    d.run({BlockPart::in(block_header(type, 0)), BlockPart::in(block_segments({{0, 8, 0}})),
           BlockPart::out(1)});
    CHECK(d.bench.status() == kIoErr);
  }
  CHECK(memory(d).bytes()[512] == 1);
  d.run({BlockPart::in(block_header(T::kIn, 1)), BlockPart::out(513)});
  CHECK(d.bench.status() == kOk);
  CHECK(d.device.counters().errors == 3);
}

TEST_CASE("virtio blk device: another medium while the driver runs", "[virtio][blk]") {
  Disk d(memory_disk());
  auto bigger = std::make_unique<MemoryBlockMedium>(2 * kDiskBytes, false);
  bigger->bytes()[kDiskBytes + 7] = 0x5a;  // beyond the old end
  REQUIRE(d.device.replace_medium(std::move(bigger)));
  CHECK(d.bench.config_changes == 1);
  CHECK(d.device.medium_replacements() == 1);
  CHECK(d.device.config().capacity == 2 * kDiskBytes / 512);
  uint64_t capacity = 0;
  d.device.read_config(0, std::span(reinterpret_cast<uint8_t*>(&capacity), 8));
  CHECK(capacity == 2 * kDiskBytes / 512);
  // The next request goes to the new medium, past the old end too.
  CHECK(d.run({BlockPart::in(block_header(T::kIn, kDiskBytes / 512)), BlockPart::out(512),
               BlockPart::out(1)}) == 513);
  CHECK(d.bench.status() == kOk);
  CHECK(d.bench.part(1)[7] == 0x5a);

  // Read-only-ness is negotiated: a medium that differs is refused and nothing changes.
  auto refused = d.device.replace_medium(std::make_unique<MemoryBlockMedium>(kDiskBytes, true));
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == "the disk is writable: its new medium must be too");
  CHECK(d.device.replace_medium(nullptr).error() == "no medium");
  CHECK(d.device.config().capacity == 2 * kDiskBytes / 512);
  CHECK(d.bench.config_changes == 1);
  CHECK(d.device.medium_replacements() == 1);
}

TEST_CASE("virtio blk device: past the end, a failing medium, an unknown type", "[virtio][blk]") {
  Disk d(memory_disk());
  CHECK(d.run({BlockPart::in(block_header(T::kIn, kDiskBytes / 512)), BlockPart::out(513)}) == 1);
  CHECK(d.bench.status() == kIoErr);
  CHECK_FALSE(d.device.last_error().empty());
  d.run({BlockPart::in(block_header(static_cast<T>(77), 0)), BlockPart::out(1)});
  CHECK(d.bench.status() == kUnsupp);
  memory(d).fail = true;
  CHECK(d.run({BlockPart::in(block_header(T::kIn, 0)), BlockPart::out(513)}) == 1);
  CHECK(d.bench.status() == kIoErr);
  CHECK(d.device.last_error() == "the medium failed");
}

TEST_CASE("virtio blk device: malformed chains fail alone, the good ones around them complete",
          "[virtio][blk]") {
  Disk d(memory_disk());
  BlockBench& b = d.bench;
  const uint16_t idx = b.driver().used_idx();
  // A good read; a chain with no status byte; a loop; a header too short; another good read.
  b.send({BlockPart::in(block_header(T::kIn, 1)), BlockPart::out(513)});
  b.send({BlockPart::in(block_header(T::kIn, 1))});
  const uint16_t loop = b.send({BlockPart::in(block_header(T::kIn, 1)), BlockPart::out(513)});
  b.driver().desc(loop + 1u, 0x204000, 513, kWriteNext, loop);
  b.send({BlockPart::in({1, 2, 3}), BlockPart::out(1)});
  b.send({BlockPart::in(block_header(T::kIn, 2)), BlockPart::out(513)});
  d.device.notify(0);
  REQUIRE(b.driver().used_idx() == static_cast<uint16_t>(idx + 5));
  CHECK(b.driver().used(idx).len == 513);
  CHECK(b.driver().used(idx + 1u).len == 0);
  CHECK(b.driver().used(idx + 2u).len == 0);
  CHECK(b.driver().used(idx + 3u).len == 1);
  CHECK(b.driver().used(idx + 4u).len == 513);
  CHECK(b.status() == kOk);
  CHECK(b.part(1)[0] == 2);
  CHECK(b.resets == 0);
  CHECK(d.device.counters().errors == 3);
}

TEST_CASE("virtio blk device: a broken ring asks for a reset", "[virtio][blk]") {
  Disk d(memory_disk());
  d.bench.driver().set_avail_idx(200);  // more than the queue size ahead
  d.device.notify(0);
  CHECK(d.bench.resets == 1);
  d.device.reset();
  d.device.notify(0);  // nothing to serve after a reset
  CHECK(d.bench.resets == 1);
}

TEST_CASE("virtio blk device: a sparse file, punched and zeroed", "[virtio][blk]") {
  char path[] = "/tmp/rootstock-blk-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  // 4 MiB, the first 2 MiB written, and a tail that is not a whole sector.
  std::vector<uint8_t> ones(2 * 1024 * 1024, 0x5a);
  REQUIRE(pwrite(fd, ones.data(), ones.size(), 0) == static_cast<ssize_t>(ones.size()));
  REQUIRE(ftruncate(fd, 4 * 1024 * 1024 + 100) == 0);
  auto medium = FileMedium::open(path, false);
  REQUIRE(medium);
  CHECK((*medium)->size() == 4 * 1024 * 1024);
  Disk d(std::move(*medium));
  CHECK(d.device.config().capacity == 8192);
  auto blocks = [&] {
    struct stat st{};
    REQUIRE(fstat(fd, &st) == 0);
    return st.st_blocks;
  };
  const auto before = blocks();

  // Write and read back through the device, then flush.
  d.run({BlockPart::in(block_header(T::kOut, 4096)), BlockPart::in(std::vector<uint8_t>(512, 7)),
         BlockPart::out(1)});
  CHECK(d.bench.status() == kOk);
  d.run({BlockPart::in(block_header(T::kFlush, 0)), BlockPart::out(1)});
  CHECK(d.bench.status() == kOk);
  d.run({BlockPart::in(block_header(T::kIn, 4096)), BlockPart::out(513)});
  CHECK(d.bench.part(1)[511] == 7);

  // Discard 1 MiB: it reads as zeros and the file's blocks go down.
  d.run({BlockPart::in(block_header(T::kDiscard, 0)), BlockPart::in(block_segments({{0, 2048, 0}})),
         BlockPart::out(1)});
  CHECK(d.bench.status() == kOk);
  const auto after_discard = blocks();
  CHECK(after_discard < before);
  d.run({BlockPart::in(block_header(T::kIn, 100)), BlockPart::out(4097)});
  CHECK(d.bench.part(1) == std::vector<uint8_t>(4097, 0));
  // Write-zeroes with unmap frees blocks too; without, the range reads zero.
  d.run({BlockPart::in(block_header(T::kWriteZeroes, 0)),
         BlockPart::in(block_segments({{2048, 1024, kBlockSegmentUnmap}, {3072, 8, 0}})),
         BlockPart::out(1)});
  CHECK(d.bench.status() == kOk);
  CHECK(blocks() < after_discard);
  d.run({BlockPart::in(block_header(T::kIn, 3072)), BlockPart::out(4096), BlockPart::out(1)});
  CHECK(d.bench.part(1) == std::vector<uint8_t>(4096, 0));
  d.run({BlockPart::in(block_header(T::kIn, 3080)), BlockPart::out(513)});
  CHECK(d.bench.part(1)[0] == 0x5a);
  close(fd);
  unlink(path);
}

TEST_CASE("virtio blk device: FileMedium refusals", "[virtio][blk]") {
  auto missing = FileMedium::open("/nonexistent/rootstock-disk", false);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("cannot open /nonexistent/rootstock-disk") == 0);
  auto dir = FileMedium::open("/tmp", true);
  REQUIRE_FALSE(dir);
  CHECK(dir.error().find("neither a file nor a block device") != std::string::npos);
}
