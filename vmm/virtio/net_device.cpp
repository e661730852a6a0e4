#include "vmm/virtio/net_device.hpp"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/net_tx.hpp"
#include "vmm/virtio/queue_loop.hpp"

namespace rootstock::vmm::virtio {
namespace {

/// Packets the receive thread moves under one hold of the lock, so that transmit waits for
/// a batch at most.
constexpr int kReceiveBatch = 64;

/// The events that say an fd will never become readable again.
constexpr short kHangUp = POLLHUP | POLLERR | POLLNVAL;

}  // namespace

NetDevice::NetDevice(std::unique_ptr<PacketPort> port, const MacAddress& mac, NetTransmit transmit)
    : port_(std::move(port)),
      transmit_(transmit),
      rx_packet_(kMaxPacketBytes + 1),
      tx_packet_(kMaxPacketBytes) {
  config_.mac = mac;
  config_.status = static_cast<uint16_t>(NetStatus::kLinkUp);
  config_.max_virtqueue_pairs = 1;
  config_.speed = kNetSpeedUnknown;
  config_.duplex = kNetDuplexUnknown;
}

NetDevice::~NetDevice() {
  stop_receiving();
}

uint64_t NetDevice::features() const {
  uint64_t features = kFeatureVersion1 | feature_mask(FeatureBit::kIndirectDesc) |
                      feature_mask(FeatureBit::kEventIdx) | net_feature_mask(NetFeatureBit::kMac) |
                      net_feature_mask(NetFeatureBit::kStatus) |
                      net_feature_mask(NetFeatureBit::kMrgRxbuf);
  if (port_->carries_offloads()) features |= kNetOffloadFeatures;
  if (mtu_offered_) features |= net_feature_mask(NetFeatureBit::kMtu);
  return features;
}

void NetDevice::offer_mtu(uint16_t mtu) {
  constexpr uint16_t kMinMtu = 68;
  config_.mtu = std::max(mtu, kMinMtu);
  mtu_offered_ = true;
}

uint16_t NetDevice::max_queue_size(uint16_t queue) const {
  return queue == kReceiveQueue || queue == kTransmitQueue ? kQueueSize : 0;
}

void NetDevice::read_config(uint32_t offset, std::span<uint8_t> out) const {
  read_config_bytes(config_, offset, out);
}

void NetDevice::write_config(uint32_t, std::span<const uint8_t>) {}

bool NetDevice::activate(uint64_t features, std::span<SplitVirtqueue*> queues, DeviceLink& link) {
  stop_receiving();  // activated twice without a reset: the old thread goes first
  auto refuse = [&](std::string why) {
    std::lock_guard lock(mutex_);
    last_error_ = std::move(why);
    return false;
  };
  if (queues.size() <= kTransmitQueue || queues[kReceiveQueue] == nullptr ||
      queues[kTransmitQueue] == nullptr) {
    return refuse("the driver did not enable both queues");
  }
  if (!net_features_consistent(features)) {
    return refuse("the driver accepted a segmentation offload without its checksum offload");
  }
  for (UniqueFd* fd : {&wake_fd_, &tx_fd_}) {
    if (*fd) continue;
    *fd = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!*fd) return refuse(std::string("cannot create an eventfd: ") + strerror(errno));
  }
  // The receive thread is not running: the port is this thread's alone.
  if (auto ok = port_->set_offloads(NetOffloads::from_guest_features(features)); !ok) {
    return refuse(describe(ok.error()));
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    broken_ = false;
    negotiated_ = features;
    rx_queue_ = queues[kReceiveQueue];
    tx_queue_ = queues[kTransmitQueue];
    link_ = &link;
    rx_pending_ = 0;
    placer_.start((features & net_feature_mask(NetFeatureBit::kMrgRxbuf)) != 0);
  }
  receiver_ = std::thread([this] { receive_loop(); });
  active_ = true;
  return true;
}

void NetDevice::reset() {
  stop_receiving();
  active_ = false;
  std::lock_guard lock(mutex_);
  if (rx_pending_ != 0) ++counters_.rx_dropped;
  rx_pending_ = 0;
  negotiated_ = 0;
  rx_queue_ = nullptr;
  tx_queue_ = nullptr;
  link_ = nullptr;
  broken_ = false;
  placer_.start(false);
}

void NetDevice::notify(uint16_t queue) {
  if (!active_ || (queue != kReceiveQueue && queue != kTransmitQueue)) return;
  if (queue == kTransmitQueue && transmit_ == NetTransmit::kInline) {
    std::lock_guard lock(mutex_);
    if (!broken_) transmit_locked();
    return;
  }
  const uint64_t one = 1;
  // A full counter (EAGAIN) is already a kick.
  (void)!::write(kick_fd(queue), &one, sizeof(one));
}

int NetDevice::kick_fd(uint16_t queue) const {
  if (!active_) return -1;
  if (queue == kReceiveQueue) return wake_fd_.get();
  return queue == kTransmitQueue && transmit_ == NetTransmit::kThread ? tx_fd_.get() : -1;
}

