#include "vmm/virtio/vsock_header.hpp"

namespace rootstock::vmm::virtio {

std::string_view describe(VsockOp op) {
  switch (op) {
    case VsockOp::kInvalid:
      return "INVALID";
    case VsockOp::kRequest:
      return "REQUEST";
    case VsockOp::kResponse:
      return "RESPONSE";
    case VsockOp::kRst:
      return "RST";
    case VsockOp::kShutdown:
      return "SHUTDOWN";
    case VsockOp::kRw:
      return "RW";
    case VsockOp::kCreditUpdate:
      return "CREDIT_UPDATE";
    case VsockOp::kCreditRequest:
      return "CREDIT_REQUEST";
  }
  return "unknown";
}

VsockHeader host_header(uint64_t guest_cid, VsockPorts ports, VsockOp op) {
  VsockHeader h{};
  h.src_cid = kVsockHostCid;
  h.dst_cid = guest_cid;
  h.src_port = ports.local;
  h.dst_port = ports.peer;
  h.type = static_cast<uint16_t>(VsockType::kStream);
  h.op = static_cast<uint16_t>(op);
  return h;
}

}  // namespace rootstock::vmm::virtio
