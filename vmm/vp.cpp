#include "vmm/vp.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "vmm/completion.hpp"

namespace rootstock::vmm {

const char* describe(VpExit::Kind kind) {
  switch (kind) {
    case VpExit::Kind::kHalt:
      return "halt";
    case VpExit::Kind::kShutdown:
      return "shutdown";
    case VpExit::Kind::kHypercall:
      return "hypercall";
    case VpExit::Kind::kUnsupported:
      return "unsupported";
    case VpExit::Kind::kInvalidState:
      return "invalid-state";
    case VpExit::Kind::kStopped:
      return "stopped";
  }
  return "unknown";
}

std::unexpected<Error> Vp::vp_error(Error error) const {
  error.what = "vp " + std::to_string(index()) + ": " + error.what;
  return std::unexpected(std::move(error));
}

Result<VpExit> Vp::run(PortIoHandler& ports, MmioHandler& mmio) {
  State state = State::kEnter;
  for (;;) {
    switch (state) {
      case State::kEnter: {
        if (stop_.exchange(false, std::memory_order_acq_rel)) {
          return VpExit{VpExit::Kind::kStopped, Exit{}};
        }
        auto status = backend_->run();
        if (!status) return vp_error(status.error());
        // -EINTR: a signal (perhaps a kick carrying a stop request); the completion in the run
        // page is applied by whichever HVROOT_RUN_VP enters next, never twice.
        state = *status == RunStatus::kExit ? State::kExited : State::kEnter;
        break;
      }
      case State::kExited: {
        auto exit = decode_exit(backend_->run_page());
        if (!exit) return vp_error(exit.error());
        auto outcome = dispatch(*exit, ports, mmio);
        if (!outcome) return vp_error(outcome.error());
        if (outcome->has_value()) return **outcome;
        state = State::kEnter;
        break;
      }
    }
  }
}

Result<std::optional<VpExit>> Vp::dispatch(const Exit& exit, PortIoHandler& ports,
                                           MmioHandler& mmio) {
  Next next = Next::kContinue;
  switch (exit.kind) {
    case ExitKind::kIo:
      next = complete_io(exit.io, ports, backend_->run_page());
      break;
    case ExitKind::kMemory: {
      auto r = complete_mmio(exit.memory, mmio, backend_->run_page());
      if (!r) return std::unexpected(r.error());
      next = *r;
      break;
    }
    case ExitKind::kDoorbell:
      // Completed by hv: the device behind the address hears of the write, nothing more.
      next = mmio.write(exit.doorbell.gpa, exit.doorbell.length, exit.doorbell.value);
      break;
    case ExitKind::kHalt:
      return VpExit{VpExit::Kind::kHalt, exit};
    case ExitKind::kShutdown:
      return VpExit{VpExit::Kind::kShutdown, exit};
    case ExitKind::kHypercall:
      return VpExit{VpExit::Kind::kHypercall, exit};
    case ExitKind::kUnsupported:
      return VpExit{VpExit::Kind::kUnsupported, exit};
    case ExitKind::kInvalidState:
      return VpExit{VpExit::Kind::kInvalidState, exit};
  }
  ++exits_;
  if (next == Next::kStop) return VpExit{VpExit::Kind::kStopped, exit};
  return std::optional<VpExit>{};
}

Result<void> Vp::set_registers(const RegisterList& registers) {
  for (size_t first = 0; first < registers.size(); first += RS_HC_REGISTERS_MAX_REPS) {
    const size_t n = std::min<size_t>(RS_HC_REGISTERS_MAX_REPS, registers.size() - first);
    std::vector<uint32_t> names(n);
    std::vector<rs_hc_register_value> values(n);
    for (size_t i = 0; i < n; ++i) {
      names[i] = registers[first + i].name;
      values[i] = registers[first + i].value;
    }
    if (auto r = backend_->set_registers(names, values); !r) return vp_error(r.error());
  }
  return {};
}

Result<rs_hc_register_value> Vp::get_register(uint32_t name) {
  rs_hc_register_value value{};
  if (auto r = backend_->get_registers({&name, 1}, {&value, 1}); !r) return vp_error(r.error());
  return value;
}

Result<void> Vp::inject(uint64_t event) {
  if (auto r = backend_->inject(event); !r) return vp_error(r.error());
  return {};
}

}  // namespace rootstock::vmm
