/// @file chatframe/outbox.hpp
/// The output side: CPython's producer FIFO, drained sans-IO.
///
/// An outbox queues what a protocol wants to send — byte strings, producers
/// and a close marker — and tells the transport, one piece at a time, exactly
/// what CPython's async_chat.initiate_send() would pass to send()
/// (asynchat.py:231-269). The transport reports how many bytes it accepted,
/// which may be fewer than offered (a partial send) or none (would block).
///
/// @code
///   chatframe::outbox out;
///   (void)out.push("HELLO\r\n");
///   for (;;) {
///     chatframe::send_offer o = out.offer();
///     if (o.status != chatframe::send_status::data) break;   // idle or closed
///     ssize_t n = ::send(fd, o.data.data(), o.data.size(), MSG_NOSIGNAL);
///     if (n <= 0) break;                                      // would block / error
///     (void)out.consume(static_cast<std::size_t>(n));
///   }
/// @endcode
///
/// gather() offers the same bytes as a list of views for writev(): the bytes
/// sent, and their order, are those of repeated offer() calls; only the
/// number of system calls differs.
///
/// Ownership: push(std::string) moves the bytes in; push_view() and
/// push_view_joined() borrow them and the caller must keep them alive until
/// they are sent or discard() is called; producers are owned (see
/// producer.hpp for their views). The views returned by offer() and gather()
/// stay valid until the next non-const call.
///
/// A producer's more() may use the outbox that asks it, as CPython's may:
/// what it pushes is queued behind it; a discard() empties the queue, and the
/// piece more() then returns is queued at its head (asynchat.py:246-248);
/// offer() and gather() called from more() offer nothing.
///
/// Not thread-safe; no I/O; allocation only when a push grows the queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "chatframe/detail/ring.hpp"
#include "chatframe/error.hpp"
#include "chatframe/producer.hpp"

namespace chatframe {

/// What the transport should do next (send_offer::status).
enum class send_status : std::uint8_t {
  idle,    ///< nothing queued: the transport has nothing to do
  data,    ///< send `data`, then consume() what was accepted
  closed,  ///< the close marker was reached: close the connection (asynchat.py:236-239)
};

/// What offer() hands the transport.
struct send_offer {
  send_status status = send_status::idle;  ///< what to do
  /// The bytes to send: non-empty exactly when status == data. Valid until the
  /// outbox's next non-const call.
  std::string_view data;
};

/// CPython's producer FIFO, drained sans-IO (see the file's description).
class outbox {
 public:
  /// The output buffer size by default (asynchat.py:66).
  static constexpr std::size_t default_buffer_size = 65536;

  /// An empty, open outbox that offers at most `out_buffer_size` bytes per
  /// send (0 is taken as default_buffer_size).
  explicit outbox(std::size_t out_buffer_size = default_buffer_size);
  /// The queue, an outstanding offer and a reached close marker go with the
  /// move; the outbox moved from is empty and open, with no offer outstanding,
  /// and keeps its out_buffer_size() and producers_paused().
  outbox(outbox&& other) noexcept;
  /// Takes `other`'s queue, offer, close marker, out_buffer_size() and
  /// producers_paused(), dropping what this outbox held; `other` is left as
  /// the move constructor leaves it.
  outbox& operator=(outbox&& other) noexcept;
  outbox(const outbox&) = delete;
  outbox& operator=(const outbox&) = delete;
  ~outbox() = default;

  /// CPython's push(): bytes longer than the output buffer size are queued as
  /// pieces of that size, cut now — a later set_out_buffer_size() does not
  /// re-cut them (asynchat.py:203-208). An empty push is queued and skipped
  /// when reached. Returns errc::closed (and queues nothing) once the close
  /// marker has been reached: those bytes could never be sent.
  errc push(std::string data);
  /// push() of a copy of `data`.
  errc push(std::string_view data) { return push(std::string(data)); }
  /// push() of a copy of the NUL-terminated `data`.
  errc push(const char* data) { return push(std::string(data)); }
  /// As push(), but borrows `data` instead of copying it: the caller keeps
  /// the bytes alive and unchanged until they are sent or discard() is called.
  errc push_view(std::string_view data);
  /// An opt-in extension for writers that gather(): as push_view(), but when
  /// `data` begins where the last queued item ends in memory (a byte string
  /// queued by push_view() or push_view_joined(), not a producer's piece),
  /// `data` joins that item — one item, cut as push() would cut the two
  /// pushed as one. gather() offers the same bytes either way, with less work
  /// per push; offer() then offers the joined item as one, where CPython
  /// offers the pushes one send() each. An echo server's replies, written back
  /// to back into one buffer, become one item per read.
  errc push_view_joined(std::string_view data);
  /// CPython's push_with_producer(): the producer's pieces are sent in turn,
  /// each in slices of at most the output buffer size. The outbox owns the
  /// producer; errc::null_producer for a null one.
  errc push_with_producer(std::unique_ptr<producer> p);
  /// push_with_producer() given plain bytes, which CPython accepts too: one
  /// item, not cut at push time (only sliced when sent).
  errc push_with_producer(std::string data);
  /// Queues the close marker: once everything before it is sent, offer()
  /// reports send_status::closed (asynchat.py:227-229).
  errc close_when_done();
  /// Drops everything queued, close marker included (asynchat.py:275).
  void discard() noexcept;

  /// The most bytes one offer() hands out.
  [[nodiscard]] std::size_t out_buffer_size() const noexcept { return out_buffer_size_; }
  /// Applies to slices offered from now on. Zero is refused with
  /// errc::zero_buffer_size (CPython loops forever).
  [[nodiscard]] errc set_out_buffer_size(std::size_t n) noexcept;

