// length_field_harness.hpp — runs a length-field decoder (the real one or
// the reference model) over chunks with a callback program, and writes down
// everything it did, so that two runs can be compared.
//
// Shared by length_field_properties_test.cpp and fuzz/length_field.cc, which
// also share how the inputs are drawn: options, programs, streams and
// chunkings from any source of numbers (`draw(lo, hi)`, inclusive) —
// libFuzzer's bytes, a seeded generator or rapidcheck.
//
// A callback program is a list of actions, each tied to one event that is
// the same whoever decodes and however the stream is cut: the i-th frame
// (on_frame(), or on_frame_end() for pieces), the i-th on_frame_begin(), the
// i-th on_error(), the piece that completes the i-th frame, the piece that
// holds byte j of the current frame. An action discards, sets new options
// or throws (once). Actions between feeds discard, set options or feed an
// empty chunk (which frames what is held back, and ends a record whose
// on_frame_begin() threw on its last byte).
//
// The log joins a frame's pieces (the model hands them over one byte at a
// time, the decoder as views: only their bytes are comparable):
//   F<frame>|                 on_frame()
//   B<length>|P<bytes>|Z|     on_frame_begin(), the pieces joined, on_frame_end()
//   E<code>@<position>:<field>:<frame length>:<limit>|   on_error()
//   T|                        a planned throw left feed()
//   N|                        std::bad_alloc left feed() (run_starved())
//   R<consumed>,<errc>|       what feed() returned
//   D| O|                     discard() / set_options() between feeds
//   R0,<errc>|                an empty feed() between feeds (or T|)
//
// run_starved() plays the decoder and the model feed by feed, with memory
// running out for the decoder during some feeds and after some planned
// throws, and tells the model where the decoder ran out.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "callback_memory.hpp"
#include "chatframe/length_field.hpp"
#include "chatframe/length_field_encoder.hpp"
#include "chatframe/length_field_framer.hpp"
#include "chatframe/outbox.hpp"
#include "reference_length_field.hpp"

namespace chatframe::testing {

enum class on_event : std::uint8_t { frame, begin, error, last_piece, piece_at };
enum class deed : std::uint8_t { discard, set_options, throw_once };

struct program_step {
  on_event when = on_event::frame;
  std::uint64_t index = 0;  // which occurrence (piece_at: the frame's byte)
  deed what = deed::discard;
  length_field_options options;  // for set_options
};

enum class between_deed : std::uint8_t { set_options, discard, empty_feed };

struct between_feeds {
  std::size_t before = 0;  // before feed number `before`
  between_deed what = between_deed::discard;
  length_field_options options;  // for set_options
};

struct callback_program {
  std::vector<program_step> steps;
  std::vector<between_feeds> between;
};

struct planned_throw : std::exception {};

struct run_log {
  std::string events;
  bool stopped = false;
  errc stop_code = errc::ok;
  std::uint64_t stop_position = 0;
  errc finished = errc::ok;
  std::string finish_events;
  bool threw = false;  // some callback threw
};

// Appends the parts to `log` (no "literal" + std::string: GCC 12 warns
// about it, wrongly, with -Wrestrict).
template <class... Parts>
void note(std::string& log, const Parts&... parts) {
  (log.append(parts), ...);
}

inline std::string describe(const length_error& e) {
  std::string out;
  note(out, "E", std::to_string(static_cast<int>(e.code)), "@", std::to_string(e.position), ":",
       std::to_string(e.field), ":", std::to_string(e.frame_length), ":", std::to_string(e.limit),
       "|");
  return out;
}

// Where memory runs out (in an executable that includes
// limited_allocator_operators.hpp, run_starved()): during the marked feeds
// (outside the callbacks, whose own work always has memory), and after the
// marked planned throws (by their order in the run) until their feed is over.
struct length_starvation {
  std::vector<bool> feeds;
  std::vector<bool> throws;
};

// What whole-frame and piece handlers share: the program and the log.
template <class Framer>
class program_runner {
 public:
  program_runner(Framer& f, const callback_program& p, const length_starvation* s = nullptr)
      : f_(f), p_(p), starvation_(s), fired_(p.steps.size()) {}

