// Placement new: freestanding hv has no <new>, and constructing an object in storage it
// reserved (an object whose constructor needs run-time arguments) is all it needs of it.
#pragma once

#include <stddef.h>

inline void* operator new(size_t, void* where) noexcept {
  return where;
}
