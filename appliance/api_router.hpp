// The management API's routes (docs/api.md): the bearer token first, then Rootstock's own paths
// (GET /version, GET|POST /vms, GET|PUT|DELETE /vms/{id}, GET|POST /vms/{id}/console, the
// images) and, under /vms/{id}/, Firecracker's (firecracker_api.hpp). One ApiRouter serves every
// connection of the server at once: it holds no state of its own beyond what the VM manager guards.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "appliance/api_message.hpp"
#include "appliance/event_log.hpp"
#include "appliance/firecracker_metrics.hpp"
#include "appliance/image_store.hpp"
#include "appliance/prometheus_metrics.hpp"
#include "appliance/vm_manager.hpp"

namespace rootstock::appliance {

struct ApiRouterOptions {
  /// Requests must carry `Authorization: Bearer <token>`; empty: no token is asked for (the
  /// appliance's configuration requires one wherever it asks for the API).
  std::string token;
  /// The most a GET of a console answers, from its newest bytes back.
  size_t max_console_read = 256 * 1024;
  /// Where the VMs the API makes and changes are kept (spec_dir.hpp's save_spec, one file per
  /// VM, read back at boot); empty: they are not kept.
  std::string spec_dir;
  /// The image store (api_images.hpp); null: the appliance keeps no images.
  const ImageStore* images = nullptr;
  /// The folders whose files a VM made through the API may boot from and use
  /// (image_paths.hpp); empty: any file.
  std::vector<std::string> image_roots;
  /// The folders a VM made through the API may write its files in (its console log, its
  /// logger's and metrics' files: image_paths.hpp's spec_output_problem); empty: anywhere.
  std::vector<std::string> output_roots;
  /// Writes the VMs' Firecracker metrics files (FlushMetrics); null: FlushMetrics is refused.
  MetricsFlusher* metrics = nullptr;
  /// The appliance's own figures for GET /metrics (prometheus_metrics.hpp); empty: VMs only.
  std::function<ApplianceFigures()> appliance_figures;
  /// Where every request is logged (event_log.hpp) and what GET /logs reads; null: neither.
  EventLog* log = nullptr;
};

class ApiRouter {
 public:
  ApiRouter(VmManager& vms, ApiRouterOptions options) : vms_(vms), options_(std::move(options)) {}

  /// Answers one request; never throws.
  [[nodiscard]] ApiResponse handle(const ApiRequest& request) const;
  /// On a request's head: whether its body streams (an image upload), for ApiServer.
  [[nodiscard]] UploadStart start_upload(const ApiRequest& head, uint64_t length) const;

  /// Whether `authorization` (a header's value) carries the token; compared in time that does
  /// not depend on where the first difference lies.
  [[nodiscard]] bool authorized(std::string_view authorization) const;

 private:
  ApiResponse vms_collection(const ApiRequest& request) const;
  ApiResponse one_vm(const ApiRequest& request, const std::string& id) const;
  ApiResponse console(const ApiRequest& request, const std::string& id) const;
  /// PUT /vms/{id}/console/size {"cols": C, "rows": R}: the viewer's terminal, for hvc0.
  ApiResponse console_size(const ApiRequest& request, const std::string& id) const;
  ApiResponse route(const ApiRequest& request, std::optional<std::string>& changed_vm) const;
  // The image and output path checks of a spec the API made or changed.
  std::optional<std::string> spec_problem(const VmSpec& spec) const;
  // A request for /vms/{id}/… into that VM's own log, if its spec has one (vm_log.hpp).
  void log_for_vm(const ApiRequest& request, const ApiResponse& response) const;
  // Keeps VM `id` as the manager has it now (or forgets it, gone); the failure's words.
  std::optional<std::string> keep(const std::string& id) const;

  VmManager& vms_;
  ApiRouterOptions options_;
  // Saves happen one at a time, each of the spec as it is when the save begins: the file ends
  // holding the newest spec whatever order two requests' saves would have had.
  mutable std::mutex keep_mutex_;
};

}  // namespace rootstock::appliance
