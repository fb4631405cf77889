// starving_program.hpp — callback programs whose throws may find no memory
// (errc::input_lost), played on an engine and on the reference model side by
// side: for framer_alloc_test.cpp's property and fuzz/multi_framer.cc.
//
// The executable includes limited_allocator_operators.hpp: a throw that the
// starvation marks makes every allocation fail from there until the feed is
// over, so that the framer's keeping of the unread bytes meets it (the
// handler's own logging is done before it throws). The model cannot tell
// whether the engine needed memory there (only when its buffer must grow),
// so it is told where the engine ran out; the logs then say whether both
// lost the same bytes and framed alike before and after, with the gap
// accepted (discard()) between the feeds the starvation marks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "callback_program.hpp"
#include "chatframe/error.hpp"
#include "chatframe/feed_result.hpp"
#include "limited_allocator.hpp"
#include "reference_model.hpp"

namespace chatframe::testing {

// Which throws find no memory (by the call index of on_collect() and
// on_found()), and after which feeds both sides discard().
struct starvation {
  std::vector<bool> first;
  std::vector<bool> second;
  std::vector<bool> discards;
};

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
  // Runs the call-th callback; if it throws and `marked` says so, memory
  // runs out from there on.
  template <class Callback>
  static void starve_if_it_throws(const std::vector<bool>& marked, std::size_t call, Callback&& c) {
    try {
      c();
    } catch (const injected&) {
      if (call < marked.size() && marked[call]) limited_allocator::g_refuse_from = 1;
      throw;
    }
  }
};

// One feed, logged into the handler's log: what it returned or threw,
// held() and bytes_lost() after it. True if memory ran out.
template <class Framer, class Handler>
bool starved_feed(Framer& f, Handler& h, const std::string& chunk) {
  const std::string own(chunk);  // dies after the feed: a view kept too long is caught by ASan
  enum class outcome : std::uint8_t { returned, threw, no_memory } how = outcome::returned;
  feed_result r;
  try {
    r = f.feed(own, h);
  } catch (const injected&) {
    how = outcome::threw;
  } catch (const std::bad_alloc&) {
    how = outcome::no_memory;
  }
  limited_allocator::g_refuse_from = ~std::size_t{0};  // before anything else allocates
  switch (how) {
    case outcome::returned:
      h.log += "=" + std::to_string(r.consumed) + std::string(to_string(r.error));
      break;
    case outcome::threw: h.log += "=threw"; break;
    case outcome::no_memory: h.log += "=no_memory"; break;
  }
  h.log += "|" + std::string(f.held()) + "|" + std::to_string(f.bytes_lost()) + "\n";
  return how == outcome::no_memory;
}

struct starved_logs {
  std::string engine;
  std::string model;
  bool any_lost = false;
};

// The engine's log and the model's, fed chunk by chunk under the program:
// the model is told that memory runs out where the engine ran out. Equal
// logs are the oracle. `delimiters` must be valid.
template <class Framer>
starved_logs run_starved(const std::vector<std::string>& delimiters,
                         const std::vector<std::string>& chunks, const program& p,
                         const starvation& s) {
  Framer engine;
  reference_multi_framer model;
  starved_logs out;
  if (set_delimiters(engine, delimiters) != errc::ok) out.engine = "delimiters refused";
  if (set_delimiters(model, delimiters) != errc::ok) out.model = "delimiters refused";
  starving<Framer> e{{{engine, p}}, &s};
  programmed_handler<reference_multi_framer> m{{model, p}};
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const bool lost = starved_feed(engine, e, chunks[i]);
    if (lost) model.lose_at_next_throw();
    (void)starved_feed(model, m, chunks[i]);  // its log says whether it lost them too
    out.any_lost = out.any_lost || lost;
    if (i < s.discards.size() && s.discards[i]) {
      engine.discard();
      model.discard();
      e.log += "discard\n";
      m.log += "discard\n";
    }
  }
  out.engine += e.log;
  out.model += m.log;
  return out;
}

}  // namespace chatframe::testing
