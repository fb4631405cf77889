// reference_model.hpp — what multi_framer and frame_assembler must do, written
// to be obviously correct rather than fast.
//
// Beyond CPython there is no reference to compare with, so this is one: the
// tests (reference_model_test.cpp) and the fuzzers (fuzz/multi_framer.cc,
// fuzz/frame_assembler.cc) run the engine and these models side by side, over
// random streams, random chunkings and random callback programs, and require
// the same events.
//
// The models keep none of the engine's machinery: no held-back window (the
// whole unframed stream is one std::string, CPython's ac_in_buffer), no
// fast path, no search state; each step looks for a frame end one byte at a
// time from the start of the buffer. Every rule of the contract is a line
// here, stated where it applies:
//   * a step's delimiters are those in force when it starts; what a callback
//     sets is used from the next step on;
//   * discard() empties the buffer; the step's pending found is still
//     reported;
//   * an exception from on_collect() leaves the buffer as the step found it;
//     one from on_found() leaves the delimiter consumed;
//   * what is left in the buffer when a feed ends is what held() shows;
//   * when a throw, or a feed's end, finds no memory to keep the buffer, it
//     is lost: feed() frames nothing until discard() (errc::input_lost).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chatframe/collected.hpp"
#include "chatframe/error.hpp"
#include "chatframe/feed_result.hpp"
#include "chatframe/frame_assembler.hpp"

namespace chatframe::testing {

// multi_framer, the simple way. With one delimiter it is also framer with a
// delimiter terminator.
class reference_multi_framer {
 public:
  static constexpr std::size_t max_delimiters = 16;
  static constexpr std::size_t max_delimiter_length = 64;

  errc set_delimiters(std::span<const std::string_view> delimiters) {
    if (delimiters.empty() || delimiters.size() > max_delimiters) return errc::invalid_delimiters;
    for (const std::string_view d : delimiters)
      if (d.empty() || d.size() > max_delimiter_length) return errc::invalid_delimiters;
    delimiters_.assign(delimiters.begin(), delimiters.end());
    return errc::ok;
  }

  template <class Handler>
  feed_result feed(std::string_view chunk, Handler& handler) {
    if (in_feed_) return {0, errc::reentrant_feed};
    if (delimiters_.empty()) return {0, errc::invalid_delimiters};
    if (lost_ != 0) return {0, errc::input_lost};
    in_feed_ = true;
    discarded_ = false;
    buffer_.append(chunk);  // asynchat.py:133 — join everything
    try {
      while (!buffer_.empty() && !discarded_) {
        if (!step(handler)) break;
      }
    } catch (...) {
      in_feed_ = false;
      const bool losing = std::exchange(losing_, false);
      if (losing && !discarded_ && !buffer_.empty()) {
        // No memory to keep what the throw left: it is gone.
        lost_ = buffer_.size();
        buffer_.clear();
        throw std::bad_alloc();
      }
      throw;
    }
    in_feed_ = false;
    if (std::exchange(losing_, false) && !buffer_.empty()) {
      // No memory to hold back the end that may begin a delimiter: it is
      // gone (the bytes before it were framed).
      lost_ = buffer_.size();
      buffer_.clear();
      throw std::bad_alloc();
    }
    return {chunk.size(), errc::ok};
  }

  // Beyond CPython (errc::input_lost): the next time a feed must keep bytes
  // — the unread ones when a callback throws, the held-back end when it
  // returns — it finds no memory. (The engine needs memory only where its
  // buffer must grow, which the model does not follow: a test tells the
  // model when the engine ran out.)
  void lose_at_next_keep() { losing_ = true; }
  [[nodiscard]] std::size_t bytes_lost() const { return lost_; }

  // Also accepts the gap left by lost bytes.
  void discard() {
    buffer_.clear();
    lost_ = 0;
    if (in_feed_) discarded_ = true;
  }
  [[nodiscard]] std::string_view held() const { return buffer_; }
  std::string take_held() {
    std::string out;
    out.swap(buffer_);
    return out;
  }

