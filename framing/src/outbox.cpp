#include "chatframe/outbox.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace chatframe {

outbox::outbox(std::size_t out_buffer_size)
    : out_buffer_size_(out_buffer_size == 0 ? default_buffer_size : out_buffer_size) {}

errc outbox::set_out_buffer_size(std::size_t n) noexcept {
  if (n == 0) return errc::zero_buffer_size;
  out_buffer_size_ = n;
  return errc::ok;
}

// One list of members, in the assignment: an empty outbox, then other's state.
outbox::outbox(outbox&& other) noexcept : out_buffer_size_(other.out_buffer_size_) {
  *this = std::move(other);
}

outbox& outbox::operator=(outbox&& other) noexcept {
  if (this != &other) {
    entries_ = std::move(other.entries_);
    out_buffer_size_ = other.out_buffer_size_;
    offered_ = std::exchange(other.offered_, 0);
    queued_bytes_ = std::exchange(other.queued_bytes_, 0);
    closed_ = std::exchange(other.closed_, false);
    producers_paused_ = other.producers_paused_;
  }
  return *this;
}

// A new slot is a default entry (ring.hpp): a byte string, nothing owned or
// borrowed, so only what differs is written.
void outbox::hold_owned(entry& e, std::string&& data, std::size_t split) noexcept {
  e.end = data.size();
  e.split = split;
  queued_bytes_ += data.size();
  e.owned = std::move(data);
}

errc outbox::queue_owned(std::string&& data, std::size_t split) {
  if (closed_) return errc::closed;
  hold_owned(entries_.emplace_back(), std::move(data), split);
  return errc::ok;
}

errc outbox::queue_borrowed(const char* data, std::size_t size, std::size_t split) {
  if (closed_) return errc::closed;
  entry& e = entries_.emplace_back();
  e.borrowed = data;
  e.end = size;
  e.split = split;
  queued_bytes_ += size;
  return errc::ok;
}

errc outbox::push(std::string data) {
  // asynchat.py:204-208: cut into out_buffer_size pieces only when longer.
  const std::size_t split = data.size() > out_buffer_size_ ? out_buffer_size_ : 0;
  return queue_owned(std::move(data), split);
}

errc outbox::push_view(std::string_view data) {
  const std::size_t split = data.size() > out_buffer_size_ ? out_buffer_size_ : 0;
  // An empty view keeps no pointer: its entry is then the one push("")
  // queues, and no std::string is made here for that rare case.
  return queue_borrowed(data.empty() ? nullptr : data.data(), data.size(), split);
}

errc outbox::push_with_producer(std::string data) { return queue_owned(std::move(data), 0); }

errc outbox::push_with_producer(std::unique_ptr<producer> p) {
  if (!p) return errc::null_producer;
  if (closed_) return errc::closed;
  entry& e = entries_.emplace_back();
  e.type = entry::kind::producer;
  e.source = std::move(p);
  return errc::ok;
}

errc outbox::close_when_done() {
  if (closed_) return errc::closed;
  entries_.emplace_back().type = entry::kind::close;
  return errc::ok;
}

void outbox::discard() noexcept {
  entries_.clear();
  queued_bytes_ = 0;
  offered_ = 0;
  if (in_more_) discarded_in_more_ = true;
}

bool outbox::producer_waits(const entry& e, bool at_head) const noexcept {
  // Paused producers wait, except the one at the head while bytes are queued
  // behind it: they cannot be sent before it is done, so waiting would keep
  // the queue — and the memory a budget counts — from ever shrinking. Asking
  // it for one piece at a time adds at most a piece to what is queued.
  return producers_paused_ && !e.exhausted && !(at_head && queued_bytes_ != 0);
}

// more() is user code and may use this outbox. Its pushes are appended
// behind the producer, as in CPython's deque; they may move the queue, so the
// entry is found again by its place. While it runs, the producer is held
// here, not in its entry: a discard() from more() then empties the queue
// without destroying the object whose more() is running. offer() and
// gather() from more() offer nothing (no second more() inside the first).
outbox::refilled outbox::refill(std::size_t index) {
  if (entries_[index].exhausted) return refilled::none;
  std::unique_ptr<producer> running = std::move(entries_[index].source);
  std::string_view piece;
  in_more_ = true;
  try {
    piece = running->more();
  } catch (...) {
    in_more_ = false;
    if (!std::exchange(discarded_in_more_, false)) entries_[index].source = std::move(running);
    throw;
  }
  in_more_ = false;
  if (std::exchange(discarded_in_more_, false)) {
    // CPython's discard_buffers() emptied the deque, and initiate_send then
    // puts the piece back at its head (asynchat.py:246-248), ahead of what
    // more() pushed after the discard. The producer is gone with the queue,
    // so the piece is copied. (An empty piece there makes CPython's
    // `del self.producer_fifo[0]` raise IndexError; here nothing is queued.)
    if (!piece.empty() && !closed_) hold_owned(entries_.emplace_front(), std::string(piece), 0);
    return refilled::discarded;
  }
  entry& e = entries_[index];
  e.source = std::move(running);
  if (piece.empty()) {
    e.exhausted = true;
    return refilled::none;
  }
  // asynchat.py:246-248 — the piece goes back to the head of the queue, whole.
  e.borrowed = piece.data();
  e.begin = 0;
  e.end = piece.size();
  e.split = 0;
  queued_bytes_ += piece.size();
  return refilled::piece;
}