  std::string log;
  bool threw = false;
  std::size_t throws = 0;  // planned throws so far

  // The pieces of the frame in progress, not yet in the log: returned and
  // forgotten.
  std::string take_pieces() { return std::exchange(pieces_, {}); }

 protected:
  // Runs the actions tied to this occurrence; `may_throw`: the handler type
  // can throw. Returns true if a throw is planned (the caller throws).
  bool act(on_event when, std::uint64_t index, bool may_throw) {
    bool throw_now = false;
    for (std::size_t i = 0; i < p_.steps.size(); ++i) {
      const program_step& s = p_.steps[i];
      if (s.when != when || s.index != index || fired_[i]) continue;
      if (s.what == deed::throw_once && !may_throw) continue;
      fired_[i] = true;
      switch (s.what) {
        case deed::discard: f_.discard(); break;
        case deed::set_options: (void)f_.set_options(s.options); break;
        case deed::throw_once: throw_now = true; break;
      }
    }
    if (throw_now) {
      threw = true;
      if (starvation_ != nullptr && marked(starvation_->throws, throws)) starve_at_exit_ = true;
      ++throws;
    }
    return throw_now;
  }
  void error(const length_error& e, bool may_throw) {
    const callback_memory memory(starve_at_exit_);
    flush_pieces();
    log += describe(e);
    if (act(on_event::error, errors_++, may_throw)) throw planned_throw{};
  }
  void flush_pieces() {
    if (!pieces_.empty()) note(log, "P", pieces_, "|");
    pieces_.clear();
  }

  Framer& f_;
  const callback_program& p_;
  const length_starvation* starvation_;
  bool starve_at_exit_ = false;
  std::vector<bool> fired_;
  std::uint64_t frames_ = 0;
  std::uint64_t begins_ = 0;
  std::uint64_t errors_ = 0;
  std::uint64_t length_ = 0;    // of the frame being pieced
  std::uint64_t received_ = 0;  // its bytes so far
  std::string pieces_;
};

template <class Framer, bool Noexcept>
class whole_recorder : public program_runner<Framer> {
 public:
  using program_runner<Framer>::program_runner;
  void on_frame(std::string_view frame) noexcept(Noexcept) {
    const callback_memory memory(this->starve_at_exit_);
    note(this->log, "F", frame, "|");
    if (this->act(on_event::frame, this->frames_++, !Noexcept)) throw_planned();
  }
  void on_error(const length_error& e) noexcept(Noexcept) {
    if constexpr (Noexcept) {
      this->error(e, false);
    } else {
      this->error(e, true);
    }
  }
  void finish() { this->flush_pieces(); }

 private:
  static void throw_planned() {
    if constexpr (!Noexcept) throw planned_throw{};
  }
};

template <class Framer, bool Noexcept>
class piece_recorder : public program_runner<Framer> {
 public:
  using program_runner<Framer>::program_runner;
  void on_frame_begin(std::uint64_t length) noexcept(Noexcept) {
    const callback_memory memory(this->starve_at_exit_);
    this->flush_pieces();
    this->length_ = length;
    this->received_ = 0;
    note(this->log, "B", std::to_string(length), "|");
    if (this->act(on_event::begin, this->begins_++, !Noexcept)) throw_planned();
  }
  void on_frame_piece(std::string_view piece) noexcept(Noexcept) {
    const callback_memory memory(this->starve_at_exit_);
    if (piece.empty()) this->log += "<empty piece>";
    // A throw here means "not taken": decided before the piece is kept.
    const std::uint64_t from = this->received_, to = from + piece.size();
    for (std::size_t i = 0; i < this->p_.steps.size(); ++i) {
      const program_step& s = this->p_.steps[i];
      if (s.when == on_event::piece_at && s.index >= from && s.index < to && !this->fired_[i] &&
          this->act(on_event::piece_at, s.index, !Noexcept))
        throw_planned();
    }
    // Copied first: a discard() may end the view (held bytes, collected.hpp).
    const std::string bytes(piece);
    if (to == this->length_ && this->act(on_event::last_piece, this->frames_, !Noexcept))
      throw_planned();
    this->pieces_.append(bytes);
    this->received_ = to;
  }
  void on_frame_end() noexcept(Noexcept) {
    const callback_memory memory(this->starve_at_exit_);
    note(this->log, "P", this->pieces_, "|Z|");
    this->pieces_.clear();
    if (this->act(on_event::frame, this->frames_++, !Noexcept)) throw_planned();
  }
  void on_error(const length_error& e) noexcept(Noexcept) { this->error(e, !Noexcept); }
  void finish() { this->flush_pieces(); }

