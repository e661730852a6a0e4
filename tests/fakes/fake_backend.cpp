#include "tests/fakes/fake_backend.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rootstock::vmm {
namespace {

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

// Records `line` and fails it if a test asked for that (FakeBackend::fail_next).
Result<void> enter(FakeState& s, const std::string& line) {
  s.calls.push_back(line);
  const std::string name = line.substr(0, line.find(' '));
  const auto it = std::find_if(s.failures.begin(), s.failures.end(),
                               [&](const FakeState::Failure& f) { return f.call == name; });
  if (it == s.failures.end()) return {};
  const FakeState::Failure f = *it;
  s.failures.erase(it);
  return fail_errno(line + " (fake failure)", f.errno_value, f.hv_status);
}

class FakeVpBackend final : public VpBackend {
 public:
  FakeVpBackend(std::shared_ptr<FakeState> state, std::shared_ptr<FakeVp> vp)
      : state_(std::move(state)), vp_(std::move(vp)) {}
  ~FakeVpBackend() override {
    vp_->open = false;
    state_->calls.push_back("close_vp " + std::to_string(vp_->index));
  }
  FakeVpBackend(const FakeVpBackend&) = delete;
  FakeVpBackend& operator=(const FakeVpBackend&) = delete;

  uint32_t index() const override { return vp_->index; }
  rs_run_page& run_page() override { return *vp_->page; }

  Result<RunStatus> run() override {
    if (auto r = enter(*state_, "run " + std::to_string(vp_->index)); !r) {
      return std::unexpected(r.error());
    }
    rs_run_page& page = *vp_->page;
    vp_->entries.push_back({page.completion, page.root_flags, page.regs, page.exit.io.data});
    if (auto r = apply_completion(page); !r) return std::unexpected(r.error());
    if (vp_->script.empty()) return fail_errno("run: the fake VP's script is exhausted", ENODATA);
    const FakeExit e = vp_->script.front();
    vp_->script.pop_front();
    if (e.during) e.during();
    switch (e.kind) {
      case FakeExit::Kind::kInterrupted:
        page.exit_reason = RS_EXIT_NONE;
        page.instruction_length = 0;
        page.exit = {};
        return RunStatus::kInterrupted;
      case FakeExit::Kind::kError:
        return fail_errno("run (scripted failure)", e.errno_value);
      case FakeExit::Kind::kExit:
        break;
    }
    if (e.regs) vp_->state = *e.regs;
    page.exit_reason = e.reason;
    page.cpu_mode = e.cpu_mode;
    page.instruction_length = e.instruction_length;
    page.exit = e.data;
    page.regs = vp_->state;
    ++page.exit_count;
    return RunStatus::kExit;
  }

  Result<void> get_registers(std::span<const uint32_t> names,
                             std::span<rs_hc_register_value> values) override {
    if (auto r = enter(*state_, "get_registers " + std::to_string(names.size())); !r) return r;
    for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
      values[i] = {};
      if (names[i] <= RS_REG_R15) {
        values[i].scalar.value = vp_->state.gpr[names[i]];
      } else if (names[i] == RS_REG_RIP) {
        values[i].scalar.value = vp_->state.rip;
      } else if (names[i] == RS_REG_RFLAGS) {
        values[i].scalar.value = vp_->state.rflags;
      } else if (const auto it = vp_->registers.find(names[i]); it != vp_->registers.end()) {
        values[i] = it->second;
      }
    }
    return {};
  }

