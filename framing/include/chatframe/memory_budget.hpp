/// @file chatframe/memory_budget.hpp
/// One connection's memory, with high and low water marks.
///
/// An opt-in extension: a sans-IO account of what one connection holds — the
/// framer's held-back input, whatever the application is assembling (e.g.
/// frame_assembler::frame_bytes()), and the outbox's queued output — and a
/// decision with hysteresis: at or above high_water the connection should stop
/// reading and stop asking producers for more; below low_water it resumes.
/// The core reads nothing itself, so the loop asks:
///
/// @code
///   chatframe::memory_budget budget({.high_water = 1 << 20, .low_water = 1 << 19});
///   // after every read and every write completion:
///   switch (budget.update(framer, outbox, assembler.frame_bytes())) {
///     case chatframe::budget_change::paused:
///       stop_reading(fd);
///       outbox.pause_producers(true);
///       break;
///     case chatframe::budget_change::resumed:
///       start_reading(fd);
///       outbox.pause_producers(false);
///       break;
///     case chatframe::budget_change::none:
///       break;
///   }
/// @endcode
///
/// A peer that sends faster than it reads then costs at most high_water plus
/// what one read can add (the read size and the output it triggers): reading
/// stops, the kernel's buffers fill, and TCP flow control pushes back on the
/// peer. reactor/tests shows it with a client that pipelines megabytes and
/// reads nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "chatframe/framer.hpp"
#include "chatframe/outbox.hpp"

namespace chatframe {

/// A memory_budget's water marks, in bytes.
struct budget_options {
  std::size_t high_water = std::size_t{1} << 20;  ///< pause at or above
  std::size_t low_water = std::size_t{1} << 19;   ///< resume below (clamped to high_water)
};

/// What an update() changed.
enum class budget_change : std::uint8_t {
  none,    ///< the decision stands
  paused,  ///< in_use() reached high_water: stop reading, pause producers
  resumed  ///< in_use() fell below low_water: read and produce again
};

/// One connection's memory and the decision to pause or resume it (see the file's description).
class memory_budget {
 public:
  /// Starts resumed with nothing counted; low_water is clamped to high_water.
  explicit memory_budget(budget_options options = {}) noexcept : options_(options) {
    if (options_.low_water > options_.high_water) options_.low_water = options_.high_water;
  }

  /// Recounts from the parts (bytes held back by the framer, being assembled,
  /// queued for output); says whether the decision changed.
  budget_change update(std::size_t held_input, std::size_t assembling,
                       std::size_t queued_output) noexcept {
    in_use_ = held_input + assembling + queued_output;
    if (in_use_ > peak_) peak_ = in_use_;
    if (!paused_ && in_use_ >= options_.high_water) {
      paused_ = true;
      ++pauses_;
      return budget_change::paused;
    }
    if (paused_ && in_use_ < options_.low_water) {
      paused_ = false;
      return budget_change::resumed;
    }
    return budget_change::none;
  }
  /// update() with the framer's held() bytes and the outbox's queued_bytes().
  budget_change update(const framer& in, const outbox& out, std::size_t assembling = 0) noexcept {
    return update(in.held().size(), assembling, out.queued_bytes());
  }

  /// The last update() paused (and no later one resumed).
  [[nodiscard]] bool paused() const noexcept { return paused_; }
  /// !paused(): the loop may read.
  [[nodiscard]] bool reading_allowed() const noexcept { return !paused_; }
  /// Bytes counted by the last update().
  [[nodiscard]] std::size_t in_use() const noexcept { return in_use_; }
  /// The most bytes any update() counted.
  [[nodiscard]] std::size_t peak() const noexcept { return peak_; }
  /// How many times an update() paused.
  [[nodiscard]] std::size_t pauses() const noexcept { return pauses_; }
  /// The water marks in force (low_water clamped).
  [[nodiscard]] const budget_options& options() const noexcept { return options_; }

 private:
  budget_options options_;
  std::size_t in_use_ = 0;
  std::size_t peak_ = 0;
  std::size_t pauses_ = 0;
  bool paused_ = false;
};

}  // namespace chatframe
