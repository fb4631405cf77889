// starving_program.hpp — callback programs whose throws may find no memory
// (errc::input_lost), played on an engine and on the reference model side by
// side: for framer_alloc_test.cpp's properties, fuzz/multi_framer.cc and
// fuzz/frame_assembler.cc.
//
// The executable includes limited_allocator_operators.hpp: a throw that the
// starvation marks makes every allocation fail from there until the feed is
// over, so that the framer's keeping of the unread bytes meets it (the
// handler's own logging is done before it throws), and so does
// frame_assembler's copy of a frame still open in the chunk. The model
// cannot tell whether the engine needed memory there (only when a buffer
// must grow), so it is told where the engine ran out; the logs then say
// whether both lost the same bytes and framed alike before and after, with
// the gap accepted (discard()) between the feeds the starvation marks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "callback_memory.hpp"
#include "callback_program.hpp"
#include "chatframe/error.hpp"
#include "chatframe/feed_result.hpp"
#include "chatframe/frame_assembler.hpp"
#include "limited_allocator.hpp"
#include "reference_model.hpp"

namespace chatframe::testing {

// Where memory runs out: after the marked throws (by the call index of the
// first and second callback: on_collect() and on_found(), or on_frame() and
// on_limit()) until their feed is over; for the framers, during the marked
// feeds (outside the callbacks, whose own work always has memory); for
// frame_assembler, from where the framer returns from the marked feeds (so
// the assembler's copy of its open frame meets it). And after which feeds
// both sides discard().
struct starvation {
  std::vector<bool> first;
  std::vector<bool> second;
  std::vector<bool> feeds;
  std::vector<bool> discards;
};

// The delimiters made 16 bytes longer (each: 16 of its first byte, then
// itself), so that the start of one held back at a chunk's end takes memory
// (up to 16 bytes fit in the held bytes' own storage).
inline std::vector<std::string> lengthened(std::vector<std::string> delimiters) {
  for (std::string& d : delimiters) d.insert(0, 16, d.front());
  return delimiters;
}

// A programmed handler whose marked throws make memory run out.
template <class Framer>
struct starving : programmed_handler<Framer> {
  using programmed = programmed_handler<Framer>;
  const starvation* marks = nullptr;
  void on_collect(const collected& d) {
    starve_if_it_throws(marks->first, this->firsts, [&] { programmed::on_collect(d); });
  }
  void on_found(std::size_t which) {
    starve_if_it_throws(marks->second, this->seconds, [&] { programmed::on_found(which); });
  }
  void on_found() { on_found(0); }
  // Runs the call-th callback with memory; if it throws and `marks` says
  // so, memory runs out from there on.
  template <class Callback>
  static void starve_if_it_throws(const std::vector<bool>& marks, std::size_t call, Callback&& c) {
    bool starve = false;
    const callback_memory memory(starve);
    try {
      c();
    } catch (const injected&) {
      starve = marked(marks, call);
      throw;
    }
  }
};

// A programmed frame_assembler sink whose marked throws (by the call index
// of on_frame() and on_limit()) make memory run out.
template <class Framer>
struct starving_sink : programmed_sink<Framer> {
  using programmed = programmed_sink<Framer>;
  const starvation* marks = nullptr;
  void on_frame(std::string_view frame, std::size_t which) {
    starving<Framer>::starve_if_it_throws(marks->first, this->firsts,
                                          [&] { programmed::on_frame(frame, which); });
  }
  void on_limit(const frame_error& e) {
    starving<Framer>::starve_if_it_throws(marks->second, this->seconds,
                                          [&] { programmed::on_limit(e); });
  }
};

// How one starved feed ended.
enum class starved_outcome : std::uint8_t { returned, threw, no_memory };

// One feed (`feed(chunk)`, returning a feed_result), logged into `log`: what
// it returned or threw, then held() and bytes_lost() of the framer `f`.
// With `starve`, memory runs out from the start of the feed.
template <class Framer, class Feed>
starved_outcome logged_feed(const Framer& f, std::string& log, const std::string& chunk,
                            bool starve, Feed&& feed) {
  const std::string own(chunk);  // dies after the feed: a view kept too long is caught by ASan
  starved_outcome how = starved_outcome::returned;
  feed_result r;
  {
    const auto memory = feed_memory(starve);  // back before anything else allocates
    try {
      r = feed(std::string_view(own));
    } catch (const injected&) {
      how = starved_outcome::threw;
    } catch (const std::bad_alloc&) {
      how = starved_outcome::no_memory;
    }
  }
  switch (how) {
    case starved_outcome::returned:
      log += "=" + std::to_string(r.consumed) + std::string(to_string(r.error));
      break;
    case starved_outcome::threw: log += "=threw"; break;
    case starved_outcome::no_memory: log += "=no_memory"; break;
  }
  log += "|" + std::string(f.held()) + "|" + std::to_string(f.bytes_lost()) + "\n";
  return how;
}

// One feed of the framer itself into its handler, logged into the handler's
// log. True if memory ran out (the framer lost bytes).
template <class Framer, class Handler>
bool starved_feed(Framer& f, Handler& h, const std::string& chunk, bool starve) {
  return logged_feed(f, h.log, chunk, starve, [&](std::string_view c) { return f.feed(c, h); }) ==
         starved_outcome::no_memory;
}

// A framer whose feed() makes memory run out when it returns, if told: for
// frame_assembler's feed(), which copies its open frame after that.
template <class Framer>
struct starved_at_return {
  Framer& f;
  bool starve = false;
  template <class Handler>
  feed_result feed(std::string_view chunk, Handler& h) {
    const feed_result r = f.feed(chunk, h);
    if (starve) limited_allocator::g_refuse_from = 1;
    return r;
  }
  [[nodiscard]] std::size_t bytes_lost() const { return f.bytes_lost(); }
  [[nodiscard]] std::string_view held() const { return f.held(); }
  auto take_held() { return f.take_held(); }
};

struct starved_logs {
  std::string engine;
  std::string model;
  bool any_lost = false;         // the framer lost bytes
  bool any_lost_at_end = false;  // ... held back at a feed's end
  bool any_not_kept = false;     // the assembler could not copy a frame
};

// The two sides: the engine and the model framer, with the same delimiters.
template <class Framer>
struct starved_sides {
  Framer engine;
  reference_multi_framer model;
  starved_logs out;
  explicit starved_sides(const std::vector<std::string>& delimiters) {
    if (set_delimiters(engine, delimiters) != errc::ok) out.engine = "delimiters refused";
    if (set_delimiters(model, delimiters) != errc::ok) out.model = "delimiters refused";
  }
  // After the feeds `s` marks, both accept the gap, and their logs say so.
  void discard_after(const starvation& s, std::size_t feed, std::string& engine_log,
                     std::string& model_log) {
    if (!marked(s.discards, feed)) return;
    engine.discard();
    model.discard();
    engine_log += "discard\n";
    model_log += "discard\n";
  }
};

// The engine's log and the model's, fed chunk by chunk under the program:
// the model is told that memory runs out where the engine ran out. Equal
// logs are the oracle. `delimiters` must be valid.
template <class Framer>
starved_logs run_starved(const std::vector<std::string>& delimiters,
                         const std::vector<std::string>& chunks, const program& p,
                         const starvation& s) {
  starved_sides<Framer> sides(delimiters);
  auto& [engine, model, out] = sides;
  starving<Framer> e{{{engine, p}}, &s};
  programmed_handler<reference_multi_framer> m{{model, p}};
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const std::size_t before = e.log.size();
    const bool lost = starved_feed(engine, e, chunks[i], marked(s.feeds, i));
    if (lost) model.lose_at_next_keep();
    (void)starved_feed(model, m, chunks[i], false);  // its log says whether it lost them too
    out.any_lost = out.any_lost || lost;
    // (No callback threw: the bytes held back at the end were lost.)
    out.any_lost_at_end = out.any_lost_at_end || (lost && e.log.find('!', before) == e.log.npos);
    sides.discard_after(s, i, e.log, m.log);
  }
  out.engine += e.log;
  out.model += m.log;
  return out;
}