  Result<void> set_registers(std::span<const uint32_t> names,
                             std::span<const rs_hc_register_value> values) override {
    if (auto r = enter(*state_, "set_registers " + std::to_string(names.size())); !r) return r;
    for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
      vp_->registers[names[i]] = values[i];
      vp_->set_order.push_back(names[i]);
      if (names[i] <= RS_REG_R15) vp_->state.gpr[names[i]] = values[i].scalar.value;
      if (names[i] == RS_REG_RIP) vp_->state.rip = values[i].scalar.value;
      if (names[i] == RS_REG_RFLAGS) vp_->state.rflags = values[i].scalar.value;
    }
    return {};
  }

  void set_halt_in_kernel(bool on) override { vp_->halt_in_kernel = on; }

  Result<void> inject(uint64_t event) override {
    if (auto r = enter(*state_, "inject " + hex(event)); !r) return r;
    vp_->injected.push_back(event);
    return {};
  }

 private:
  // hv's side of VP_RUN before it enters (hypercalls.md VP_RUN and §7): check what the root
  // wrote, load regs if asked, then apply the completion, then clear both fields.
  Result<void> apply_completion(rs_run_page& page) {
    const bool reserved = std::any_of(std::begin(page.reserved3), std::end(page.reserved3),
                                      [](uint64_t v) { return v != 0; });
    if ((page.root_flags & ~RS_RUN_ROOT_FLAGS_VALID) != 0 || reserved) {
      return fail_errno("run: reserved run-page bits set", EINVAL, RS_STATUS_RESERVED_NONZERO);
    }
    if (page.completion > RS_RUN_COMPLETE_ADVANCE ||
        (page.completion == RS_RUN_COMPLETE_ADVANCE && page.instruction_length == 0)) {
      return fail_errno("run: completion " + std::to_string(page.completion) + " not allowed",
                        EINVAL, RS_STATUS_INVALID_PARAMETER);
    }
    if ((page.root_flags & RS_RUN_LOAD_REGS) != 0) vp_->state = page.regs;
    if (page.completion == RS_RUN_COMPLETE_ADVANCE) {
      if (page.exit_reason == RS_EXIT_IO && page.exit.io.direction == RS_IO_IN) {
        uint64_t& rax = vp_->state.gpr[RS_REG_RAX];
        const uint8_t size = page.exit.io.size;
        const uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
        // A 4-byte IN writes EAX, which clears bits 63:32 (SDM vol. 1, 3.4.1.1).
        rax = size == 4 ? (page.exit.io.data & mask) : (rax & ~mask) | (page.exit.io.data & mask);
      }
      vp_->state.rip += page.instruction_length;
    }
    page.completion = RS_RUN_COMPLETE_NONE;
    page.root_flags = 0;
    return {};
  }

  std::shared_ptr<FakeState> state_;
  std::shared_ptr<FakeVp> vp_;
};

class FakePartitionBackend final : public PartitionBackend {
 public:
  FakePartitionBackend(std::shared_ptr<FakeState> state, std::shared_ptr<FakePartition> p)
      : state_(std::move(state)), p_(std::move(p)) {}
  ~FakePartitionBackend() override {
    p_->open = false;
    state_->calls.push_back("close_partition " + std::to_string(p_->id));
  }
  FakePartitionBackend(const FakePartitionBackend&) = delete;
  FakePartitionBackend& operator=(const FakePartitionBackend&) = delete;

  Result<void> map_memory(uint64_t gpa, std::span<uint8_t> host, uint32_t flags) override {
    if (auto r = enter(*state_, "map " + std::to_string(p_->id) + " gpa=" + hex(gpa) +
                                    " size=" + hex(host.size()) + " flags=" + hex(flags));
        !r) {
      return r;
    }
    p_->mappings.push_back({gpa, host.size(), flags, host.data()});
    return {};
  }

  Result<void> unmap_memory(uint64_t gpa, uint64_t size) override {
    if (auto r = enter(
            *state_, "unmap " + std::to_string(p_->id) + " gpa=" + hex(gpa) + " size=" + hex(size));
        !r) {
      return r;
    }
    const auto it = std::find_if(p_->mappings.begin(), p_->mappings.end(),
                                 [&](const auto& m) { return m.gpa == gpa && m.size == size; });
    if (it == p_->mappings.end()) return fail_errno("unmap", EINVAL, RS_STATUS_GPA_NOT_MAPPED);
    p_->mappings.erase(it);
    return {};
  }

  Result<std::unique_ptr<VpBackend>> create_vp(uint32_t index) override {
    if (auto r = enter(*state_, "create_vp " + std::to_string(index)); !r) {
      return std::unexpected(r.error());
    }
    std::shared_ptr<FakeVp> vp;
    for (const auto& v : p_->vps) {
      if (v->index == index) vp = v;
    }
    if (vp && vp->created) return fail_errno("create_vp", EEXIST, RS_STATUS_EXISTS);
    if (!vp) {
      vp = std::make_shared<FakeVp>();
      vp->index = index;
      p_->vps.push_back(vp);
    }
    vp->created = true;
    vp->open = true;
    vp->page->version = RS_RUN_PAGE_VERSION;
    return std::make_unique<FakeVpBackend>(state_, vp);
  }

  Result<hvroot_partition_info> query() override {
    if (auto r = enter(*state_, "query " + std::to_string(p_->id)); !r) {
      return std::unexpected(r.error());
    }
    hvroot_partition_info info{};
    info.partition_id = p_->id;
    for (const auto& v : p_->vps) info.vps += v->open ? 1 : 0;
    for (const auto& m : p_->mappings) info.mapped_pages += m.size / RS_HC_PAGE_SIZE;
    return info;
  }

