// A VM's definition as users write and the appliance keeps it: Firecracker's `/vm/config` shape
// (swagger `FullVmConfiguration`: boot-source, machine-config, drives, network-interfaces,
// vsock, entropy) plus Rootstock's own keys (name, autostart, console, on-reset, virtio-transport).
// The JSON stays at this edge: parse_vm_spec() turns text into these typed structs or refuses it
// with the key's path, to_json() writes them back with Firecracker's key names; nothing below
// appliance/ sees JSON.
#pragma once

#include <stdint.h>

#include <array>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rootstock::appliance {

/// swagger `BootSource`.
struct BootSource {
  std::string kernel_image_path;           ///< required, absolute
  std::optional<std::string> initrd_path;  ///< absolute
  std::optional<std::string> boot_args;    ///< at most kMaxBootArgs bytes
  bool operator==(const BootSource&) const = default;
};

/// swagger `MachineConfiguration`; defaults as Firecracker's (1 vCPU, 128 MiB).
struct MachineConfig {
  static constexpr uint32_t kMaxVcpus = 32;  ///< swagger: maximum 32
  /// An upper bound that catches a unit mistake (GiB written as MiB ×1024) before the
  /// allocation does: 1 TiB.
  static constexpr uint64_t kMaxMemMib = uint64_t{1} << 20;
  uint32_t vcpu_count = 1;  ///< 1 .. kMaxVcpus; 1 or even with smt (Firecracker's rule)
  uint64_t mem_size_mib = 128;
  bool smt = false;
  bool track_dirty_pages = false;
  bool operator==(const MachineConfig&) const = default;
};

/// swagger `Drive.cache_type`.
enum class CacheType : uint8_t { kUnsafe, kWriteback };
/// swagger `Drive.io_engine`.
enum class IoEngine : uint8_t { kSync, kAsync };

/// swagger `Drive` (virtio-block only: vhost-user's `socket` and `rate_limiter` are refused).
struct Drive {
  std::string drive_id;      ///< an id (is_valid_id), unique in the spec
  std::string path_on_host;  ///< absolute
  bool is_root_device = false;
  bool is_read_only = false;
  std::optional<std::string> partuuid;  ///< used only for the root device (swagger)
  CacheType cache_type = CacheType::kUnsafe;
  IoEngine io_engine = IoEngine::kSync;
  bool operator==(const Drive&) const = default;
};

/// swagger `NetworkInterface` (the rate limiters are refused).
struct NetworkInterface {
  static constexpr size_t kMaxHostDevName = 15;     ///< Linux IFNAMSIZ less its NUL
  std::string iface_id;                             ///< an id, unique in the spec
  std::string host_dev_name;                        ///< the tap device
  std::optional<std::array<uint8_t, 6>> guest_mac;  ///< unicast
  std::optional<uint16_t> mtu;                      ///< 68 .. 65535 (swagger)
  bool operator==(const NetworkInterface&) const = default;
};

/// swagger `Vsock`.
struct Vsock {
  uint32_t guest_cid = 3;  ///< 3 .. 0xfffffffe (0-2 are reserved, ~0 is VMADDR_CID_ANY)
  std::string uds_path;    ///< absolute
  std::optional<std::string> vsock_id;  ///< deprecated in Firecracker; kept as given
  bool operator==(const Vsock&) const = default;
};

/// swagger `EntropyDevice`: a virtio-rng device fed from the root's getrandom (its
/// `rate_limiter` is refused).
struct Entropy {
  bool operator==(const Entropy&) const = default;
};

/// swagger `Logger.level`, most severe first: a line is written when its level is at most
/// the configured one.
enum class LogLevel : uint8_t { kOff, kError, kWarning, kInfo, kDebug, kTrace };

