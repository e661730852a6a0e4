// Errors of the VMM library as values (STYLE.md "Errors"): what failed, the errno the driver
// gave, and the hv status (docs/hypercalls.md §4) where hv refused the call.
#pragma once

#include <stdint.h>

#include <expected>
#include <string>

namespace rootstock::vmm {

/// One failure: `what` names the operation and its arguments in words.
struct Error {
  std::string what;
  int errno_value = 0;     ///< from the hvroot ioctl or system call; 0 if none was made
  uint32_t hv_status = 0;  ///< the RS_STATUS_* that failed the call, or 0
};

/// A value or the Error that prevented it.
template <typename T>
using Result = std::expected<T, Error>;

/// An Error with no errno and no hv status: a check of the VMM's own.
[[nodiscard]] inline std::unexpected<Error> fail(std::string what) {
  return std::unexpected(Error{std::move(what), 0, 0});
}

/// An Error for a failed system call: `errno_value` is errno as it was after the call.
[[nodiscard]] inline std::unexpected<Error> fail_errno(std::string what, int errno_value,
                                                       uint32_t hv_status = 0) {
  return std::unexpected(Error{std::move(what), errno_value, hv_status});
}

/// The RS_STATUS_* name of `status` without the prefix ("GPA_OVERLAP"), or "0x…" for a value
/// the ABI does not define.
[[nodiscard]] std::string status_name(uint32_t status);

/// One line for a log: "what: strerror (errno N), hv status NAME".
[[nodiscard]] std::string describe(const Error& error);

}  // namespace rootstock::vmm
