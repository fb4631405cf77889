// failing_new.cpp — a library preloaded (LD_PRELOAD) into the interpreter of
// test_input_lost.py: it replaces the process's operator new and delete with
// framing/tests' limited allocator, so that a Python callback can make the
// extension's C++ allocations fail (CPython's own allocate with malloc and
// are not affected). chatframe_test_refuse_from(n): requests of n bytes or
// more fail from then on; (size_t)-1 lifts it.
#include <cstddef>

#include "limited_allocator.hpp"
#include "limited_allocator_operators.hpp"

extern "C" __attribute__((visibility("default"))) void chatframe_test_refuse_from(std::size_t n) {
  limited_allocator::g_refuse_from = n;
}
