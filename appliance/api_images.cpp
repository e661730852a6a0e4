#include "appliance/api_images.hpp"

#include <nlohmann/json.hpp>

#include "appliance/image_paths.hpp"

namespace rootstock::appliance {
namespace {

using Json = nlohmann::json;

Json image_json(const ImageStore::Image& image) {
  Json o = Json::object();
  o["name"] = image.name;
  o["path"] = image.path;
  o["size"] = image.size;
  return o;
}

// The VM that uses the file at `path`, if one does.
std::optional<std::string> user_of(VmManager& vms, const std::string& path) {
  for (const VmInfo& info : vms.list()) {
    auto spec = vms.spec(info.id);
    if (spec && spec_uses(*spec, path)) return info.id;
  }
  return std::nullopt;
}

// Streams an upload into the store: the digest the client gave, checked at the end.
class ImageSink final : public BodySink {
 public:
  ImageSink(std::unique_ptr<ImageStore::Upload> upload, std::optional<Sha256::Digest> expected)
      : upload_(std::move(upload)), expected_(expected) {}
  std::optional<ApiResponse> write(std::string_view bytes) override {
    auto r = upload_->write(bytes);
    if (!r) return fault(500, r.error());
    return std::nullopt;
  }
  ApiResponse finish() override {
    auto image = upload_->commit(expected_);
    if (!image) return fault(400, image.error());
    return json_answer(201, image_json(*image).dump());
  }

 private:
  std::unique_ptr<ImageStore::Upload> upload_;
  std::optional<Sha256::Digest> expected_;
};

constexpr std::string_view kNoStore =
    "this appliance keeps no images: it has no data partition (boot it from its disk image)";

}  // namespace

UploadStart start_image_upload(const ImageStore* store, VmManager& vms, std::string_view name,
                               const ApiRequest& head, uint64_t length) {
  UploadStart start;
  if (!store) {
    start.refused = fault(400, kNoStore);
    return start;
  }
  std::optional<Sha256::Digest> expected;
  if (!head.content_sha256.empty()) {
    expected = parse_sha256(head.content_sha256);
    if (!expected) {
      start.refused = fault(400, "X-Content-SHA256 is not 64 hex digits");
      return start;
    }
  }
  if (store->find(name)) {
    if (auto user = user_of(vms, store->path_of(name))) {
      start.refused = fault(400, "image '" + std::string(name) + "' is used by vm '" + *user +
                                     "': it is not replaced");
      return start;
    }
  }
  auto upload = store->begin(name, length);
  if (!upload) {
    start.refused = fault(400, upload.error());
    return start;
  }
  start.sink = std::make_unique<ImageSink>(std::move(*upload), expected);
  return start;
}

ApiResponse serve_images(const ImageStore* store, VmManager& vms, std::string_view method,
                         std::string_view name, const ApiRequest& request) {
  if (!store) return fault(400, kNoStore);
  if (name.empty()) {
    if (method != "GET") {
      return fault(400, "Invalid request method and/or path: " + std::string(method) + " images.");
    }
    Json list = Json::array();
    for (const ImageStore::Image& image : store->list()) list.push_back(image_json(image));
    return json_answer(200, list.dump());
  }
  if (method == "GET") {
    auto image = store->find(name);
    if (!image) return fault(404, "no image '" + std::string(name) + "'");
    return json_answer(200, image_json(*image).dump());
  }
  if (method == "DELETE") {
    if (!store->find(name)) return fault(404, "no image '" + std::string(name) + "'");
    if (auto user = user_of(vms, store->path_of(name))) {
      return fault(400, "image '" + std::string(name) + "' is used by vm '" + *user +
                            "': delete or change the vm first");
    }
    auto removed = store->remove(name);
    if (!removed) return fault(500, removed.error());
    return no_content();
  }
  if (method == "PUT") {
    // A body that came whole (a small image, or a server without uploads): the same way.
    UploadStart start = start_image_upload(store, vms, name, request, request.body.size());
    if (start.refused) return *start.refused;
    if (auto refused = start.sink->write(request.body)) return *refused;
    return start.sink->finish();
  }
  return fault(400, "Invalid request method and/or path: " + std::string(method) + " images.");
}

}  // namespace rootstock::appliance