  /// What initiate_send() would send now: at most out_buffer_size() bytes of
  /// the first queued item. Skips empty items, asks producers for more()
  /// (re-queuing the piece at the head, dropping a producer that returns
  /// nothing), and reports the close marker. Calling it twice without
  /// consume() offers the same bytes. The view is valid until the next
  /// non-const call.
  [[nodiscard]] send_offer offer();
  /// The same bytes as successive offer() calls would give if each were sent
  /// whole, as at most out.size() views and at most max_bytes bytes. Stops
  /// before the close marker and after a producer's current piece (its next
  /// more() may only be asked once that piece is sent). Items that lie back to
  /// back in memory (e.g. push_view()s of consecutive slices of one buffer)
  /// share one view, the last one included: with every view taken, an item
  /// that continues the last view still joins it. Returns the number of views
  /// filled; 0 when idle or closed. Like offer(), it first drops spent items
  /// at the head and reaches a close marker there: closed() is then true, so
  /// a loop of gather() and consume() alone sees the end of the queue. The
  /// views are valid until the next non-const call.
  [[nodiscard]] std::size_t gather(std::span<std::string_view> out,
                                   std::size_t max_bytes = static_cast<std::size_t>(-1));
  /// The transport accepted the first n bytes of the last offer()/gather().
  /// 0 is allowed (would block). More than was offered is refused with
  /// errc::consume_exceeds_offer and changes nothing.
  [[nodiscard]] errc consume(std::size_t n);

  /// While paused, offer() and gather() do not ask producers for more():
  /// bytes already queued or produced are still offered, and a producer whose
  /// piece is used up waits at the head (offer() then reports idle) — unless
  /// bytes are queued behind it. Those cannot be sent before it is done, so it
  /// is then still asked, one piece per offer, and a paused outbox always
  /// drains what it holds. Off by default; memory_budget.hpp says when to turn
  /// it on.
  void pause_producers(bool paused) noexcept { producers_paused_ = paused; }
  /// What pause_producers() last set.
  [[nodiscard]] bool producers_paused() const noexcept { return producers_paused_; }

  /// CPython's `not self.producer_fifo`: nothing queued, close marker included.
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  /// The close marker was reached.
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  /// Bytes queued as byte strings or already produced and not yet sent;
  /// producers' future output is not counted.
  [[nodiscard]] std::size_t queued_bytes() const noexcept { return queued_bytes_; }

 private:
  struct entry {
    enum class kind : std::uint8_t { bytes, producer, close };
    kind type = kind::bytes;
    bool exhausted = false;          // a producer whose more() returned nothing
    std::string owned;               // the bytes, when the outbox owns them
    const char* borrowed = nullptr;  // the bytes, when borrowed (push_view or a producer's piece)
    std::size_t begin = 0;           // unsent bytes: [begin, end)
    std::size_t end = 0;
    std::size_t split = 0;  // items are [i*split, (i+1)*split); 0 = one item
    std::unique_ptr<producer> source;

    [[nodiscard]] const char* data() const noexcept {
      return borrowed != nullptr ? borrowed : owned.data();
    }
    [[nodiscard]] std::size_t pending() const noexcept { return end - begin; }
    [[nodiscard]] std::size_t item_end() const noexcept {
      if (split == 0) return end;
      const std::size_t boundary = (begin / split + 1) * split;
      return boundary < end ? boundary : end;
    }
  };

  // Makes a new slot the byte string `data`, counted as queued.
  void hold_owned(entry& e, std::string&& data, std::size_t split) noexcept;
  errc queue_owned(std::string&& data, std::size_t split);
  errc queue_borrowed(const char* data, std::size_t size, std::size_t split);
  // Removes the head entry, a byte string sent to its end.
  void pop_sent_bytes() noexcept;
  // Asks the producer `index` entries from the front for its next piece.
  enum class refilled : std::uint8_t {
    piece,      // queued in its entry
    none,       // it has no more
    discarded,  // more() called discard(): the queue was emptied (refill())
  };
  refilled refill(std::size_t index);
  [[nodiscard]] bool producer_waits(const entry& e, bool at_head) const noexcept;
  // Drops spent items at the head, asks a producer there for a piece, and
  // reaches a close marker there: data when the head then holds bytes.
  send_status settle_head();

  detail::ring<entry> entries_;
  std::size_t out_buffer_size_;
  std::size_t offered_ = 0;
  std::size_t queued_bytes_ = 0;
  bool closed_ = false;
  bool producers_paused_ = false;
  bool in_more_ = false;            // a producer's more() is running
  bool discarded_in_more_ = false;  // and it called discard()
};

// Inline: an echo server calls it once per line, and joining is a few
// compares and two adds.
inline errc outbox::push_view_joined(std::string_view data) {
  if (!entries_.empty() && !closed_) {
    entry& last = entries_.back();
    // A borrowed byte string's bytes never move, so the test is exact; a
    // producer's piece stays its own item (its next more() depends on it).
    if (last.type == entry::kind::bytes && last.borrowed != nullptr &&
        last.borrowed + last.end == data.data()) {
      last.end += data.size();
      // Cut as push() cuts one string longer than out_buffer_size().
      if (last.split == 0 && last.end > out_buffer_size_) last.split = out_buffer_size_;
      queued_bytes_ += data.size();
      return errc::ok;
    }
  }
  return push_view(data);
}

}  // namespace chatframe
