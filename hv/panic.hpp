// The end of the line for an impossible state: a reason, a register dump where there is one,
// the `panic` milestone (docs/milestones.md), and the CPU stopped. Never a silent hang.
#pragma once

namespace hv {
namespace x86 {
struct ExceptionFrame;
}

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void panic_with_frame(const x86::ExceptionFrame& frame, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

}  // namespace hv
