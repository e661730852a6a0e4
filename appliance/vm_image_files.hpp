// Reading a VM's boot images (kernel, initrd) whole, for the VMM's loaders: the paths come from
// a user's spec, so each read is bounded and every refusal names the file and the reason. PID 1
// reads the configuration file on the ESP (init/esp_config.cpp) the same way.
#pragma once

#include <stdint.h>

#include <expected>
#include <string>
#include <vector>

namespace rootstock::appliance {

/// The bytes of the regular file at `path`, or why not: "kernel /p: cannot open: No such file
/// or directory", "… is 300 MiB, more than the 64 MiB allowed", "… is not a regular file",
/// "… is empty". `what` names the file's role in the message.
[[nodiscard]] std::expected<std::vector<uint8_t>, std::string> read_image_file(
    const std::string& path, const char* what, uint64_t max_bytes);

}  // namespace rootstock::appliance
