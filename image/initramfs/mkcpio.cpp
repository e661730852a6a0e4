// mkcpio LIST OUTPUT: writes the initramfs that LIST describes (cpio_writer.hpp) to OUTPUT,
// atomically (a temporary file renamed into place).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cpio_writer.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: mkcpio LIST OUTPUT\n";
    return 2;
  }
  std::ifstream list_file(argv[1]);
  if (!list_file) {
    std::cerr << "mkcpio: cannot read " << argv[1] << "\n";
    return 1;
  }
  std::ostringstream list;
  list << list_file.rdbuf();
  auto writer = rootstock::image::read_list(list.str());
  if (!writer) {
    std::cerr << "mkcpio: " << argv[1] << ": " << writer.error() << "\n";
    return 1;
  }
  auto archive = writer->write();
  if (!archive) {
    std::cerr << "mkcpio: " << archive.error() << "\n";
    return 1;
  }
  const std::string tmp = std::string(argv[2]) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(archive->data(), static_cast<std::streamsize>(archive->size()));
    if (!out) {
      std::cerr << "mkcpio: cannot write " << tmp << "\n";
      return 1;
    }
  }
  std::filesystem::rename(tmp, argv[2]);
  return 0;
}
