// What the virtio-blk and virtio-net devices count (block_device.hpp, net_device.hpp): apart
// from the devices, so that their readers (the exits-per-I/O figures, the appliance's metrics)
// need not know the devices.
#pragma once

#include <stdint.h>

namespace rootstock::vmm::virtio {

/// What a virtio-blk device counts.
struct BlockCounters {
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t flushes = 0;
  uint64_t get_ids = 0;
  uint64_t discards = 0;
  uint64_t write_zeroes = 0;
  uint64_t unsupported = 0;  ///< requests answered VIRTIO_BLK_S_UNSUPP
  uint64_t errors = 0;       ///< requests answered VIRTIO_BLK_S_IOERR, or with no status at all
  uint64_t bytes_read = 0;   ///< from the medium into the child
  uint64_t bytes_written = 0;
};

/// What a virtio-net device counts. Bytes are the frames', without the virtio-net header.
struct NetCounters {
  uint64_t tx_packets = 0;  ///< sent to the port
  uint64_t tx_bytes = 0;
  uint64_t tx_dropped = 0;  ///< too long, or the port had no room
  uint64_t tx_errors = 0;   ///< malformed chains and headers, the port's failures
  uint64_t rx_packets = 0;  ///< placed into the driver's buffers
  uint64_t rx_bytes = 0;
  uint64_t rx_dropped = 0;  ///< too large for the buffers, or from the port cut or unwanted
  uint64_t rx_errors = 0;   ///< unusable receive chains, the port's failures
};

}  // namespace rootstock::vmm::virtio
