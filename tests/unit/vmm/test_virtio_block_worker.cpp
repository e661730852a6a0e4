// virtio-blk with its worker thread (vmm/virtio/block_device.hpp, BlockIo::kWorker): a kick
// returns at once while the disk is still busy (a slow disk never holds the vCPU that kicked),
// the request completes on the worker, a signal of the kick fd alone serves the queue (what
// hvroot does for a doorbell), and reset() waits for the request in flight and stops the
// worker before it lets go of the queue.
#include <unistd.h>

#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/unit/eventually.hpp"
#include "tests/unit/vmm/memory_block_medium.hpp"
#include "tests/unit/vmm/virtio_block_bench.hpp"
#include "vmm/virtio/block_device.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;
using T = BlockRequestType;

namespace {

constexpr uint64_t kDiskBytes = 64 * 1024;
constexpr auto kPatience = std::chrono::seconds(10);

/// A disk in memory whose reads wait until the test opens the gate: a slow disk on demand.
class GatedMedium final : public BlockMedium {
 public:
  GatedMedium() : memory_(kDiskBytes, false) {
    for (size_t i = 0; i < memory_.bytes().size(); ++i) {
      memory_.bytes()[i] = static_cast<uint8_t>(i / 512);
    }
  }
  [[nodiscard]] uint64_t size() const override { return memory_.size(); }
  [[nodiscard]] bool read_only() const override { return false; }
  [[nodiscard]] MediumResult read(uint64_t offset, std::span<uint8_t> out) override {
    std::unique_lock lock(mutex_);
    ++reads_waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    --reads_waiting_;
    return memory_.read(offset, out);
  }
  [[nodiscard]] MediumResult write(uint64_t offset, std::span<const uint8_t> data) override {
    return memory_.write(offset, data);
  }
  [[nodiscard]] MediumResult flush() override { return memory_.flush(); }
  [[nodiscard]] MediumResult discard(uint64_t offset, uint64_t length) override {
    return memory_.discard(offset, length);
  }
  [[nodiscard]] MediumResult write_zeroes(uint64_t offset, uint64_t length, bool unmap) override {
    return memory_.write_zeroes(offset, length, unmap);
  }

  /// Waits until a read is blocked at the gate.
  bool wait_for_blocked_read() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [this] { return reads_waiting_ > 0; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  MemoryBlockMedium memory_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int reads_waiting_ = 0;
  bool open_ = false;
};

std::unique_ptr<BlockDevice> gated_disk(GatedMedium*& medium) {
  auto m = std::make_unique<GatedMedium>();
  medium = m.get();
  return std::make_unique<BlockDevice>(std::move(m), "worker-disk");
}

struct WorkerDisk {
  ~WorkerDisk() { device->reset(); }
  WorkerDisk() : device(gated_disk(medium)), bench(device->features()) {
    SplitVirtqueue* queues[] = {&bench.queue()};
    REQUIRE(device->activate(device->features(), queues, bench));
  }
  /// A one-sector read of sector `sector`.
  void send_read(uint64_t sector) {
    bench.send(
        {BlockPart::in(block_header(T::kIn, sector)), BlockPart::out(512), BlockPart::out(1)});
  }

  GatedMedium* medium = nullptr;
  std::unique_ptr<BlockDevice> device;
  BlockBench bench;
};

}  // namespace

TEST_CASE("virtio blk worker: a kick returns while the disk is busy; the worker completes it",
          "[virtio][blk]") {
  WorkerDisk d;
  CHECK(d.device->kick_fd(0) >= 0);
  CHECK(d.device->kick_fd(1) == -1);
  d.send_read(5);
  const auto before = std::chrono::steady_clock::now();
  d.device->notify(0);
  const auto kick_took = std::chrono::steady_clock::now() - before;
  REQUIRE(d.medium->wait_for_blocked_read());
  // The read is stuck in the medium, and the vCPU's notify() came back long ago.
  CHECK(kick_took < std::chrono::seconds(1));
  CHECK(d.bench.interrupts == 0);
  CHECK(d.bench.driver().used_idx() == 0);
  d.medium->open();
  REQUIRE(eventually([&] { return d.bench.interrupts == 1; }));
  CHECK(d.bench.driver().used(0).len == 513);
  CHECK(d.bench.part(1) == std::vector<uint8_t>(512, 5));
  CHECK(d.bench.status() == 0);
  CHECK(d.device->counters().reads == 1);
}

TEST_CASE("virtio blk worker: a signal of the kick fd alone serves the queue", "[virtio][blk]") {
  WorkerDisk d;
  d.medium->open();
  d.send_read(7);
  const uint64_t one = 1;
  // What hvroot's eventfd_signal() does for a doorbell: no notify() at all.
  REQUIRE(::write(d.device->kick_fd(0), &one, sizeof(one)) == sizeof(one));
  REQUIRE(eventually([&] { return d.bench.interrupts == 1; }));
  CHECK(d.bench.part(1) == std::vector<uint8_t>(512, 7));
}

TEST_CASE("virtio blk worker: reset waits for the request in flight, then nothing runs",
          "[virtio][blk]") {
  WorkerDisk d;
  d.send_read(1);
  d.device->notify(0);
  REQUIRE(d.medium->wait_for_blocked_read());
  std::atomic<bool> reset_done = false;
  std::thread resetter([&] {
    d.device->reset();
    reset_done = true;
  });
  // reset() cannot return while the worker is inside the medium.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(reset_done);
  d.medium->open();
  resetter.join();
  CHECK(d.bench.driver().used_idx() == 1);  // the request in flight finished first
  CHECK(d.device->kick_fd(0) == -1);
  // After the reset a kick serves nothing: the next request stays in the ring.
  d.send_read(2);
  d.device->notify(0);
  CHECK(d.bench.driver().used_idx() == 1);
  // Activated again, the worker takes the waiting request.
  SplitVirtqueue* queues[] = {&d.bench.queue()};
  REQUIRE(d.device->activate(d.device->features(), queues, d.bench));
  d.device->notify(0);
  REQUIRE(eventually([&] { return d.bench.driver().used_idx() == 2; }));
  CHECK(d.bench.part(1) == std::vector<uint8_t>(512, 2));
}
