// The one C++ runtime hook the loader's code can reach, under the Microsoft C++ ABI its target
// uses: a pure virtual call (a PhysReader used during construction) is a bug. Nothing is left
// to report it with safely, so the CPU stops.
extern "C" [[noreturn]] int _purecall() {
  for (;;) asm volatile("cli; hlt");
}
