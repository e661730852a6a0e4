// The API's images (docs/api.md): GET /images, GET|PUT|DELETE /images/{name} over the image
// store. An upload streams into the store (start_image_upload, for the server) or, for a body
// already whole, goes the same way (serve_images). An image a VM uses is neither replaced nor
// deleted.
#pragma once

#include <string_view>

#include "appliance/api_message.hpp"
#include "appliance/image_store.hpp"
#include "appliance/vm_manager.hpp"

namespace rootstock::appliance {

/// Serves `method` on /images (`name` empty) or /images/{name}. `store` null: the appliance
/// keeps no images (no data partition), which every request is told.
[[nodiscard]] ApiResponse serve_images(const ImageStore* store, VmManager& vms,
                                       std::string_view method, std::string_view name,
                                       const ApiRequest& request);

/// For PUT /images/{name} of `length` bytes: the sink its body streams into, or the refusal
/// (bad name, no store, an image in use, no room, a malformed digest).
[[nodiscard]] UploadStart start_image_upload(const ImageStore* store, VmManager& vms,
                                             std::string_view name, const ApiRequest& head,
                                             uint64_t length);

}  // namespace rootstock::appliance
