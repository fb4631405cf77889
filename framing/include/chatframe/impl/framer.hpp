// chatframe/impl/framer.hpp — framer's configuration of the engine: CPython's rules.
//
// Not part of the public API (included by framer.hpp). What is framer's own
// is here: which step the terminator calls for, and CPython's arithmetic on
// counts; everything else is detail/engine.hpp. Each branch names the
// asynchat.py lines it mirrors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "chatframe/framer.hpp"

namespace chatframe {

template <framing_handler H>
feed_result framer::feed(std::string_view chunk, H& handler) {
  events<H> ev{handler};
  return engine_.feed(chunk, [&](const char*& k, const char* end) { return step(k, end, ev); });
}

template <class H>
[[gnu::always_inline]] inline detail::step_outcome framer::step(const char*& k, const char* end,
                                                                events<H> ev) {
  // asynchat.py:143-146 — none, b'' and 0: collect it all.
  if (term_.collects_everything()) return engine_.collect_all(k, end, ev);
  if (term_.kind_ == terminator::kind::count) return count_step(k, end, ev);
  // asynchat.py:159-191 — a delimiter.
  return engine_.delimiter_step(search_, k, end, ev);
}

template <class H>
[[gnu::always_inline]] inline detail::step_outcome framer::count_step(const char*& k,
                                                                      const char* end,
                                                                      events<H> ev) {
  const std::size_t lb = engine_.buffered(k, end);
  const auto n = static_cast<std::uint64_t>(term_.count_);
  const auto done = [this] { count_done(); };
  if (lb < n) {
    // A negative count wraps to the largest n and comes here too.
    if (term_.count_ < 0) [[unlikely]] {
      // asynchat.py:149, 155-158 with n < 0: Python's slices count from
      // the end. Collect all but the last -n bytes (b'' when the buffer is
      // no longer, and CPython still reports it), keep those, count 0, found.
      const auto back = static_cast<std::uint64_t>(-term_.count_);
      engine_.complete_count(back < lb ? static_cast<std::size_t>(lb - back) : 0, k, end, ev, done);
      return detail::step_outcome::go_on;
    }
    // asynchat.py:150-153 — not enough yet: collect all, count down.
    engine_.collect_short_count(lb, k, end, ev);
    // 153 subtracts from whatever self.terminator is now: a count set inside
    // collect_incoming_data is counted down as well (below zero if it was
    // smaller than lb: see above for what that count then does), and any
    // other terminator is a TypeError once the whole buffer is delivered.
    if (term_.kind_ != terminator::kind::count) [[unlikely]] {
      engine_.fail(errc::count_replaced_by_non_count);
      return detail::step_outcome::stop;
    }
    term_.count_ -= static_cast<std::int64_t>(lb);
    return detail::step_outcome::go_on;
  }
  // asynchat.py:155-158 — the count completes: collect n, count is 0
  // (even if collect changed it), then found.
  if (engine_.nothing_held()) return engine_.count_run(k, end, *this, ev);
  engine_.complete_count(static_cast<std::size_t>(n), k, end, ev, done);
  return detail::step_outcome::go_on;
}

template <framing_handler H>
void framer::flush_held(H& handler) {
  events<H> ev{handler};
  engine_.flush_held(ev);
}

inline errc framer::set_terminator(terminator t) {
  if (t.kind_ == terminator::kind::count) return set_count(t.count_);
  return set_terminator_slow(std::move(t));
}

inline errc framer::set_count(std::int64_t n) noexcept {
  if (n < 0) return errc::negative_count;  // CPython's ValueError; the terminator stays
  become_count();
  term_.count_ = n;
  engine_.changed();
  return errc::ok;
}

// asynchat.py:157, after a count completes. No change is noted: no callback
// runs between here and the on_found() that follows, and what on_found() sets
// is noticed by the count run reading term_ again.
inline void framer::count_done() noexcept {
  become_count();
  term_.count_ = 0;
}

// A count terminator carries no delimiter (terminator.hpp: delimiter() is
// empty unless is_bytes()); the check is one compare while counts follow counts.
inline void framer::become_count() noexcept {
  if (term_.kind_ == terminator::kind::count) [[likely]]
    return;
  term_.kind_ = terminator::kind::count;
  term_.bytes_.clear();
}

extern template feed_result framer::feed<framer_handler>(std::string_view, framer_handler&);
extern template void framer::flush_held<framer_handler>(framer_handler&);

}  // namespace chatframe
