#include "vmm/virtio/entropy_device.hpp"

#include <algorithm>
#include <utility>

#include "vmm/virtio/chain_io.hpp"
#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/queue_loop.hpp"

namespace rootstock::vmm::virtio {

EntropyDevice::EntropyDevice(EntropySource source)
    : source_(std::move(source)), bytes_(kMaxBytesPerRequest) {}

uint64_t EntropyDevice::features() const {
  return kFeatureVersion1 | feature_mask(FeatureBit::kIndirectDesc) |
         feature_mask(FeatureBit::kEventIdx);
}

uint16_t EntropyDevice::max_queue_size(uint16_t queue) const {
  return queue == 0 ? kQueueSize : 0;
}

void EntropyDevice::read_config(uint32_t, std::span<uint8_t> out) const {
  std::fill(out.begin(), out.end(), uint8_t{0});
}

void EntropyDevice::write_config(uint32_t, std::span<const uint8_t>) {}

bool EntropyDevice::activate(uint64_t, std::span<SplitVirtqueue*> queues, DeviceLink& link) {
  if (queues.empty() || queues[0] == nullptr) return false;
  queue_ = queues[0];
  link_ = &link;
  return true;
}

void EntropyDevice::reset() {
  queue_ = nullptr;
  link_ = nullptr;
}

void EntropyDevice::notify(uint16_t queue) {
  if (queue != 0 || queue_ == nullptr) return;
  auto served = serve_available(
      *queue_, 0, *link_, chain_, [this](const DescriptorChain& chain) { return serve(chain); },
      [this](const QueueFault& fault) {
        ++counters_.requests;
        failed(describe(fault));
      });
  if (!served) {
    last_error_ = describe(served.error());
    queue_ = nullptr;  // nothing more until reset() (2.1.2)
    link_->needs_reset();
  }
}

uint32_t EntropyDevice::serve(const DescriptorChain& chain) {
  ++counters_.requests;
  // 5.4.6.1: "The driver MUST NOT place device-readable buffers into the requestq": such a
  // chain is not a request the driver made correctly, so none of it is answered.
  if (!chain.readable().empty()) return failed("an entropy request with a device-readable buffer");
  if (chain.writable().empty()) return failed("an entropy request with no writable buffer");
  const auto out = std::span(bytes_).first(std::min(chain.writable_bytes(), kMaxBytesPerRequest));
  if (!source_(out)) return failed("the entropy source failed");
  auto put = write_to_chain(link_->ram(), chain, 0, out);
  // Bytes written before a refusal are not reported: the driver then uses none of them.
  if (!put) return failed("guest RAM refused an entropy buffer");
  counters_.bytes += *put;
  return static_cast<uint32_t>(*put);
}

uint32_t EntropyDevice::failed(std::string reason) {
  ++counters_.errors;
  last_error_ = std::move(reason);
  return 0;
}

}  // namespace rootstock::vmm::virtio
