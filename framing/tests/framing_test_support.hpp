// framing_test_support.hpp — helpers shared by the framing test executables.
//
// Two ways of looking at what a framer reports:
//   * the event log: every on_collect()/on_found() call, in order, written as
//     "C(bytes)" and "F" — used where the exact CPython call sequence matters;
//   * the frames: the bytes joined between found events, plus the unfinished
//     data at the end and the bytes still held back — which is what must not
//     depend on how the stream was cut into chunks.
//
// A "terminator program" is a list of terminators: the first is set before
// any byte is fed, and the next one is set from inside each on_found(), so a
// stream can switch between delimiters, counts and none as a protocol does.
// Once the program runs out the terminator is left as it is.
#pragma once

#include <algorithm>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chatframe/collected.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/terminator.hpp"

namespace chatframe::testing {

// Records every callback as text: C(<bytes>) for a collect, F for a found.
struct event_log {
  std::string log;
  void on_collect(const collected& data) { log += "C(" + data.str() + ")"; }
  void on_found() { log += "F"; }
};

using terminator_program = std::vector<terminator>;

struct frames {
  std::vector<std::string> complete;  // one per on_found(), in order
  std::string trailing;               // collected after the last on_found()
  std::string held;                   // still held back at the end

  friend bool operator==(const frames&, const frames&) = default;
  friend std::ostream& operator<<(std::ostream& os, const frames& f) {
    os << "{complete=[";
    for (std::size_t i = 0; i < f.complete.size(); ++i)
      os << (i ? ", " : "") << '"' << f.complete[i] << '"';
    return os << "], trailing=\"" << f.trailing << "\", held=\"" << f.held << "\"}";
  }
};

// Collects frames and plays a terminator program, one terminator per found.
// With kNoexcept its callbacks are declared noexcept, which lets the framer's
// runs skip the bookkeeping a throwing callback needs: both kinds must frame
// alike.
template <bool kNoexcept = false>
class programmed_handler {
 public:
  programmed_handler(framer& f, terminator_program program)
      : framer_(f), program_(std::move(program)) {}

  // Sets the program's first terminator (none when the program is empty).
  void start() {
    if (!program_.empty()) (void)framer_.set_terminator(program_[0]);
    next_ = 1;
  }
  void on_collect(const collected& data) noexcept(kNoexcept) { data.append_to(current_); }
  void on_found() noexcept(kNoexcept) {
    result_.complete.push_back(std::move(current_));
    current_.clear();
    if (next_ < program_.size()) (void)framer_.set_terminator(program_[next_]);
    ++next_;
  }
  [[nodiscard]] frames finish() const {
    frames out = result_;
    out.trailing = current_;
    out.held = std::string(framer_.held());
    return out;
  }

 private:
  framer& framer_;
  terminator_program program_;
  std::size_t next_ = 0;
  std::string current_;
  frames result_;
};

// Feeds `stream` to `f` as the pieces between the offsets `cuts` (any order,
// repeats allowed). Each piece is copied into its own short-lived buffer, so a
// framer that kept a view into a chunk after feed() returned is caught by
// AddressSanitizer.
template <class Handler>
void feed_in_pieces(framer& f, std::string_view stream, std::vector<std::size_t> cuts, Handler& h) {
  std::sort(cuts.begin(), cuts.end());
  std::size_t from = 0;
  cuts.push_back(stream.size());
  for (std::size_t cut : cuts) {
    cut = std::min(cut, stream.size());
    if (cut < from) continue;
    const std::string piece(stream.substr(from, cut - from));
    (void)f.feed(piece, h);
    from = cut;
  }
}

// Frames `stream` fed as the pieces between the offsets `cuts`, with a
// handler whose callbacks are noexcept or not.
template <bool kNoexcept = false>
frames frame_with_cuts(std::string_view stream, const terminator_program& program,
                       std::vector<std::size_t> cuts) {
  framer f;
  programmed_handler<kNoexcept> h(f, program);
  h.start();
  feed_in_pieces(f, stream, std::move(cuts), h);
  return h.finish();
}

inline frames frame_at_once(std::string_view stream, const terminator_program& program) {
  return frame_with_cuts(stream, program, {});
}

inline frames frame_byte_by_byte(std::string_view stream, const terminator_program& program) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  return frame_with_cuts(stream, program, cuts);
}

// Human-readable name of a terminator, for failure messages.
inline std::string describe(const terminator& t) {
  switch (t.type()) {
    case terminator::kind::none: return "none";
    case terminator::kind::count: return "count(" + std::to_string(t.byte_count()) + ")";
    case terminator::kind::bytes: {
      std::string out = "bytes(\"";
      for (char c : t.delimiter()) {
        if (c == '\r')
          out += "\\r";
        else if (c == '\n')
          out += "\\n";
        else
          out += c;
      }
      return out + "\")";
    }
  }
  return "?";
}

inline std::string describe(const terminator_program& p) {
  std::string out = "[";
  for (std::size_t i = 0; i < p.size(); ++i) out += (i ? ", " : "") + describe(p[i]);
  return out + "]";
}

}  // namespace chatframe::testing
