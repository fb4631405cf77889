// callback_memory.hpp — where the starved oracles let memory run out: during
// marked feeds, and after marked throws from a callback until their feed is
// over, while every callback's own work (its logging) always has memory.
//
// Shared by starving_program.hpp (the framers and frame_assembler against
// the reference model) and length_field_harness.hpp (the length-field
// decoder against its model). Without limited_allocator_operators.hpp in
// the executable, g_refuse_from is read by no one and none of this has an
// effect.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "limited_allocator.hpp"

namespace chatframe::testing {

// True if the i-th element of `marks` is set (past its end: not set).
inline bool marked(const std::vector<bool>& marks, std::size_t i) {
  return i < marks.size() && marks[i];
}

// Memory out from here if `starve`; back for everyone when this ends,
// returned or thrown (also after a marked throw left it out).
inline limited_allocator::memory_runs_out feed_memory(bool starve) {
  return limited_allocator::memory_runs_out(starve ? 1 : ~std::size_t{0});
}

// Held by a callback for its whole run: the callback runs with memory, and
// when it leaves, memory is as it was before, or out if `starve_at_exit`
// was set meanwhile (a marked throw; it is reset for the next callback).
class callback_memory {
 public:
  explicit callback_memory(bool& starve_at_exit)
      : outside_(std::exchange(limited_allocator::g_refuse_from, ~std::size_t{0})),
        starve_(starve_at_exit) {}
  callback_memory(const callback_memory&) = delete;
  callback_memory& operator=(const callback_memory&) = delete;
  ~callback_memory() {
    limited_allocator::g_refuse_from = std::exchange(starve_, false) ? 1 : outside_;
  }

 private:
  std::size_t outside_;
  bool& starve_;
};

}  // namespace chatframe::testing
