// A child partition as the VMM holds it: the driver's partition fd and the guest-physical
// ranges mapped into it (Firecracker's bus rule: the owner of the address ranges rejects
// overlaps itself, with a message, before hv is asked). Destroying a Partition closes its fd;
// hv then destroys the child and gives every frame back once its Vps are gone too.
#pragma once

#include <stdint.h>

#include <memory>
#include <vector>

#include "vmm/backend.hpp"
#include "vmm/doorbell_sink.hpp"
#include "vmm/error.hpp"
#include "vmm/guest_memory.hpp"
#include "vmm/vp.hpp"

namespace rootstock::vmm {

/// One child partition.
class Partition {
 public:
  /// A guest-physical range mapped into the child.
  struct Range {
    uint64_t gpa = 0;
    uint64_t size = 0;
    uint32_t flags = 0;
  };

  /// Creates an empty partition.
  [[nodiscard]] static Result<Partition> create(Backend& backend);

  /// Maps `memory` at its GPA with `flags` (RS_ACCESS_READ required, RS_ACCESS_WRITE,
  /// RS_ACCESS_EXECUTE). `memory` must outlive the mapping (unmap() or this Partition).
  [[nodiscard]] Result<void> map(GuestMemory& memory, uint32_t flags);
  /// Removes the mapping of `memory`, made by map().
  [[nodiscard]] Result<void> unmap(const GuestMemory& memory);
  /// The mapped ranges, in the order map() added them.
  [[nodiscard]] const std::vector<Range>& ranges() const { return ranges_; }

  /// Creates VP `index` in its RESET state.
  [[nodiscard]] Result<Vp> create_vp(uint32_t index);
  /// PARTITION_QUERY: hv's id and counters.
  [[nodiscard]] Result<hvroot_partition_info> query() { return backend_->query(); }
  /// PARTITION_INTERRUPT: an edge on `gsi` (an edge-triggered device's interrupt).
  [[nodiscard]] Result<void> pulse_gsi(uint32_t gsi) {
    return backend_->interrupt(RS_INTERRUPT_GSI_EDGE, gsi);
  }
  /// PARTITION_INTERRUPT: `gsi`'s line to `asserted` (a level-triggered device's interrupt).
  [[nodiscard]] Result<void> set_gsi(uint32_t gsi, bool asserted) {
    return backend_->interrupt(RS_INTERRUPT_GSI_LEVEL | (asserted ? RS_INTERRUPT_ASSERTED : 0),
                               gsi);
  }
  /// PARTITION_INTERRUPT: the message signalled interrupt `data` written to `address` (Intel
  /// SDM vol. 3A, 11.11), as a device's MSI or MSI-X write would.
  [[nodiscard]] Result<void> send_msi(uint32_t address, uint32_t data) {
    return backend_->interrupt(RS_INTERRUPT_MSI, uint64_t{address} | uint64_t{data} << 32);
  }
  /// HVROOT_DOORBELL: adds `doorbell` (its writes signal its eventfd inside VP_RUN), or
  /// removes the one with the same gpa, length and value.
  [[nodiscard]] Result<void> add_doorbell(const DoorbellSpec& doorbell) {
    return change_doorbell(doorbell, false);
  }
  [[nodiscard]] Result<void> remove_doorbell(const DoorbellSpec& doorbell) {
    return change_doorbell(doorbell, true);
  }

 private:
  explicit Partition(std::unique_ptr<PartitionBackend> backend) : backend_(std::move(backend)) {}
  [[nodiscard]] Result<void> change_doorbell(const DoorbellSpec& doorbell, bool remove);

  std::unique_ptr<PartitionBackend> backend_;
  std::vector<Range> ranges_;
};

}  // namespace rootstock::vmm
