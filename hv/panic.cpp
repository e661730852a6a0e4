#include "panic.hpp"

#include <stdarg.h>

#include "arch/x86/exceptions.hpp"
#include "arch/x86/port_io.hpp"
#include "console/log.hpp"
#include "lib/format.hpp"

namespace hv {
namespace {

uint64_t read_cr(int which) {
  uint64_t v = 0;
  switch (which) {
    case 0:
      asm volatile("mov %%cr0, %0" : "=r"(v));
      break;
    case 3:
      asm volatile("mov %%cr3, %0" : "=r"(v));
      break;
    case 4:
      asm volatile("mov %%cr4, %0" : "=r"(v));
      break;
    default:
      break;
  }
  return v;
}

void dump(const x86::ExceptionFrame& f) {
  log::error("rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx", f.rax, f.rbx, f.rcx, f.rdx);
  log::error("rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx", f.rsi, f.rdi, f.rbp, f.rsp);
  log::error("r8 =%016lx r9 =%016lx r10=%016lx r11=%016lx", f.r8, f.r9, f.r10, f.r11);
  log::error("r12=%016lx r13=%016lx r14=%016lx r15=%016lx", f.r12, f.r13, f.r14, f.r15);
  log::error("rip=%016lx cs=%04lx ss=%04lx rflags=%08lx", f.rip, f.cs, f.ss, f.rflags);
  log::error("cr0=%016lx cr3=%016lx cr4=%016lx", read_cr(0), read_cr(3), read_cr(4));
}

[[noreturn]] void finish(const char* reason_word) {
  log::milestone(
      rootstock::milestone::Writer("panic").field("component", "hv").field("reason", reason_word));
  log::flush();
  x86::halt_forever();
}

}  // namespace

void panic(const char* fmt, ...) {
  char reason[200];
  va_list args;
  va_start(args, fmt);
  vformat(reason, sizeof(reason), fmt, args);
  va_end(args);
  log::error("hv panic: %s", reason);
  finish("assertion");
}

void panic_with_frame(const x86::ExceptionFrame& frame, const char* fmt, ...) {
  char reason[200];
  va_list args;
  va_start(args, fmt);
  vformat(reason, sizeof(reason), fmt, args);
  va_end(args);
  log::error("hv panic: %s", reason);
  dump(frame);
  finish("exception");
}

}  // namespace hv
