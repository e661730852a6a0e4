// A stand-in for QEMU in the harness's own tests: it plays a script given as arguments, so a
// test can make a console that prints markers, hangs, panics, echoes typed input or exits.
//   print:TEXT   write TEXT and a newline to stdout      err:TEXT   the same to stderr
//   partial:TEXT write TEXT without a newline            sleep:MS   pause
//   echo         read one line from stdin, print "got: LINE"
//   hang         sleep forever                           exit:N     exit with status N
// Several threads print in `burst:N` (N lines from 4 threads, each line whole) to exercise
// line reassembly under concurrency. Like QEMU it takes `-nic VALUE`; `fetch:PATH` then plays a
// guest behind that user network's guestfwd (rootstock-boottest --http-file): it connects to the
// forward's 127.0.0.1 port as QEMU does, sends GET PATH and prints "fetched status=S bytes=N"
// (the body's bytes).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// GET `path` from 127.0.0.1 at the port of the guestfwd in `nic` ("...-tcp:127.0.0.1:PORT").
std::string fetch(const std::string& nic, const std::string& path) {
  const std::string to = "-tcp:127.0.0.1:";
  const size_t at = nic.rfind(to);
  if (at == std::string::npos) return "fetched no-guestfwd";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(nic.c_str() + at + to.size())));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "fetched no-connection";
  }
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: guest\r\n\r\n";
  (void)!::write(fd, req.data(), req.size());
  // The server keeps the connection open (for QEMU's one stream): read Content-Length's worth.
  std::string got;
  char buf[4096];
  size_t body = std::string::npos;
  size_t length = 0;
  while (body == std::string::npos || got.size() < body + length) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
    if (body == std::string::npos && (body = got.find("\r\n\r\n")) != std::string::npos) {
      body += 4;
      const size_t cl = got.find("Content-Length: ");
      if (cl < body) length = std::strtoul(got.c_str() + cl + 16, nullptr, 10);
    }
  }
  ::close(fd);
  const std::string status = got.size() > 12 ? got.substr(9, 3) : "none";
  const size_t bytes = body == std::string::npos ? 0 : got.size() - body;
  return "fetched status=" + status + " bytes=" + std::to_string(bytes);
}

}  // namespace

int main(int argc, char** argv) {
  std::cout.setf(std::ios::unitbuf);
  std::string nic;
  for (int i = 1; i < argc; ++i) {
    const std::string op = argv[i];
    if (op == "-nic" && i + 1 < argc) {
      nic = argv[++i];
      continue;
    }
    const size_t colon = op.find(':');
    const std::string verb = op.substr(0, colon);
    const std::string arg = colon == std::string::npos ? "" : op.substr(colon + 1);
    if (verb == "print") {
      std::cout << arg << "\n";
    } else if (verb == "err") {
      std::cerr << arg << std::endl;
    } else if (verb == "partial") {
      std::cout << arg;
    } else if (verb == "sleep") {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(arg.c_str())));
    } else if (verb == "echo") {
      std::string line;
      if (!std::getline(std::cin, line)) return 3;
      std::cout << "got: " << line << "\n";
    } else if (verb == "hang") {
      for (;;) ::pause();
    } else if (verb == "exit") {
      return std::atoi(arg.c_str());
    } else if (verb == "fetch") {
      std::cout << fetch(nic, arg) << "\n";
    } else if (verb == "burst") {
      const int n = std::atoi(arg.c_str());
      std::mutex out;
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
          for (int k = t; k < n; k += 4) {
            std::lock_guard lock(out);
            std::cout << "line " << k << "\n";
          }
        });
      }
      for (auto& th : threads) th.join();
    } else {
      std::cerr << "fake_console: unknown op '" << op << "'\n";
      return 2;
    }
  }
  return 0;
}
