#include "modules.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rootstock::init {

std::string module_error_text(int error) {
  switch (error) {
    case ENOENT:
      return "no such file";
    case EACCES:
      return "permission denied reading the file";
    case EEXIST:
      return "a module of that name is already loaded";
    case ENOEXEC:
      return "not a valid module for this kernel (bad ELF or wrong architecture)";
    case EINVAL:
      return "the kernel rejected the module (version magic, parameters or layout)";
    case ENOKEY:
    case EKEYREJECTED:
      return "the module's signature is missing or not trusted";
    case EPERM:
      return "not permitted (module loading disabled or lacking CAP_SYS_MODULE)";
    case ENOSYS:
      return "this kernel was built without module support";
    case ENOMEM:
      return "out of memory";
    default:
      return std::strerror(error);
  }
}

std::expected<void, std::string> load_module(const std::string& path, const std::string& params) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::unexpected("cannot load module " + path + ": " + module_error_text(errno));
  }
  const long r = ::syscall(SYS_finit_module, fd, params.c_str(), 0);
  const int err = errno;
  ::close(fd);
  if (r != 0) return std::unexpected("cannot load module " + path + ": " + module_error_text(err));
  return {};
}

}  // namespace rootstock::init
