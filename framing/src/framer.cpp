#include "chatframe/framer.hpp"

#include <utility>

namespace chatframe {

template feed_result framer::feed<framer_handler>(std::string_view, framer_handler&);
template void framer::flush_held<framer_handler>(framer_handler&);

framer::framer(framer_options options) : options_(options) {}

framer::framer(framer&& other) noexcept
    : options_(other.options_), term_(std::move(other.term_)), search_(std::move(other.search_)),
      engine_(std::move(other.engine_)) {
  other.become_new();
}

framer& framer::operator=(framer&& other) noexcept {
  if (this != &other) {
    options_ = other.options_;
    term_ = std::move(other.term_);
    search_ = std::move(other.search_);
    engine_ = std::move(other.engine_);
    other.become_new();
  }
  return *this;
}

// A moved-from string or table may be left with anything; the kinds and
// positions kept beside them must agree with them. A new framer's strings
// and tables are empty: nothing is allocated.
void framer::become_new() noexcept {
  term_ = terminator();
  search_ = detail::delimiter_search();
  engine_ = detail::engine();
}

// Delimiters and none; counts take set_count().
errc framer::set_terminator_slow(terminator t) {
  if (t.is_bytes()) {
    if (t.delimiter().size() > options_.max_terminator_length) return errc::terminator_too_long;
    search_.assign(t.delimiter());
  }
  term_ = std::move(t);
  engine_.changed();
  return errc::ok;
}

}  // namespace chatframe
