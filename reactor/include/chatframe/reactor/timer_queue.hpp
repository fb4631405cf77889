/// @file chatframe/reactor/timer_queue.hpp
/// Deadlines for many connections: an indexed binary min-heap that postpones lazily.
///
/// Sans-IO: the queue reads no clock. Its owner (the loop, which owns the
/// clock) arms timers with absolute time points and calls expire(now); tests
/// drive it with made-up times and get the same result every run.
///
/// Why a heap, and why lazy. A server arms one timer per connection and
/// moves it on almost every event: the idle deadline goes later with each
/// request, the request-head deadline comes and goes with each head. A timer
/// wheel makes every move O(1) but rounds deadlines to its tick and needs
/// levels (or a cascade) to reach 75 s at a fine tick; a plain heap is exact
/// but pays O(log n) per move. This heap keeps, for each armed timer, exactly
/// one entry whose key is never later than the timer's deadline:
/// - arm() to a time no earlier than the key only stores the new deadline
///   (O(1), no heap work) — the common move, later;
/// - arm() to an earlier time, a first arm() and cancel() sift (O(log n));
/// - expire() finds at the top an entry whose key passed but whose deadline
///   did not: it moves the key up to the deadline and sifts down (O(log n)),
///   once per postponement that actually reached the top.
/// The heap holds one entry per armed timer — never stale duplicates — so
/// 10^5 connections are 10^5 entries (16 bytes each) and 17 levels.
/// reactor/tests/timer_queue_test.cpp counts the sifts at 10^5 timers.
///
/// Ownership: the queue points at the timers armed in it; a timer cancels
/// itself when destroyed, so either may go first. Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace chatframe::reactor {

/// The loop's clock: monotonic, unaffected by changes to the wall clock.
using clock = std::chrono::steady_clock;
/// An absolute deadline on clock.
using time_point = clock::time_point;

class timer_queue;

/// One deadline, embedded in whatever it times (a dispatcher derives from it).
/// Armed in at most one queue at a time.
class timer {
 public:
  timer() = default;
  /// Cancels the timer if it is armed.
  ~timer();
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;

  /// Whether the timer is armed in a queue.
  [[nodiscard]] bool armed() const noexcept { return queue_ != nullptr; }
  /// The deadline last armed (meaningless when not armed).
  [[nodiscard]] time_point deadline() const noexcept { return deadline_; }

 private:
  friend class timer_queue;
  time_point deadline_{};
  std::size_t index_ = 0;  // position of this timer's entry in the heap
  timer_queue* queue_ = nullptr;
};

/// Counters of the work done, for the cost test and benchmarks.
struct timer_queue_stats {
  std::uint64_t sifts = 0;      ///< heap entries moved up or down (swaps)
  std::uint64_t postponed = 0;  ///< expire() found a later deadline at the top
  std::uint64_t fired = 0;      ///< timers handed to expire()'s callback
};

/// A min-heap of timers, keyed by a time no later than each timer's deadline.
class timer_queue {
 public:
  timer_queue() = default;
  /// Disarms every timer still armed.
  ~timer_queue();
  timer_queue(const timer_queue&) = delete;
  timer_queue& operator=(const timer_queue&) = delete;

  /// Sets `t`'s deadline to `when`, arming it here. A timer armed in another
  /// queue is moved to this one. O(1) when `t` is armed here and `when` is no
  /// earlier than its entry's key, else O(log n).
  void arm(timer& t, time_point when);
  /// Disarms `t` (nothing if it is not armed). O(log n).
  void cancel(timer& t) noexcept;

  /// The earliest key: no timer fires before it, and expire() at that time
  /// does some work (fires a timer or postpones an entry). nullopt when empty.
  [[nodiscard]] std::optional<time_point> next() const noexcept;

  /// Disarms and hands to `fire(timer&)` every timer whose deadline is at or
  /// before `now`, earliest key first. `fire` may arm or cancel any timer, this
  /// one included; a timer it arms again at or before `now` fires in a later
  /// call, so one call fires at most as many timers as were armed when it
  /// began. Returns the number fired.
  template <class F>
  std::size_t expire(time_point now, F&& fire);

  /// Armed timers.
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  /// No timer is armed.
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  /// Heap work done so far (sifts, postponements), for tests and benchmarks.
  [[nodiscard]] const timer_queue_stats& stats() const noexcept { return stats_; }

 private:
  struct entry {
    time_point key;
    timer* t;
  };
  void place(std::size_t i, entry e) noexcept;
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void remove_at(std::size_t i) noexcept;

  std::vector<entry> heap_;
  timer_queue_stats stats_;
};

template <class F>
std::size_t timer_queue::expire(time_point now, F&& fire) {
  std::size_t budget = heap_.size();
  std::size_t fired = 0;
  while (budget != 0 && !heap_.empty() && heap_.front().key <= now) {
    timer* t = heap_.front().t;
    if (t->deadline_ > now) {
      // Moved later since its entry was keyed: key it where it is now.
      heap_.front().key = t->deadline_;
      ++stats_.postponed;
      sift_down(0);
      continue;
    }
    remove_at(0);
    --budget;
    ++fired;
    ++stats_.fired;
    fire(*t);
  }
  return fired;
}

}  // namespace chatframe::reactor