NetCounters NetDevice::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::string NetDevice::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void NetDevice::stop_receiving() {
  if (!receiver_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  receiver_.join();
}

void NetDevice::wake() {
  const uint64_t one = 1;
  // A full counter (EAGAIN) is already a wake-up.
  (void)!::write(wake_fd_.get(), &one, sizeof(one));
}

// Transmit chains carry nothing back: each is returned with 0 bytes written (5.1.6.2).
void NetDevice::transmit_locked() {
  auto served = serve_available(
      *tx_queue_, kTransmitQueue, *link_, tx_chain_,
      [this](const DescriptorChain& chain) {
        send_locked(chain);
        return uint32_t{0};
      },
      [this](const QueueFault& fault) {
        ++counters_.tx_errors;
        last_error_ = describe(fault);
      });
  if (!served) break_locked(describe(served.error()));
}

void NetDevice::send_locked(const DescriptorChain& chain) {
  auto packet = read_tx_packet(link_->ram(), chain, negotiated_, tx_packet_);
  if (!packet) return refused_locked(packet.error(), false);
  auto sent = port_->send(std::span(tx_packet_).first(*packet));
  if (!sent) {
    ++counters_.tx_errors;
    last_error_ = describe(sent.error());
  } else if (!*sent) {
    ++counters_.tx_dropped;
  } else {
    ++counters_.tx_packets;
    counters_.tx_bytes += *packet - sizeof(NetHeader);
  }
}

void NetDevice::receive_loop() {
  bool waiting = false;    // for receive buffers: the port is not polled
  bool port_gone = false;  // the port failed or hung up: only a stop can come
  for (;;) {
    pollfd fds[] = {
        {wake_fd_.get(), POLLIN, 0}, {tx_fd_.get(), POLLIN, 0}, {port_->poll_fd(), POLLIN, 0}};
    const nfds_t count = waiting || port_gone ? 2 : 3;
    if (::poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      std::lock_guard lock(mutex_);
      ++counters_.rx_errors;
      last_error_ = std::string("cannot poll the packet port: ") + strerror(errno);
      return;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      uint64_t wakes = 0;
      (void)!::read(wake_fd_.get(), &wakes, sizeof(wakes));
      waiting = false;
    }
    const bool transmit = (fds[1].revents & POLLIN) != 0;
    if (transmit) {
      uint64_t kicks = 0;
      (void)!::read(tx_fd_.get(), &kicks, sizeof(kicks));
    }
    const bool hung_up = count == 3 && (fds[2].revents & kHangUp) != 0;
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (transmit && !broken_) transmit_locked();
    switch (receive_locked()) {
      case RxStop::kNoBuffers:
      case RxStop::kBroken:
        waiting = true;
        break;
      case RxStop::kPortEmpty:
        if (!hung_up) break;
        last_error_ = "the packet port hung up";
        port_gone = true;
        break;
      case RxStop::kPortFailed:
        port_gone = true;
        break;
      case RxStop::kBatchDone:
        break;
    }
  }
}

NetDevice::RxStop NetDevice::receive_locked() {
  if (broken_) return RxStop::kBroken;
  for (int i = 0; i < kReceiveBatch; ++i) {
    RxStop stop = RxStop::kPortEmpty;
    if (rx_pending_ == 0 && !take_packet_locked(stop)) return stop;
    if (rx_pending_ == 0) continue;  // refused: the next one
    auto placed = placer_.place(*rx_queue_, link_->ram(), std::span(rx_packet_).first(rx_pending_));
    if (!placed) {
      break_locked(describe(placed.error()));
      return RxStop::kBroken;
    }
    if (placed->refused_chains != 0) {
      counters_.rx_errors += placed->refused_chains;
      last_error_ = describe(placed->chain_refusal);
    }
    if (placed->interrupt) link_->used_buffers(kReceiveQueue);
    switch (placed->outcome) {
      case RxOutcome::kWaiting:
        return RxStop::kNoBuffers;
      case RxOutcome::kDropped:
        refused_locked(placed->refusal, true);
        break;
      case RxOutcome::kDelivered:
        ++counters_.rx_packets;
        counters_.rx_bytes += rx_pending_ - sizeof(NetHeader);
        break;
    }
    rx_pending_ = 0;
  }
  return RxStop::kBatchDone;
}

bool NetDevice::take_packet_locked(RxStop& stop) {
  auto got = port_->receive(rx_packet_);
  if (!got) {
    ++counters_.rx_errors;
    last_error_ = describe(got.error());
    stop = RxStop::kPortFailed;
    return false;
  }
  if (*got == 0) {
    stop = RxStop::kPortEmpty;
    return false;
  }
  if (*got > kMaxPacketBytes) {
    refused_locked(NetRefusal::kPortTooLong, true);
    return true;
  }
  if (*got < sizeof(NetHeader) + kEthernetHeaderBytes) {
    refused_locked(NetRefusal::kPortTooShort, true);
    return true;
  }
  NetHeader header;
  memcpy(&header, rx_packet_.data(), sizeof(header));
  if (auto fit = fit_rx_header(header, negotiated_); !fit) {
    refused_locked(fit.error(), true);
    return true;
  }
  memcpy(rx_packet_.data(), &header, sizeof(header));
  rx_pending_ = *got;
  return true;
}

void NetDevice::refused_locked(NetRefusal refusal, bool receive) {
  const bool drop = is_drop(refusal);
  uint64_t& counter = receive ? (drop ? counters_.rx_dropped : counters_.rx_errors)
                              : (drop ? counters_.tx_dropped : counters_.tx_errors);
  ++counter;
  last_error_ = describe(refusal);
}

void NetDevice::break_locked(std::string reason) {
  broken_ = true;
  last_error_ = std::move(reason);
  link_->needs_reset();
}

}  // namespace rootstock::vmm::virtio