 private:
  static void throw_planned() {
    if constexpr (!Noexcept) throw planned_throw{};
  }
};

// Plays a callback program on one decoder: the program's between-feeds
// actions, the feeds, finish(); every outcome in the handler's log. Two
// players can go feed by feed side by side (run_starved()).
template <class Framer, class Handler>
class program_player {
 public:
  program_player(Framer& f, Handler& handler, const callback_program& p)
      : f_(f), handler_(handler), p_(p) {}

  enum class outcome : std::uint8_t { returned, threw, no_memory };

  // The program's actions before feed number i.
  void between(std::size_t i) {
    for (const between_feeds& b : p_.between) {
      if (b.before != i) continue;
      switch (b.what) {
        case between_deed::discard:
          f_.discard();
          handler_.log += "D|";
          break;
        case between_deed::set_options:
          note(handler_.log, "O", std::to_string(static_cast<int>(f_.set_options(b.options))), "|");
          break;
        case between_deed::empty_feed: (void)feed({}); break;
      }
    }
  }

  // One feed, its result, its planned throw (T|) or its std::bad_alloc (N|)
  // in the log. The chunk is fed from its own copy, so that views must not
  // outlive it, of exactly its size: under ASan a read one byte past it is
  // an overflow, where a std::string's terminating NUL or inline buffer
  // would hide it. With `starve`, memory runs out for the feed (not for its
  // callbacks); after a marked throw it is out until the feed is over.
  outcome feed(std::string_view chunk, bool starve = false) {
    const std::unique_ptr<char[]> owned = std::make_unique_for_overwrite<char[]>(chunk.size());
    std::copy(chunk.begin(), chunk.end(), owned.get());
    try {
      feed_result r;
      {
        const auto memory = feed_memory(starve);
        r = f_.feed(std::string_view(owned.get(), chunk.size()), handler_);
      }
      note(handler_.log, "R", std::to_string(r.consumed), ",",
           std::to_string(static_cast<int>(r.error)), "|");
      return outcome::returned;
    } catch (const planned_throw&) {
      handler_.log += "T|";
      return outcome::threw;
    } catch (const std::bad_alloc&) {
      handler_.log += "N|";
      return outcome::no_memory;
    }
  }

  // finish() frames what is held: a planned throw may interrupt it.
  run_log finish() {
    run_log out;
    for (;;) {
      try {
        const auto memory = feed_memory(false);  // back after a marked throw from its callbacks
        out.finished = f_.finish(handler_);
        break;
      } catch (const planned_throw&) {
        handler_.log += "T|";
      }
    }
    handler_.finish();
    out.events = handler_.log;
    out.stopped = f_.stopped();
    out.stop_code = f_.error().code;
    out.stop_position = f_.error().position;
    out.threw = handler_.threw;
    return out;
  }

