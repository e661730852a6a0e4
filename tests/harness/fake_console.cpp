// A stand-in for QEMU in the harness's own tests: it plays a script given as arguments, so a
// test can make a console that prints markers, hangs, panics, echoes typed input or exits.
//   print:TEXT   write TEXT and a newline to stdout      err:TEXT   the same to stderr
//   partial:TEXT write TEXT without a newline            sleep:MS   pause
//   echo         read one line from stdin, print "got: LINE"
//   hang         sleep forever                           exit:N     exit with status N
// Several threads print in `burst:N` (N lines from 4 threads, each line whole) to exercise
// line reassembly under concurrency.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  std::cout.setf(std::ios::unitbuf);
  for (int i = 1; i < argc; ++i) {
    const std::string op = argv[i];
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