  Result<void> interrupt(uint32_t flags, uint64_t argument) override {
    if (auto r = enter(*state_, "interrupt " + hex(flags) + " " + hex(argument)); !r) return r;
    p_->interrupts.push_back({flags, argument});
    return {};
  }

  Result<void> doorbell(hvroot_doorbell& arg) override {
    if (auto r = enter(*state_, "doorbell " + hex(arg.gpa) + " " + hex(arg.flags)); !r) return r;
    p_->doorbells.push_back(arg);
    return {};
  }

 private:
  std::shared_ptr<FakeState> state_;
  std::shared_ptr<FakePartition> p_;
};

}  // namespace

FakeExit FakeExit::io_out(uint16_t port, uint8_t size, uint32_t value, uint8_t length) {
  FakeExit e;
  e.reason = RS_EXIT_IO;
  e.instruction_length = length;
  e.data.io.port = port;
  e.data.io.size = size;
  e.data.io.direction = RS_IO_OUT;
  e.data.io.data = value;
  return e;
}

FakeExit FakeExit::io_in(uint16_t port, uint8_t size, uint8_t length) {
  FakeExit e = io_out(port, size, 0, length);
  e.data.io.direction = RS_IO_IN;
  return e;
}

FakeExit FakeExit::memory(uint64_t gpa, uint8_t access, std::span<const uint8_t> bytes,
                          uint8_t cpu_mode) {
  FakeExit e;
  e.reason = RS_EXIT_MEMORY;
  e.cpu_mode = cpu_mode;
  e.data.memory.gpa = gpa;
  e.data.memory.access = access;
  const size_t n = std::min(bytes.size(), sizeof(e.data.memory.instruction_bytes));
  e.data.memory.instruction_byte_count = static_cast<uint8_t>(n);
  if (n != 0) std::memcpy(e.data.memory.instruction_bytes, bytes.data(), n);
  return e;
}

FakeExit FakeExit::doorbell(uint64_t gpa, uint8_t length, uint64_t value, uint32_t cookie) {
  FakeExit e;
  e.reason = RS_EXIT_DOORBELL;
  e.data.doorbell.gpa = gpa;
  e.data.doorbell.length = length;
  e.data.doorbell.value = value;
  e.data.doorbell.cookie = cookie;
  return e;
}

FakeExit FakeExit::halt() {
  return reason_only(RS_EXIT_HALT);
}
FakeExit FakeExit::shutdown() {
  return reason_only(RS_EXIT_SHUTDOWN);
}

FakeExit FakeExit::reason_only(uint32_t reason) {
  FakeExit e;
  e.reason = reason;
  return e;
}

FakeExit FakeExit::interrupted() {
  FakeExit e;
  e.kind = Kind::kInterrupted;
  return e;
}

FakeExit FakeExit::error(int errno_value) {
  FakeExit e;
  e.kind = Kind::kError;
  e.errno_value = errno_value;
  return e;
}

FakeVp& FakeBackend::vp(size_t n, uint32_t index) {
  FakePartition& p = partition(n);
  for (const auto& v : p.vps) {
    if (v->index == index) return *v;
  }
  p.vps.push_back(std::make_shared<FakeVp>());
  p.vps.back()->index = index;
  return *p.vps.back();
}

Result<hvroot_version> FakeBackend::version() {
  if (auto r = enter(*state_, "version"); !r) return std::unexpected(r.error());
  return state_->version;
}

Result<std::unique_ptr<PartitionBackend>> FakeBackend::create_partition() {
  const uint64_t id = state_->next_id;
  if (auto r = enter(*state_, "create_partition " + std::to_string(id)); !r) {
    return std::unexpected(r.error());
  }
  ++state_->next_id;
  auto p = std::make_shared<FakePartition>();
  p->id = id;
  state_->partitions.push_back(p);
  return std::make_unique<FakePartitionBackend>(state_, p);
}

Result<rs_hc_invariants_output> FakeBackend::check_invariants() {
  if (auto r = enter(*state_, "check_invariants"); !r) return std::unexpected(r.error());
  return state_->invariants;
}

Result<void> FakeBackend::raw_hypercall(hvroot_raw_hypercall& call) {
  if (auto r = enter(*state_, "raw_hypercall " + hex(call.control)); !r) return r;
  state_->raw_calls.push_back(call);
  call.result = RS_STATUS_INVALID_CALL_CODE;
  return {};
}

}  // namespace rootstock::vmm