// The same, through frame_assembler over the framer and through the model
// assembler over the model framer, finished with `policy`. Memory can run
// out in two places: the framer keeping the unread bytes after a marked
// throw (std::bad_alloc out of feed(): the model framer is told), or the
// assembler copying its open frame out of the chunk, after such a throw or
// at a marked feed's end (a refused request in a feed that did not lose
// bytes: the model assembler is told).
template <class Framer>
starved_logs run_starved_assembled(const std::vector<std::string>& delimiters,
                                   const std::vector<std::string>& chunks, const program& p,
                                   const starvation& s, const assembler_options& options,
                                   eof_policy policy) {
  starved_sides<Framer> sides(delimiters);
  auto& [engine, model, out] = sides;
  starving_sink<Framer> e{{{engine, p}}, &s};
  programmed_sink<reference_multi_framer> m{{model, p}};
  frame_assembler<starving_sink<Framer>> assembler(e, options);
  reference_frame_assembler<programmed_sink<reference_multi_framer>> reference(m, options);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const std::size_t refused = limited_allocator::g_refused;
    starved_at_return<Framer> starving_engine{engine, marked(s.feeds, i)};
    const starved_outcome how =
        logged_feed(engine, e.log, chunks[i], false,
                    [&](std::string_view c) { return assembler.feed(starving_engine, c); });
    const bool lost = how == starved_outcome::no_memory;
    const bool not_kept = !lost && limited_allocator::g_refused != refused;
    if (lost) model.lose_at_next_keep();
    if (not_kept) reference.not_kept_at_next_end();
    (void)logged_feed(model, m.log, chunks[i], false,
                      // (sides.model: clang 14's lambdas cannot capture a structured binding)
                      [&](std::string_view c) { return reference.feed(sides.model, c); });
    out.any_lost = out.any_lost || lost;
    out.any_not_kept = out.any_not_kept || not_kept;
    sides.discard_after(s, i, e.log, m.log);
  }
  try {
    const auto memory = feed_memory(false);  // back after a marked throw from finish()'s sink calls
    assembler.finish(engine, policy);
  } catch (const injected&) {
  }
  try {
    reference.finish(model, policy);
  } catch (const injected&) {
  }
  out.engine += e.log + "|failed=" + std::to_string(assembler.failed());
  out.model += m.log + "|failed=" + std::to_string(reference.failed());
  return out;
}

}  // namespace chatframe::testing