// What both offer() and gather() do first, as initiate_send() does before it
// sends (asynchat.py:233-250): spent items at the head leave the queue, a
// producer there is asked for its next piece, and a close marker there is
// reached. Returns data when the head holds bytes to send.
send_status outbox::settle_head() {
  while (!entries_.empty()) {
    const entry& head = entries_.front();
    if (head.type == entry::kind::close) {
      // asynchat.py:235-239 — the marker ends the channel.
      entries_.pop_front();
      closed_ = true;
      return send_status::closed;
    }
    if (head.pending() != 0) return send_status::data;
    // asynchat.py:235-236 — an empty item is dropped (CPython then sends
    // b'', which no transport observes); asynchat.py:249-250 — so is a
    // producer with nothing more to give.
    if (head.type == entry::kind::producer && producer_waits(head, /*at_head=*/true))
      return send_status::idle;
    const refilled r = head.type == entry::kind::bytes ? refilled::none : refill(0);
    if (r == refilled::none) entries_.pop_front();
    // After a discard in more(): the new head; after a piece: the piece.
  }
  return send_status::idle;
}

send_offer outbox::offer() {
  offered_ = 0;
  if (closed_) return {send_status::closed, {}};
  if (in_more_) return {send_status::idle, {}};  // called from a producer's more()
  const send_status s = settle_head();
  if (s != send_status::data) return {s, {}};
  const entry& e = entries_.front();
  // asynchat.py:242-244 — at most out_buffer_size bytes of the first item.
  const std::size_t n = std::min(e.item_end() - e.begin, out_buffer_size_);
  offered_ = n;
  return {send_status::data, std::string_view(e.data() + e.begin, n)};
}

std::size_t outbox::gather(std::span<std::string_view> out, std::size_t max_bytes) {
  offered_ = 0;
  if (closed_ || in_more_) return 0;
  // The head is settled as offer() settles it, so gather() reaches the close
  // marker (closed() turns true) and drops spent items just as offer() does.
  if (settle_head() != send_status::data || out.empty()) return 0;
  std::size_t filled = 0;        // views stored in `out`
  const char* view = nullptr;    // the view being built, stored when the next one starts
  std::size_t view_size = 0;     // 0 while none is
  std::size_t gathered = 0;      // kept in a local: refill() writes members
  auto slots = entries_.snap();  // checked again after more(), which may push
  for (std::size_t i = 0; i < entries_.size() && gathered < max_bytes; ++i) {
    const entry* e = &slots[i];
    if (e->type == entry::kind::close) break;
    if (e->pending() == 0) {
      if (e->type == entry::kind::bytes) continue;
      // Nothing gathered yet: every entry before this one is empty, so it is
      // the head. With every view taken, its next piece is not asked for.
      const bool views_taken = view_size != 0 && filled + 1 == out.size();
      if (views_taken || producer_waits(*e, /*at_head=*/gathered == 0)) break;
      const refilled r = refill(i);
      const auto now = entries_.snap();
      if (r == refilled::discarded || now.slots != slots.slots) {
        // more() discarded the queue, or pushed until it moved to new
        // storage, and with it the bytes of short owned items (a std::string
        // keeps them inside the entry): the views so far may point into freed
        // memory. Gather again from the head; the producer has its piece now.
        filled = view_size = gathered = 0;
        slots = now;
        i = static_cast<std::size_t>(-1);
        continue;
      }
      // The storage stayed where it was and pushes only append: `e` is still
      // the producer's entry, now holding its piece.
      if (r == refilled::none) continue;
    }
    // Successive single sends would send this item's bytes, slice by slice,
    // in order; as one contiguous range they are one view.
    const std::size_t n = std::min(e->pending(), max_bytes - gathered);
    const char* const first = e->data() + e->begin;
    if (view_size != 0 && view + view_size == first) {
      view_size += n;  // back to back with the view being built: one iovec fewer
    } else {
      if (view_size != 0) {
        if (filled + 1 == out.size()) break;  // no view left for this item
        out[filled++] = std::string_view(view, view_size);
      }
      view = first;
      view_size = n;
    }
    gathered += n;
    if (e->type == entry::kind::producer) break;  // its next more() waits until this piece is sent
  }
  if (view_size != 0) out[filled++] = std::string_view(view, view_size);
  offered_ = gathered;
  return filled;
}

errc outbox::consume(std::size_t n) {
  if (n > offered_) return errc::consume_exceeds_offer;
  offered_ = 0;
  queued_bytes_ -= n;
  while (n > 0) {
    entry& e = entries_.front();
    if (e.pending() == 0) {
      // Only skipped entries (empty items, spent producers) can sit before
      // the offered bytes.
      entries_.pop_front();
      continue;
    }
    const std::size_t take = std::min(n, e.pending());
    e.begin += take;
    n -= take;
    // asynchat.py:263-267 — a fully sent byte string leaves the queue; a
    // producer stays until its more() comes back empty.
    if (e.pending() == 0 && e.type == entry::kind::bytes) pop_sent_bytes();
  }
  return errc::ok;
}

// A borrowed byte string owns nothing: queue_borrowed() writes only the
// scalars of a new slot, never `owned` or `source`. Clearing them gives the
// slot back as a new entry without the string's and the producer's
// destructors, once per item sent (push_view()'s echo of one line each).
void outbox::pop_sent_bytes() noexcept {
  entry& e = entries_.front();
  if (e.borrowed == nullptr) {
    entries_.pop_front();
    return;
  }
  assert(e.owned.capacity() == std::string().capacity() && e.owned.empty() && !e.source &&
         !e.exhausted);
  e.borrowed = nullptr;
  e.begin = 0;
  e.end = 0;
  e.split = 0;
  entries_.pop_front_reset();
}

}  // namespace chatframe
