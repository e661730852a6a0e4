#include "default_vm.hpp"

#include "child_images.hpp"

namespace rootstock::init {

appliance::VmSpec default_vm_spec(const VmOptions& options) {
  appliance::VmSpec spec;
  spec.name = "child0";
  spec.autostart = true;
  spec.boot_source.kernel_image_path = kChildKernel;
  spec.boot_source.initrd_path = kChildInitramfs;
  spec.boot_source.boot_args = options.cmdline;
  spec.machine_config.vcpu_count = options.vcpus;
  spec.machine_config.mem_size_mib = options.mem_mib;
  spec.console.log_path = std::string(kVmLogDir) + "/" + kDefaultVmId + ".log";
  return spec;
}

}  // namespace rootstock::init
