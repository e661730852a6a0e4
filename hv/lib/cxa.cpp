// The one C++ runtime hook hv's code can reach: a pure virtual call (a Vcpu or PhysReader used
// during construction or after destruction) is a bug, and it panics with that reason.
#include "panic.hpp"

extern "C" [[noreturn]] void __cxa_pure_virtual() {
  hv::panic("pure virtual function called");
}