/// swagger `Logger`: the VM's own log (vm_telemetry.hpp) — its starts and ends and the API's
/// requests for it, as text lines. Without `log_path` nothing is written.
struct LoggerSpec {
  std::optional<std::string> log_path;  ///< appended to; absolute
  LogLevel level = LogLevel::kInfo;
  bool show_level = false;
  bool show_log_origin = false;       ///< adds the appliance's source file and line
  std::optional<std::string> module;  ///< kept as given: the appliance has one module
  bool operator==(const LoggerSpec&) const = default;
};

/// swagger `Metrics`: where the VM's Firecracker-format metrics go (vm_telemetry.hpp).
struct MetricsSpec {
  std::string metrics_path;  ///< appended to, a JSON document per line; absolute
  bool operator==(const MetricsSpec&) const = default;
};

/// Rootstock's `console`: where a VM's console output goes.
struct ConsoleSpec {
  static constexpr uint32_t kMaxRingKib = 64 * 1024;
  bool appliance_console = true;        ///< shown on the appliance console, prefixed
  uint32_t ring_kib = 64;               ///< kept in memory for readers: 1 .. kMaxRingKib
  std::optional<std::string> log_path;  ///< appended to; absolute
  bool operator==(const ConsoleSpec&) const = default;
};

/// Rootstock's `on-reset`: what a reset from inside the VM does.
enum class OnReset : uint8_t { kStop, kRestart };

/// Rootstock's `virtio-transport`: how the child's virtio devices reach it. PCI (virtio 1.2,
/// 4.1, with MSI-X) unless the spec asks for MMIO (4.2: for kernels built without PCI, as
/// Firecracker's children are).
enum class VirtioTransport : uint8_t { kPci, kMmio };

/// A whole VM definition.
struct VmSpec {
  static constexpr size_t kMaxName = 64;
  static constexpr size_t kMaxBootArgs = 2048;  ///< x86 Linux COMMAND_LINE_SIZE
  std::optional<std::string> name;  ///< for people: 1 .. kMaxName bytes, no control characters
  bool autostart = false;
  ConsoleSpec console;
  OnReset on_reset = OnReset::kStop;
  VirtioTransport virtio_transport = VirtioTransport::kPci;
  BootSource boot_source;
  MachineConfig machine_config;
  std::vector<Drive> drives;
  std::vector<NetworkInterface> network_interfaces;
  std::optional<Vsock> vsock;
  std::optional<Entropy> entropy;
  std::optional<LoggerSpec> logger;
  std::optional<MetricsSpec> metrics;
  bool operator==(const VmSpec&) const = default;
};

/// Why a spec was refused: the key's full path ("drives[1].drive_id") and what is wrong.
struct SpecError {
  std::string path;  ///< empty for the document as a whole
  std::string message;
  /// "path: message", or the message alone.
  [[nodiscard]] std::string text() const;
};

/// Specs larger than this are refused before parsing (a request body, a file on the data
/// partition: neither has a reason to be near it).
inline constexpr size_t kMaxSpecBytes = 1 << 20;

/// Parses and checks a spec; unknown keys, wrong types, values out of range, missing required
/// keys, duplicate ids and a second root drive are refused. Never throws.
[[nodiscard]] std::expected<VmSpec, SpecError> parse_vm_spec(std::string_view text);

/// The spec as JSON with Firecracker's key names; parse_vm_spec(to_json(s)) == s.
[[nodiscard]] std::string to_json(const VmSpec& spec);

/// Firecracker's names: "Unsafe"/"Writeback", "Sync"/"Async"; ours: "stop"/"restart".
[[nodiscard]] const char* describe(CacheType type);
[[nodiscard]] const char* describe(IoEngine engine);
[[nodiscard]] const char* describe(OnReset on_reset);
/// swagger's words: "Off", "Error", "Warning", "Info", "Debug", "Trace".
[[nodiscard]] const char* describe(LogLevel level);
/// "pci" or "mmio".
[[nodiscard]] const char* describe(VirtioTransport transport);

/// An id of a VM, drive or interface: 1 to 64 of [A-Za-z0-9_-] (Firecracker's ids, with '-').
[[nodiscard]] bool is_valid_id(std::string_view id);

}  // namespace rootstock::appliance
