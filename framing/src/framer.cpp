#include "chatframe/framer.hpp"

#include <algorithm>
#include <cstring>

namespace chatframe {

template feed_result framer::feed<framer_handler>(std::string_view, framer_handler&);
template void framer::flush_held<framer_handler>(framer_handler&);

framer::framer(framer_options options) : options_(options) {}

// One list of members, in the assignment: a new framer, then other's state.
framer::framer(framer&& other) noexcept : options_(other.options_) { *this = std::move(other); }

framer& framer::operator=(framer&& other) noexcept {
  if (this != &other) {
    options_ = other.options_;
    term_ = std::move(other.term_);
    search_ = std::move(other.search_);
    carry_ = std::move(other.carry_);
    carry_pos_ = other.carry_pos_;
    term_set_ = other.term_set_;
    in_feed_ = other.in_feed_;
    discarded_ = other.discarded_;
    count_replaced_ = other.count_replaced_;
    short_frames_ = other.short_frames_;
    other.become_new();
  }
  return *this;
}

// A moved-from string or search may be left with anything; the positions
// kept beside them (carry_pos_, the terminator's kind) must agree with them.
// Copied from a new framer, so the member initializers stay the one list of
// starting values (a new framer's strings and tables are empty: nothing is
// allocated).
void framer::become_new() noexcept { *this = static_cast<const framer&>(framer(options_)); }

// Delimiters and none; counts take set_count().
errc framer::set_terminator_slow(terminator t) {
  if (t.is_bytes()) {
    if (t.delimiter().size() > options_.max_terminator_length) return errc::terminator_too_long;
    search_.assign(t.delimiter());
  }
  term_ = std::move(t);
  term_set_ = true;
  return errc::ok;
}

void framer::discard() noexcept {
  carry_.clear();
  carry_pos_ = 0;
  if (in_feed_) discarded_ = true;
}

std::string_view framer::take_held() noexcept {
  const std::string_view bytes = held();
  // The storage is left as it is, so the view stays valid until the next
  // non-const call; only the bookkeeping forgets the bytes.
  carry_pos_ = carry_.size();
  return bytes;
}

collected framer::slice_across(std::size_t n, const char* k) const noexcept {
  const std::size_t carried = carried_size();
  if (carried == 0) return collected{{}, std::string_view(k, n)};
  const std::size_t from_carry = std::min(n, carried);
  return collected{std::string_view(carry_).substr(carry_pos_, from_carry),
                   std::string_view(k, n - from_carry)};
}

void framer::advance_slow(std::size_t n, const char*& k, const char* end) noexcept {
  if (discarded_) {
    // discard() ran inside the callback: CPython's slice of the now empty
    // buffer is empty too (asynchat.py:175 after 273).
    k = end;
    return;
  }
  const std::size_t carried = carried_size();
  if (carried != 0) {
    const std::size_t from_carry = std::min(n, carried);
    carry_pos_ += from_carry;
    n -= from_carry;
    if (carry_pos_ == carry_.size()) {
      carry_.clear();
      carry_pos_ = 0;
    }
  }
  k += n;
}

void framer::hold_tail(std::size_t p, const char*& k, const char* end) {
  // The last p bytes of (held-back bytes + [k, end)) become the held-back bytes.
  const auto fresh = static_cast<std::size_t>(end - k);
  if (p <= fresh) {
    carry_.assign(end - p, p);
  } else {
    const std::size_t keep_from_carry = p - fresh;
    carry_.erase(0, carry_.size() - keep_from_carry);
    carry_.append(k, fresh);
  }
  carry_pos_ = 0;
  k = end;
}

void framer::keep_unread(const char* k, const char* end) {
  carry_.erase(0, carry_pos_);
  carry_pos_ = 0;
  carry_.append(k, static_cast<std::size_t>(end - k));
}

std::size_t framer::find_across(const char* k, const char* end) const noexcept {
  // The held-back part is short (normally shorter than the delimiter), so it
  // is walked with the KMP automaton; once any match would have to start
  // inside the chunk, the fast search takes over there.
  const std::size_t m = search_.size();
  const char* const carry = carry_.data() + carry_pos_;
  const std::size_t carried = carried_size();
  detail::delimiter_search::state q = 0;
  for (std::size_t i = 0; i < carried; ++i) {
    q = search_.step(q, carry[i]);
    if (q == m) return i + 1 - m;
  }
  const auto fresh = static_cast<std::size_t>(end - k);
  for (std::size_t j = 0;; ++j) {
    if (j >= q) {
      // A match starting before carried + j - q was ruled out by KMP.
      const std::size_t from = j - q;
      const std::size_t hit = search_.find(k + from, fresh - from);
      return hit == detail::delimiter_search::npos ? hit : carried + from + hit;
    }
    if (j == fresh) return detail::delimiter_search::npos;
    q = search_.step(q, k[j]);
    if (q == m) return carried + j + 1 - m;
  }
}

std::size_t framer::prefix_at_end_across(const char* k, const char* end) const noexcept {
  const std::size_t m = search_.size();
  const auto fresh = static_cast<std::size_t>(end - k);
  if (m <= 1) return 0;
  const std::size_t carried = carried_size();
  const std::size_t lb = carried + fresh;
  const std::size_t window = std::min(lb, m - 1);
  if (window <= fresh) return search_.prefix_at_end(end - window, window);
  const char* const carry = carry_.data() + carry_pos_;
  detail::delimiter_search::state q = 0;
  for (std::size_t i = carried - (window - fresh); i < carried; ++i) q = search_.step(q, carry[i]);
  for (std::size_t j = 0; j < fresh; ++j) q = search_.step(q, k[j]);
  return q;
}

}  // namespace chatframe
