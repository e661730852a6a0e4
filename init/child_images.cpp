#include "child_images.hpp"

#include <fstream>
#include <iterator>

namespace rootstock::init {
namespace {

std::vector<uint8_t> read_all(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

ChildImages read_child_images() {
  return {read_all(kChildKernel), read_all(kChildInitramfs)};
}

}  // namespace rootstock::init