 private:
  struct match {
    std::size_t start;
    std::size_t end;  // one past the delimiter
    std::size_t which;
  };

  // The frame end a step looks for: at each byte from the start of the
  // buffer, does some delimiter end there (and start in the buffer)? The
  // first byte where one does; the longest there; the first given of equal ones.
  [[nodiscard]] static bool find(const std::string& buffer,
                                 const std::vector<std::string>& delimiters, match& m) {
    for (std::size_t e = 0; e < buffer.size(); ++e) {
      bool found = false;
      for (std::size_t i = 0; i < delimiters.size(); ++i) {
        const std::string& d = delimiters[i];
        if (d.size() > e + 1) continue;
        if (buffer.compare(e + 1 - d.size(), d.size(), d) != 0) continue;
        if (!found || d.size() > m.end - m.start) m = {e + 1 - d.size(), e + 1, i};
        found = true;
      }
      if (found) return true;
    }
    return false;
  }
  // The longest end of the buffer that is a proper prefix of some delimiter.
  [[nodiscard]] static std::size_t prefix_at_end(const std::string& buffer,
                                                 const std::vector<std::string>& delimiters) {
    std::size_t best = 0;
    for (const std::string& d : delimiters)
      for (std::size_t l = 1; l < d.size() && l <= buffer.size(); ++l)
        if (buffer.compare(buffer.size() - l, l, d, 0, l) == 0) best = std::max(best, l);
    return best;
  }

  // One turn of CPython's loop (asynchat.py:159-191); false: stop until more arrives.
  template <class Handler>
  bool step(Handler& handler) {
    const std::vector<std::string> delimiters = delimiters_;  // those of this step
    match m{};
    if (find(buffer_, delimiters, m)) {
      // The bytes before the delimiter, then the delimiter consumed, then found.
      if (m.start > 0) collect(handler, buffer_.substr(0, m.start));
      if (!discarded_) buffer_.erase(0, m.end);
      handler.on_found(m.which);
      return true;
    }
    const std::size_t p = prefix_at_end(buffer_, delimiters);
    if (p == 0) {
      collect(handler, buffer_);
      buffer_.clear();
      return true;
    }
    if (p != buffer_.size()) {
      collect(handler, buffer_.substr(0, buffer_.size() - p));
      if (!discarded_) buffer_.erase(0, buffer_.size() - p);
    }
    return false;  // the rest may begin a delimiter: hold it
  }
  // The callback gets its own copy: it may discard() the buffer.
  template <class Handler>
  static void collect(Handler& handler, std::string bytes) {
    handler.on_collect(collected{bytes, {}});
  }

  std::vector<std::string> delimiters_;
  std::string buffer_;  // everything fed and not yet framed
  bool in_feed_ = false;
  bool discarded_ = false;
  bool losing_ = false;   // the next keep of bytes finds no memory: they are lost
  std::size_t lost_ = 0;  // bytes lost; feed() refuses until discard()
};

// frame_assembler, the simple way: the frame is a std::string that grows
// with every collect; never a view, never zero-copy. Events come from any
// framer (framer's on_found() is which 0).
template <class Sink>
class reference_frame_assembler {
 public:
  static constexpr std::size_t none_matched = static_cast<std::size_t>(-1);

  reference_frame_assembler(Sink& sink, assembler_options options)
      : sink_(sink), options_(options) {}

  // When the framer lost the bytes after a throw (no memory), the open frame
  // goes with them. When the test says that the assembler's own copy found
  // no memory at this feed's end (not_kept_at_next_end()), the open frame is
  // skipped to its end and reported there.
  template <class Framer>
  feed_result feed(Framer& f, std::string_view chunk) {
    feed_result r;
    try {
      r = f.feed(chunk, *this);
    } catch (...) {
      if (f.bytes_lost() != 0) {
        not_kept_ = false;
        frame_.clear();
        skipping_ = false;
        unkept_ = 0;
      } else {
        skip_if_not_kept();
      }
      throw;
    }
    skip_if_not_kept();
    return r;
  }

