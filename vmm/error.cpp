#include "vmm/error.hpp"

#include <rootstock/hypercall_abi.h>

#include <cstdio>
#include <cstring>

namespace rootstock::vmm {

std::string status_name(uint32_t status) {
  switch (status) {
    case RS_STATUS_SUCCESS:
      return "SUCCESS";
    case RS_STATUS_PARTIAL:
      return "PARTIAL";
    case RS_STATUS_INTERRUPTED:
      return "INTERRUPTED";
    case RS_STATUS_INSUFFICIENT_MEMORY:
      return "INSUFFICIENT_MEMORY";
    case RS_STATUS_INVALID_CONTROL:
      return "INVALID_CONTROL";
    case RS_STATUS_RESERVED_NONZERO:
      return "RESERVED_NONZERO";
    case RS_STATUS_INVALID_PARAMETER:
      return "INVALID_PARAMETER";
    case RS_STATUS_MISALIGNED:
      return "MISALIGNED";
    case RS_STATUS_REP_COUNT_TOO_LARGE:
      return "REP_COUNT_TOO_LARGE";
    case RS_STATUS_ACCESS_DENIED:
      return "ACCESS_DENIED";
    case RS_STATUS_INVALID_PARTITION_ID:
      return "INVALID_PARTITION_ID";
    case RS_STATUS_INVALID_VP_INDEX:
      return "INVALID_VP_INDEX";
    case RS_STATUS_FRAME_NOT_OWNED:
      return "FRAME_NOT_OWNED";
    case RS_STATUS_GPA_OVERLAP:
      return "GPA_OVERLAP";
    case RS_STATUS_GPA_OUT_OF_RANGE:
      return "GPA_OUT_OF_RANGE";
    case RS_STATUS_GPA_NOT_MAPPED:
      return "GPA_NOT_MAPPED";
    case RS_STATUS_BUSY:
      return "BUSY";
    case RS_STATUS_EXISTS:
      return "EXISTS";
    case RS_STATUS_LIMIT_REACHED:
      return "LIMIT_REACHED";
    case RS_STATUS_NOT_SUPPORTED:
      return "NOT_SUPPORTED";
    case RS_STATUS_INVALID_CALL_CODE:
      return "INVALID_CALL_CODE";
    default: {
      char hex[16];
      std::snprintf(hex, sizeof(hex), "0x%x", status);
      return hex;
    }
  }
}

std::string describe(const Error& error) {
  std::string line = error.what;
  if (error.errno_value != 0) {
    line += ": ";
    line += std::strerror(error.errno_value);
    line += " (errno " + std::to_string(error.errno_value) + ")";
  }
  if (error.hv_status != 0) line += ", hv status " + status_name(error.hv_status);
  return line;
}

}  // namespace rootstock::vmm