 private:
  Framer& f_;
  Handler& handler_;
  const callback_program& p_;
};

// Feeds `chunks` through `f` with `handler`, the program's between-feeds
// actions first, then finish(); every outcome in the log.
template <class Framer, class Handler>
run_log run_program(Framer& f, Handler& handler, const std::vector<std::string>& chunks,
                    const callback_program& p) {
  program_player<Framer, Handler> player(f, handler, p);
  for (std::size_t i = 0; i <= chunks.size(); ++i) {
    player.between(i);
    if (i < chunks.size()) (void)player.feed(chunks[i]);
  }
  return player.finish();
}

// --- inputs -----------------------------------------------------------------

// Options over every width and byte order, small and extreme adjustments,
// strips inside and beyond the header, maxima from 0 to the largest.
template <class Draw>
length_field_options draw_options(Draw& draw) {
  static constexpr std::size_t kWidths[] = {1, 2, 3, 4, 8};
  static constexpr std::int64_t kExtreme[] = {std::numeric_limits<std::int64_t>::min(),
                                              std::numeric_limits<std::int64_t>::max(),
                                              -(std::int64_t{1} << 40), std::int64_t{1} << 40};
  length_field_options o;
  o.length_width = kWidths[draw(0, 4)];
  o.order = draw(0, 1) != 0 ? byte_order::big : byte_order::little;
  o.length_offset = draw(0, 3);
  const auto adj = static_cast<std::int64_t>(draw(0, 15));
  o.length_adjustment =
      adj < 12 ? adj - 6 - static_cast<std::int64_t>(o.header_length() / 2) : kExtreme[adj - 12];
  const auto strip = draw(0, 9);
  if (strip < 7) o.strip = strip;
  if (strip == 7) o.strip = o.header_length() + 2;
  if (strip == 8) o.strip = length_field_options::max_strip;
  const auto max = draw(0, 40);
  o.max_frame_length =
      max < 38 ? max : (max == 38 ? std::size_t{1} << 20 : length_field_options::max_frame_limit);
  o.fail_fast = draw(0, 1) != 0;
  o.on_oversized = draw(0, 1) != 0 ? oversized_action::skip : oversized_action::stop;
  return o;
}

template <class Draw>
callback_program draw_program(Draw& draw) {
  callback_program p;
  p.steps.resize(draw(0, 5));
  for (program_step& s : p.steps) {
    s.when = static_cast<on_event>(draw(0, 4));
    s.index = draw(0, 6);
    s.what = static_cast<deed>(draw(0, 2));
    // Where a piece is cut depends on who decodes: only throws there.
    if (s.when == on_event::piece_at) s.what = deed::throw_once;
    if (s.what == deed::set_options) s.options = draw_options(draw);
  }
  // A piece whose callback threw is delivered again from where the piece
  // began, which is not the same byte for the model (one-byte pieces) and
  // the decoder: a discard() before that would drop different bytes. So a
  // program that throws from pieces does not discard.
  bool piece_throws = false;
  for (const program_step& s : p.steps)
    piece_throws |= (s.when == on_event::piece_at || s.when == on_event::last_piece) &&
                    s.what == deed::throw_once;
  if (piece_throws)
    std::erase_if(p.steps, [](const program_step& s) { return s.what == deed::discard; });
  p.between.resize(draw(0, 3));
  for (between_feeds& b : p.between) {
    b.before = draw(0, 8);
    b.what = static_cast<between_deed>(draw(0, 2));
    if (b.what == between_deed::discard && piece_throws) b.what = between_deed::set_options;
    if (b.what == between_deed::set_options) b.options = draw_options(draw);
  }
  return p;
}

template <class Draw>
std::string draw_bytes(Draw& draw, std::size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(draw(0, 255));
  return s;
}

// Records as the encoder writes them, records whose header is written in the
// other byte order (a peer that got it wrong: read in the right order the
// field is large, read in the wrong one it is the body's small length, so a
// decoder that swaps the bytes of a field frames them), headers with any
// field value, stray bytes. With long_records, one written record in three
// has a body of 1025 to 1400 bytes: longer than the bound of a record run's
// short schedule (engine::record_run()), so that runs of long records, and
// short records after long ones in one run, are compared too
// (for_long_records() gives such streams a maximum and chunks that hold them).
template <class Draw>
std::string draw_stream(Draw& draw, const length_field_options& o, bool long_records = false) {
  const length_field_encoder enc(o);
  length_field_options swapped = o;
  swapped.order = o.order == byte_order::big ? byte_order::little : byte_order::big;
  const length_field_encoder other(swapped);
  std::string s;
  const std::size_t records = draw(0, 12);
  const std::size_t limit = long_records ? 8192 : 4096;
  for (std::size_t r = 0; r < records && s.size() < limit; ++r) {
    const auto kind = draw(0, 4);
    switch (kind) {
      case 0:
      case 1:
      case 4: {
        const length_field_encoder& writer = kind == 4 ? other : enc;
        // Empty bodies one time in five: an empty frame is delivered as soon
        // as its header is read, which a chunk's end or a throw there tests.
        const std::size_t n = long_records && draw(0, 2) == 0 ? draw(1025, 1400)
                              : draw(0, 4) == 0               ? 0
                                                              : draw(0, 40);
        const std::string body = draw_bytes(draw, n);
        std::string header(writer.header_length(), '\0');
        if (writer.write_header(body.size(), {}, header.data()) == errc::ok) s += header + body;
        break;
      }
      case 2:
        s += draw_bytes(draw, o.header_length());
        s += draw_bytes(draw, draw(0, 40));
        break;
      default: s += draw_bytes(draw, draw(1, 6));
    }
  }
  return s;
}

// For a stream drawn with long_records: a maximum of at least 4 KiB, which
// lets its long records through unless the options refuse them otherwise, and
// chunks of 1 byte to 4.8 KiB (the cuts 200 times draw_cuts()'), which hold
// runs of them whole.
inline void for_long_records(length_field_options& o, std::vector<std::size_t>& cuts) {
  o.max_frame_length = std::max<std::size_t>(o.max_frame_length, 4096);
  for (std::size_t& c : cuts) c *= 200;
}

// Chunk sizes 1 + cuts[i], in turn; one chunk when there are no cuts.
inline std::vector<std::string> chunks_of(const std::string& s,
                                          const std::vector<std::size_t>& cuts) {
  std::vector<std::string> out;
  std::size_t pos = 0, i = 0;
  while (pos < s.size()) {
    const std::size_t n = cuts.empty() ? s.size() : 1 + cuts[i++ % cuts.size()];
    out.push_back(s.substr(pos, n));
    pos += out.back().size();
  }
  return out;
}

template <class Draw>
std::vector<std::size_t> draw_cuts(Draw& draw) {
  std::vector<std::size_t> cuts(draw(0, 8));
  for (std::size_t& c : cuts) c = draw(0, 24);
  return cuts;
}

// A maximum that lets draw_stream()'s short records through (unless the
// options refuse them otherwise): for the runs where memory runs out, since
// only frames delivered need a copy.
inline void let_frames_through(length_field_options& o) {
  o.max_frame_length = std::max<std::size_t>(o.max_frame_length, 64);
}

// Which feeds run out of memory, and which planned throws make it run out.
template <class Draw>
length_starvation draw_starvation(Draw& draw) {
  length_starvation s;
  s.feeds.resize(draw(0, 32));
  for (std::size_t i = 0; i < s.feeds.size(); ++i) s.feeds[i] = draw(0, 2) == 0;
  s.throws.resize(draw(0, 3));
  for (std::size_t i = 0; i < s.throws.size(); ++i) s.throws[i] = draw(0, 1) == 0;
  return s;
}

inline bool starves(const length_starvation& s) {
  return std::find(s.feeds.begin(), s.feeds.end(), true) != s.feeds.end() ||
         std::find(s.throws.begin(), s.throws.end(), true) != s.throws.end();
}

// --- oracles -------------------------------------------------------------------

struct verdict {
  bool ok = true;
  std::string what;  // the oracle that failed
  std::string decoder, model;
};

enum class handler_kind : std::uint8_t { whole, whole_noexcept, pieces, pieces_noexcept };

// The decoder's run (a) against the model's (b).
inline verdict compare_runs(const run_log& a, const run_log& b) {
  if (a.events != b.events) return {false, "events differ from the model", a.events, b.events};
  if (a.finished != b.finished) return {false, "finish() differs from the model", {}, {}};
  if (a.stopped != b.stopped || a.stop_code != b.stop_code || a.stop_position != b.stop_position)
    return {false, "stopped state differs from the model", {}, {}};
  return {};
}

template <template <class, bool> class Recorder, bool Noexcept>
verdict compare_with_model(const length_field_options& o, const std::vector<std::string>& chunks,
                           const callback_program& p) {
  length_field_framer f(o);
  reference_length_framer m(o);
  Recorder<length_field_framer, Noexcept> hf(f, p);
  Recorder<reference_length_framer, Noexcept> hm(m, p);
  const run_log a = run_program(f, hf, chunks, p);
  return compare_runs(a, run_program(m, hm, chunks, p));
}

// Every event, feed() result, error, finish() and stopped state equal the model's.
inline verdict compare_with_model(handler_kind kind, const length_field_options& o,
                                  const std::vector<std::string>& chunks,
                                  const callback_program& p) {
  switch (kind) {
    case handler_kind::whole: return compare_with_model<whole_recorder, false>(o, chunks, p);
    case handler_kind::whole_noexcept:
      return compare_with_model<whole_recorder, true>(o, chunks, p);
    case handler_kind::pieces: return compare_with_model<piece_recorder, false>(o, chunks, p);
    case handler_kind::pieces_noexcept: break;
  }
  return compare_with_model<piece_recorder, true>(o, chunks, p);
}

// What memory running out did in a starved run (run_starved()).
struct starved_verdict : verdict {
  bool no_memory = false;         // a frame's copy could not grow
  bool not_kept = false;          // a frame could not be copied at a feed's end
  bool lost = false;              // unread bytes could not be kept
  bool lost_after_throw = false;  // ... in a feed that had memory until a marked throw
};

// The decoder and the model side by side, feed by feed, with memory running
// out for the decoder where `s` says (the executable includes
// limited_allocator_operators.hpp). The model cannot know when the decoder's
// copy must grow (only when its storage is full), so it is told where the
// decoder ran out — the rest is the oracle: the same events before and
// after, the same bytes lost, the same stop.
template <template <class, bool> class Recorder, bool Noexcept>
starved_verdict run_starved(const length_field_options& o, const std::vector<std::string>& chunks,
                            const callback_program& p, const length_starvation& s) {
  length_field_framer f(o);
  reference_length_framer m(o);
  Recorder<length_field_framer, Noexcept> hf(f, p, &s);
  Recorder<reference_length_framer, Noexcept> hm(m, p);
  program_player decoder(f, hf, p);
  program_player model(m, hm, p);
  starved_verdict out;
  for (std::size_t i = 0; i <= chunks.size(); ++i) {
    decoder.between(i);
    model.between(i);
    if (i == chunks.size()) break;
    const std::size_t refused = limited_allocator::g_refused;
    const std::size_t throws = hf.throws;
    const std::size_t lost_before = f.bytes_lost();
    const auto how = decoder.feed(chunks[i], marked(s.feeds, i));
    const bool lost = f.bytes_lost() != lost_before;
    // bad_alloc out of a feed no planned throw left: the copy's growth.
    const bool grew = how == decltype(decoder)::outcome::no_memory && hf.throws == throws;
    if (grew) m.no_memory_at(f.position() - f.bytes_lost());
    if (lost) m.lose_at_next_throw();
    // Memory refused otherwise: the copy of the frame open at the end.
    const bool not_kept = !grew && !lost && limited_allocator::g_refused != refused;
    if (not_kept) m.not_kept_at_next_end();
    (void)model.feed(chunks[i]);
    if (lost) {
      // The frame the lost bytes cut ends nowhere. Its pieces before them
      // depend on where pieces are cut: the model, a byte at a time, gave
      // every byte before the one whose piece threw; the decoder, none of
      // the piece that threw. Its bytes are a start of the model's.
      const std::string cut = hf.take_pieces();
      if (!hm.take_pieces().starts_with(cut)) {
        out.ok = false;
        out.what = "with bytes lost, the cut frame's pieces are not a start of the model's";
        return out;
      }
    }
    out.no_memory = out.no_memory || grew;
    out.not_kept = out.not_kept || not_kept;
    out.lost = out.lost || lost;
    out.lost_after_throw = out.lost_after_throw || (lost && !marked(s.feeds, i));
  }
  const run_log a = decoder.finish();
  static_cast<verdict&>(out) = compare_runs(a, model.finish());
  if (!out.ok) out.what = "with memory running out, " + out.what;
  return out;
}

inline starved_verdict run_starved(handler_kind kind, const length_field_options& o,
                                   const std::vector<std::string>& chunks,
                                   const callback_program& p, const length_starvation& s) {
  switch (kind) {
    case handler_kind::whole: return run_starved<whole_recorder, false>(o, chunks, p, s);
    case handler_kind::whole_noexcept: return run_starved<whole_recorder, true>(o, chunks, p, s);
    case handler_kind::pieces: return run_starved<piece_recorder, false>(o, chunks, p, s);
    case handler_kind::pieces_noexcept: break;
  }
  return run_starved<piece_recorder, true>(o, chunks, p, s);
}

// Encode -> decode: the records the encoder accepts come back as (header +
// body) without the strip, under the chunking, with no error, frame_bytes()
// within its bound all the while; the encoder refuses exactly the bodies
// whose length does not fit the field or that the decoder would refuse.
inline verdict round_trip(const length_field_options& o, const std::vector<std::string>& bodies,
                          const std::vector<std::size_t>& cuts) {
  __extension__ using int128 = __int128;
  const length_field_encoder enc(o);
  outbox out;
  std::vector<std::string> want;
  for (const std::string& b : bodies) {
    std::string header(enc.header_length(), '\0');
    const errc e = enc.write_header(b.size(), {}, header.data());
    if (enc.push(out, b) != e) return {false, "push() and write_header() disagree", {}, {}};
    const int128 v = int128{b.size()} - o.length_adjustment;
    const std::uint64_t widest =
        o.length_width == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * o.length_width)) - 1;
    const int128 record = int128{o.header_length()} + b.size();
    errc expect = errc::ok;
    if (v < 0 || v > int128{widest}) {
      expect = errc::length_does_not_fit;
    } else if (record < int128{o.strip_length()}) {
      expect = errc::length_negative;
    } else if (record - o.strip_length() > int128{o.max_frame_length}) {
      expect = errc::length_too_large;
    }
    if (e != expect) return {false, "the encoder's verdict is not the rules'", {}, {}};
    if (e == errc::ok) want.push_back((header + b).substr(o.strip_length()));
  }
  std::string wire;
  std::string_view views[8];
  for (std::size_t k = out.gather(views); k != 0; k = out.gather(views)) {
    std::size_t sent = 0;
    for (std::size_t i = 0; i < k; ++i) {
      wire.append(views[i]);
      sent += views[i].size();
    }
    if (out.consume(sent) != errc::ok) return {false, "consume() refused", {}, {}};
  }
  struct sink {
    std::vector<std::string> got;
    bool error = false;
    void on_frame(std::string_view f) noexcept { got.emplace_back(f); }
    void on_error(const length_error& /*e*/) noexcept { error = true; }
  } s;
  length_field_framer f(o);
  const std::size_t share =
      o.strip_length() < o.header_length() ? o.header_length() - o.strip_length() : 0;
  for (const std::string& c : chunks_of(wire, cuts)) {
    (void)f.feed(c, s);
    if (f.frame_bytes() > std::max(o.max_frame_length, share))
      return {false, "frame_bytes() over its bound", {}, {}};
  }
  if (s.error || s.got != want)
    return {false, "encode -> decode did not give the records back", {}, {}};
  if (!f.at_record_boundary()) return {false, "encode -> decode ended inside a record", {}, {}};
  return {};
}

}  // namespace chatframe::testing
