// limited_allocator.hpp — a replaced global operator new that counts what a
// test executable allocates and can be told that memory runs out.
//
// An executable that includes limited_allocator_operators.hpp (in one
// translation unit: it replaces the global operator new and delete for the
// whole program) reads and sets these. Allocations are counted in
// g_allocations, the largest request in g_largest, the bytes not yet freed
// in g_live, the requests refused in g_refused; while a memory_runs_out is alive (or g_refuse_from
// is set), every request of its size or more throws std::bad_alloc, as it would when memory is
// short.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace limited_allocator {
inline std::size_t g_allocations = 0;
inline std::size_t g_largest = 0;
inline std::size_t g_refuse_from = ~std::size_t{0};  // requests this large fail
inline std::size_t g_live = 0;                       // bytes allocated and not yet freed
inline std::size_t g_refused = 0;                    // requests that threw std::bad_alloc

// Each block carries its size in front of it, for g_live.
inline constexpr std::size_t kPrefix = alignof(std::max_align_t);

inline void* counted(std::size_t n) {
  ++g_allocations;
  if (n > g_largest) g_largest = n;
  if (n < g_refuse_from) {
    if (void* p = std::malloc(kPrefix + n)) {
      *static_cast<std::size_t*>(p) = n;
      g_live += n;
      return static_cast<char*>(p) + kPrefix;
    }
  }
  ++g_refused;
  throw std::bad_alloc();
}
inline void uncounted(void* p) noexcept {
  if (p == nullptr) return;
  void* block = static_cast<char*>(p) - kPrefix;
  g_live -= *static_cast<std::size_t*>(block);
  std::free(block);
}

// While alive, requests of `from` bytes or more fail with std::bad_alloc.
struct memory_runs_out {
  explicit memory_runs_out(std::size_t from) { g_refuse_from = from; }
  memory_runs_out(const memory_runs_out&) = delete;
  memory_runs_out& operator=(const memory_runs_out&) = delete;
  ~memory_runs_out() { g_refuse_from = ~std::size_t{0}; }
};
}  // namespace limited_allocator
