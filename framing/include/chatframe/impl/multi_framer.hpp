// chatframe/impl/multi_framer.hpp — multi_framer's configuration of the engine.
//
// Not part of the public API (included by multi_framer.hpp). A delimiter set
// is all there is to it: every step is the engine's delimiter step with the
// set's matcher (detail/delimiter_set.hpp).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

#include "chatframe/multi_framer.hpp"

namespace chatframe {

inline multi_framer::multi_framer(multi_framer&& other) noexcept
    : set_(std::exchange(other.set_, {})), engine_(std::move(other.engine_)) {}

inline multi_framer& multi_framer::operator=(multi_framer&& other) noexcept {
  if (this != &other) {
    set_ = std::exchange(other.set_, {});
    engine_ = std::move(other.engine_);
  }
  return *this;
}

inline errc multi_framer::set_delimiters(std::span<const std::string_view> delimiters) {
  if (!set_.assign(delimiters)) return errc::invalid_delimiters;
  engine_.changed();
  return errc::ok;
}

template <multi_framing_handler H>
feed_result multi_framer::feed(std::string_view chunk, H& handler) {
  if (set_.size() == 0) return {0, errc::invalid_delimiters};
  detail::handler_events<H, true> ev{handler};
  return engine_.feed(chunk, [&](const char*& k, const char* end) {
    return engine_.delimiter_step(set_, k, end, ev);
  });
}

template <multi_framing_handler H>
void multi_framer::flush_held(H& handler) {
  detail::handler_events<H, true> ev{handler};
  engine_.flush_held(ev);
}

}  // namespace chatframe
