// A virtual processor and its run loop (DESIGN.md §4: vCPU threads around VP_RUN, an exit
// dispatcher; Firecracker's vCPU loop as an explicit state machine). One thread runs a Vp at a
// time; another thread may only request_stop() it (and kick the running thread, kick.hpp).
#pragma once

#include <stdint.h>

#include <atomic>
#include <memory>
#include <optional>

#include "vmm/backend.hpp"
#include "vmm/devices.hpp"
#include "vmm/error.hpp"
#include "vmm/exit.hpp"
#include "vmm/registers.hpp"

namespace rootstock::vmm {

/// Why Vp::run() returned to its caller.
struct VpExit {
  enum class Kind : uint8_t {
    kHalt,          ///< HLT with nothing to deliver; run() again after injecting or waiting
    kShutdown,      ///< triple fault: reset or stop the VM
    kHypercall,     ///< VMMCALL/VMCALL from the child; its arguments are in the run page
    kUnsupported,   ///< `exit.hardware` says what; log it, inject #UD or stop the VM
    kInvalidState,  ///< the CPU refused the VP's state; `exit.hardware` says how
    kStopped,       ///< request_stop(), or a device answered Next::kStop (access completed)
  };
  Kind kind = Kind::kHalt;
  Exit exit;  ///< the exit behind it (for kStopped: the device access, if one stopped it)
};

/// A word for a log ("halt", "shutdown", …).
[[nodiscard]] const char* describe(VpExit::Kind kind);

/// One VP of a partition. Destroying it closes the VP (its fd and run page).
class Vp {
 public:
  explicit Vp(std::unique_ptr<VpBackend> backend) : backend_(std::move(backend)) {}
  Vp(Vp&& other) noexcept
      : backend_(std::move(other.backend_)), stop_(other.stop_.load()), exits_(other.exits_) {}
  Vp& operator=(Vp&&) = delete;
  Vp(const Vp&) = delete;
  Vp& operator=(const Vp&) = delete;

  /// The VP index it was created with.
  [[nodiscard]] uint32_t index() const { return backend_->index(); }
  /// The shared run page: for exits run() returns (e.g. completing a hypercall by hand).
  [[nodiscard]] rs_run_page& run_page() { return backend_->run_page(); }
  /// Exits run() handled itself (IO and MMIO) since creation.
  [[nodiscard]] uint64_t handled_exits() const { return exits_; }

  /// Runs the VP, handing port I/O to `ports` and MMIO to `mmio`, until an exit the caller
  /// must see (VpExit). Errors: the driver failed, or an exit could not be read or completed
  /// (the VP is left at the faulting instruction).
  [[nodiscard]] Result<VpExit> run(PortIoHandler& ports, MmioHandler& mmio);

  /// Makes run() return kStopped at its next exit or interruption (from any thread; kick()
  /// the thread in run() to interrupt a VP that makes no exits).
  void request_stop() { stop_.store(true, std::memory_order_release); }

  /// VP_SET_REGISTERS, in list order (at most 128 per call; longer lists take several).
  [[nodiscard]] Result<void> set_registers(const RegisterList& registers);
  /// VP_GET_REGISTERS of one register.
  [[nodiscard]] Result<rs_hc_register_value> get_register(uint32_t name);
  /// Halts sleep in the driver until an interrupt can end them (a VP with the child interrupt
  /// controller in use) instead of returning kHalt.
  void set_halt_in_kernel(bool on) { backend_->set_halt_in_kernel(on); }
  /// VP_INJECT of an RS_EVENT_* word.
  [[nodiscard]] Result<void> inject(uint64_t event);

 private:
  // The loop's states: kEnter calls HVROOT_RUN_VP with the last exit's completion in the run
  // page; kExited decodes the exit and either completes it (back to kEnter) or returns it.
  enum class State : uint8_t { kEnter, kExited };

  // Completes an IO or MMIO exit (no value: go on), or says what run() returns.
  Result<std::optional<VpExit>> dispatch(const Exit& exit, PortIoHandler& ports, MmioHandler& mmio);
  std::unexpected<Error> vp_error(Error error) const;

  std::unique_ptr<VpBackend> backend_;
  std::atomic<bool> stop_{false};
  uint64_t exits_ = 0;
};

}  // namespace rootstock::vmm
