// limited_allocator_operators.hpp — the global operator new and delete,
// counted and refused as limited_allocator.hpp says. They replace the
// standard ones for the whole program: include this in exactly one
// translation unit of an executable (its test or fuzz target's main file).
// (The over-aligned forms are left to the standard library, which pairs
// them among themselves.)
#pragma once

#include <cstddef>
#include <new>

#include "limited_allocator.hpp"

void* operator new(std::size_t n) { return limited_allocator::counted(n); }
void* operator new[](std::size_t n) { return limited_allocator::counted(n); }
void operator delete(void* p) noexcept { limited_allocator::uncounted(p); }
void operator delete[](void* p) noexcept { limited_allocator::uncounted(p); }
void operator delete(void* p, std::size_t) noexcept { limited_allocator::uncounted(p); }
void operator delete[](void* p, std::size_t) noexcept { limited_allocator::uncounted(p); }
// The nothrow forms too: memory from one form is freed by another (libFuzzer
// takes its buffers with nothrow new and frees them with plain delete).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return limited_allocator::counted(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { limited_allocator::uncounted(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { limited_allocator::uncounted(p); }