  // Told by the test: at the end of the next feed() (returned or thrown),
  // the engine had no memory to copy its open frame out of the chunk.
  void not_kept_at_next_end() { not_kept_ = true; }

  // A count over the limit is refused, and reported, before any byte is read.
  template <class Framer>
  errc set_count(Framer& f, std::int64_t n) {
    const bool fits = n <= 0 || static_cast<std::uint64_t>(n) <= options_.max_frame_size;
    if (fits) return f.set_count(n);
    const frame_error refused{errc::count_too_large, static_cast<std::size_t>(n),
                              options_.max_frame_size};
    sink_.on_limit(refused);
    return refused.code;
  }

  // End of stream: the frame so far and the held-back bytes, by the policy.
  template <class Framer>
  void finish(Framer& f, eof_policy policy) {
    std::string rest = frame_;
    rest.append(f.held());
    (void)f.take_held();
    frame_.clear();
    // A frame being skipped, or anything after a close, is never delivered.
    const bool dropped = skipping_ || failed_;
    skipping_ = false;
    if (const std::size_t unkept = std::exchange(unkept_, 0); unkept != 0) {
      // A frame no memory could keep ended with the stream: said, not delivered.
      sink_.on_limit(frame_error{errc::frame_not_kept, unkept, options_.max_frame_size});
      return;
    }
    if (rest.empty() || dropped || policy == eof_policy::drop) return;
    if (policy == eof_policy::error) {
      sink_.on_limit(frame_error{errc::truncated_frame, rest.size(), options_.max_frame_size});
      return;
    }
    constexpr bool flags_partial = requires { sink_.on_partial(std::string_view()); };
    if constexpr (flags_partial) {
      if (policy == eof_policy::deliver_flagged) {
        sink_.on_partial(std::string_view(rest));
        return;
      }
    }
    sink_.on_frame(rest, none_matched);  // deliver, or deliver_flagged to a sink without on_partial
  }

  [[nodiscard]] bool failed() const { return failed_; }
  [[nodiscard]] std::size_t frame_bytes() const { return frame_.size(); }

  void on_collect(const collected& data) {
    if (failed_ || skipping_) return;  // after a limit: nothing until resync, or for ever
    const std::size_t total = frame_.size() + data.size();
    if (total > options_.max_frame_size) {
      // Reported first: if on_limit() throws, nothing changed and the
      // framer delivers these bytes again.
      sink_.on_limit(frame_error{errc::frame_too_large, total, options_.max_frame_size});
      frame_.clear();
      if (options_.on_limit == limit_action::close) {
        failed_ = true;
      } else {
        skipping_ = true;
      }
      return;
    }
    frame_.append(data.str());
  }
  void on_found() { on_found(0); }
  void on_found(std::size_t which) {
    if (failed_) return;
    if (skipping_) {
      skipping_ = false;  // the oversized (or unkept) frame ended here: resynchronised
      frame_.clear();
      // An unkept frame is reported where it ends; if on_limit() throws, the
      // report still counts as made (the framer consumed the delimiter).
      if (const std::size_t unkept = std::exchange(unkept_, 0); unkept != 0)
        sink_.on_limit(frame_error{errc::frame_not_kept, unkept, options_.max_frame_size});
      return;
    }
    // The frame is delivered whether or not on_frame() throws: the framer
    // has consumed its delimiter.
    const std::string frame = std::move(frame_);
    frame_.clear();
    sink_.on_frame(frame, which);
  }

 private:
  Sink& sink_;
  assembler_options options_;
  // A frame open at a feed's end that could not be copied: skipped to its
  // end, where it is reported (on_found(), or finish()).
  void skip_if_not_kept() {
    if (!std::exchange(not_kept_, false) || frame_.empty()) return;
    unkept_ = frame_.size();
    frame_.clear();
    skipping_ = true;
  }

  std::string frame_;
  bool skipping_ = false;
  bool failed_ = false;
  bool not_kept_ = false;   // the next feed's end finds no memory for the open frame
  std::size_t unkept_ = 0;  // bytes of the skipped frame no memory could keep
};

}  // namespace chatframe::testing
