// chatframe/detail/work_count.hpp — an optional count of the bytes the framers examine.
//
// Not part of the public API. Built with CHATFRAME_COUNT_WORK defined, every
// place where the framing engine reads or moves bytes adds how many to
// detail::work_done: searches (the ranges memchr and the block scans cover,
// each KMP or Shift-And step, each verification), and the copies and moves
// of held-back bytes. framing/tests/linear_cost_test.cpp builds its own copy
// of the library that way and checks that the count grows linearly with the
// input, where a timed test would be at the mercy of a shared machine.
// Everywhere else the macro expands to nothing.
#pragma once

#include <cstdint>

#if defined(CHATFRAME_COUNT_WORK)
namespace chatframe::detail {
inline std::uint64_t work_done = 0;
}  // namespace chatframe::detail
#define CHATFRAME_WORK(n) (::chatframe::detail::work_done += static_cast<std::uint64_t>(n))
#else
#define CHATFRAME_WORK(n) static_cast<void>(n)  // side-effect free: compiles to nothing
#endif
