// The appliance's tests over the fake backend: a folder per test holding a synthetic bzImage (no
// guest code runs), a backend that scripts each new VM's VP 0 as the VMM creates it, and the
// guest's side of a script (console text, the ACPI power-off, a busy guest).
#pragma once

#include <stdlib.h>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/fake_backend.hpp"
#include "tests/fakes/synthetic_bzimage.hpp"
#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/devices/acpi_pm.hpp"

namespace rootstock::appliance::testing {

using rootstock::vmm::FakeBackend;
using rootstock::vmm::FakeExit;
using rootstock::vmm::FakeVp;
using namespace std::chrono_literals;

// A folder of its own per test, with the kernel in it; removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "runner-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
    const std::vector<uint8_t> k = rootstock::vmm::synthetic_bzimage();
    std::ofstream(kernel(), std::ios::binary)
        .write(reinterpret_cast<const char*>(k.data()), static_cast<std::streamsize>(k.size()));
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string kernel() const { return (path / "bzImage").string(); }
  std::string file(const char* name) const { return (path / name).string(); }
};

// The fake backend, scripting each new partition's VP 0 the moment the VMM creates it: the
// runner builds and runs the VM inside start(), so a test cannot script it in between.
class ScriptedBackend final : public rootstock::vmm::Backend {
 public:
  using Script = std::function<void(FakeVp&)>;
  explicit ScriptedBackend(Script script) : script_(std::move(script)) {}
  FakeBackend fake;

  rootstock::vmm::Result<hvroot_version> version() override { return fake.version(); }
  rootstock::vmm::Result<std::unique_ptr<rootstock::vmm::PartitionBackend>> create_partition()
      override {
    auto p = fake.create_partition();
    if (p) script_(fake.vp(fake.state().partitions.size() - 1, 0));
    return p;
  }
  rootstock::vmm::Result<rs_hc_invariants_output> check_invariants() override {
    return fake.check_invariants();
  }
  rootstock::vmm::Result<void> raw_hypercall(hvroot_raw_hypercall& call) override {
    return fake.raw_hypercall(call);
  }

 private:
  Script script_;
};

// The guest's side: text out of COM1, then the ACPI S5 write (acpi_builder.hpp, PM1a_CNT).
inline void print(FakeVp& vp, const std::string& text) {
  for (char c : text) vp.script.push_back(FakeExit::io_out(0x3f8, 1, static_cast<uint8_t>(c)));
}
inline void power_off(FakeVp& vp) {
  namespace pm = rootstock::vmm::devices::acpi_pm;
  const auto slp = static_cast<uint32_t>(rootstock::vmm::acpi::kS5SleepType << pm::kSlpTypShift |
                                         static_cast<uint32_t>(pm::Pm1Cnt::kSlpEn));
  vp.script.push_back(FakeExit::io_out(rootstock::vmm::acpi::AcpiConfig{}.pm1a_cnt_port, 2, slp));
}
// A second or more of VP_RUN returns without exits (1 ms each), the first one setting
// `running`: a guest busy long enough for the test to pause or stop it.
inline void busy(FakeVp& vp, std::shared_ptr<std::promise<void>> running) {
  FakeExit first = FakeExit::interrupted();
  first.during = [running] { running->set_value(); };
  vp.script.push_back(first);
  for (int i = 0; i < 1000; ++i) {
    FakeExit e = FakeExit::interrupted();
    e.during = [] { std::this_thread::sleep_for(1ms); };
    vp.script.push_back(e);
  }
}

}  // namespace rootstock::appliance::testing
