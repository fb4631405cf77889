/// @file chatframe/reactor/chat_channel.hpp
/// Chatframe::async_chat bound to a socket.
///
/// What asynchat.async_chat is in CPython: a dispatcher whose reads are framed
/// by the async_chat's framer and whose writes drain its outbox. Derive from
/// it and implement collect_incoming_data() and found_terminator(), exactly as
/// for async_chat (and handle_connect() for a client):
///
/// @code
///   struct echo : chatframe::reactor::chat_channel {
///     echo(chatframe::reactor::loop& l, int fd) : chat_channel(l, fd) {
///       (void)set_terminator(chatframe::terminator::bytes("\n"));
///     }
///     void collect_incoming_data(const chatframe::collected& d) override { d.append_to(line_); }
///     void found_terminator() override { push(line_ + "\n"); line_.clear(); }
///     std::string line_;
///   };
/// @endcode
///
/// Reading: on a read event, one recv() of at most ac_in_buffer_size() bytes
/// into a buffer lent for that read (one per thread, shared by the channels:
/// an idle channel holds none); the bytes go to async_chat::handle_read()
/// (views into that buffer are valid only during the callbacks — see
/// collected.hpp). recv() returning 0 calls handle_eof(): by default the
/// channel closes at once, as CPython does, dropping unsent output. With
/// set_drain_on_eof(true) a half-closed peer still gets everything queued: the
/// channel stops reading, frames what it held, sends its outbox, then closes.
///
/// Writing: writable() while the outbox is non-empty (or while connecting).
/// By default one write event makes one initiate_send() — one send() of at
/// most ac_out_buffer_size() bytes — and every push() tries a send at once,
/// as CPython does. set_coalescing(true) instead queues pushes made during a
/// read (set_send_on_push(false)) and, after the read has been framed, sends
/// the whole outbox with as few send calls as possible (outbox::gather);
/// write events drain the same way. That avoids one small segment per push,
/// which with Nagle on and a delayed-ACK peer costs ~40 ms per response.
///
/// Closing: the outbox's close marker (close_when_done()) and the peer going
/// away both end in handle_close(), whose default closes the socket and leaves
/// the loop. A loop-owned channel is then destroyed after the iteration. With
/// set_lingering_close(), a close that the close marker starts is graceful
/// instead (nginx's lingering close): the channel shuts down its sending side,
/// so the peer reads everything and then end of stream, and discards what the
/// peer still sends for a bounded time before it closes. Closing at once with
/// unread input makes the kernel send a reset, which can destroy a response
/// the peer has not read yet (an HTTP error answered before the request's
/// body arrived).
///
/// Memory, by default: each channel has a chatframe::memory_budget
/// (memory_budget.hpp; defaults high_water 1 MiB, low_water 512 KiB;
/// set_budget() changes them). It counts the outbox's queued bytes, the
/// framer's held-back bytes and assembling(), what the application holds of
/// input it is still assembling. At high_water the channel stops reading
/// (readable() turns false) and pauses the outbox's producers; below
/// low_water it resumes. A peer that sends and never reads then costs at most
/// high_water plus what one read adds (ac_in_buffer_size() and the output its
/// frames push): reading stops, TCP flow control pushes back on the peer.
///
/// Time, by default: nginx's keepalive_timeout and send_timeout.
///   - idle (75 s): nothing to send, and no byte received or sent for this long;
///   - write stall (60 s): output waiting, and no byte sent for this long (a
///     peer that stopped reading);
///   - request (start_request_timer()): a deadline the protocol arms, e.g.
///     for a request head to arrive whole (nginx's client_header_timeout),
///     not moved by bytes arriving one at a time;
///   - lingering (set_lingering_close()).
/// The earliest that applies is the dispatcher's deadline; when it passes,
/// handle_timeout() closes (expired() says which passed). set_timeouts() with
/// zero turns idle or write stall off. The channel reads the loop's clock
/// (loop::now()) and never one of its own.
///
/// readable() is asked by the loop before every poll; the channel recounts its
/// budget and moves its deadline there, so pushes made from outside a hook
/// (another channel's handler, a timer) are accounted before the next wait.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "chatframe/async_chat.hpp"
#include "chatframe/memory_budget.hpp"
#include "chatframe/reactor/dispatcher.hpp"

namespace chatframe::reactor {

/// A channel's timeouts; zero turns one off. The defaults are nginx's.
struct channel_timeouts {
  /// Nothing to send and no byte moved either way (nginx keepalive_timeout).
  std::chrono::milliseconds idle = std::chrono::seconds(75);
  /// Output waiting and no byte sent (nginx send_timeout).
  std::chrono::milliseconds write_stall = std::chrono::seconds(60);
};

/// A graceful close after the close marker (nginx lingering_close,
/// lingering_time, lingering_timeout). Off by default, as in CPython.
struct lingering_close {
  /// Whether a close the close marker starts is graceful.
  bool enabled = false;
  /// Longest the channel keeps reading after shutting down its sending side.
  std::chrono::milliseconds time = std::chrono::seconds(30);
  /// Longest it waits for the peer's next bytes (or end of stream).
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
};

/// Which deadline passed.
enum class timeout_kind : std::uint8_t { none, idle, write_stall, request, lingering };

/// ac_in_buffer_size / ac_out_buffer_size. A struct, so that a size is never
/// taken for a descriptor by overload resolution.
struct buffer_sizes {
  std::size_t in = chatframe::async_chat::default_buffer_size;   ///< most bytes one recv() reads
  std::size_t out = chatframe::async_chat::default_buffer_size;  ///< most bytes one send() offers
};

/// asynchat.async_chat: a dispatcher whose reads are framed by an async_chat
/// and whose writes drain its outbox (see the file's description).
class chat_channel : public chatframe::async_chat, public dispatcher {
 public:
  /// Not yet connected: call create_socket() and connect().
  explicit chat_channel(loop& l, buffer_sizes sizes = {});
  /// Adopts a connected socket (e.g. accept_result::fd).
  chat_channel(loop& l, int fd, buffer_sizes sizes = {});

  /// Both bases name these; the channel's meaning is the one below.
  using async_chat::handle_read;
  /// Reading is wanted unless the channel is draining after end of stream
  /// (set_drain_on_eof()), lingering, or over its memory budget's high water.
  /// Also recounts the budget and moves the deadline (see the file's
  /// description).
  bool readable() override;
  /// The outbox holds something to send, or the socket is not connected
  /// (asynchat.py:223-225).
  bool writable() override;
  /// The socket is connected (dispatcher's meaning).
  [[nodiscard]] bool connected() const noexcept { return dispatcher::connected(); }

  /// One recv() of at most ac_in_buffer_size() bytes, framed; end of stream
  /// closes (or, with set_drain_on_eof(), drains first).
  void handle_read() override;
  /// One initiate_send(), or with coalescing a gathered flush().
  void handle_write() override;
  /// Both async_chat's and dispatcher's: close the socket, mark the chat closed
  /// (or, with set_lingering_close() and the close marker reached, close gracefully).
  void handle_close() override;
  /// Closes the socket and marks the chat closed; idempotent.
  void close() override;
  /// A deadline passed: closes, unless the state moved on since it was armed
  /// (then it is armed again).
  void handle_timeout() override;

  /// The memory budget's marks (memory_budget.hpp). Defaults: 1 MiB / 512 KiB.
  void set_budget(budget_options options) noexcept {
    budget_ = memory_budget(options);
    interest_changed();
  }
  /// The channel's budget: its marks and what it counted last.
  [[nodiscard]] const memory_budget& budget() const noexcept { return budget_; }
  /// Bytes of input the application holds while assembling a frame (e.g. a
  /// line collected so far), counted against the budget. Default 0.
  [[nodiscard]] virtual std::size_t assembling() const noexcept { return 0; }

  /// Replaces the idle and write-stall timeouts (zero turns one off).
  void set_timeouts(channel_timeouts t) noexcept {
    timeouts_ = t;
    interest_changed();
  }
  /// What set_timeouts() last set (nginx's defaults otherwise).
  [[nodiscard]] const channel_timeouts& timeouts() const noexcept { return timeouts_; }
  /// Arms the request deadline `after` from now (a later call replaces it);
  /// bytes arriving do not move it.
  void start_request_timer(std::chrono::milliseconds after);
  /// Disarms the request deadline.
  void stop_request_timer() noexcept {
    request_deadline_.reset();
    interest_changed();
  }
  /// Which deadline has passed at the loop's now(), if any.
  [[nodiscard]] timeout_kind expired();

  /// Turns the graceful close on or off and sets its bounds.
  void set_lingering_close(lingering_close l) noexcept { linger_ = l; }
  /// Sending side shut down; discarding input until end of stream or a deadline.
  [[nodiscard]] bool lingering() const noexcept { return lingering_; }
  /// async_chat's transport: one send() (MSG_NOSIGNAL); 0 when it would block
  /// or the peer went away (then the channel is already closed).
  std::size_t send(std::string_view data) override;

  /// async_chat's, and then interest_changed(): a push made outside the
  /// channel's hooks (by another channel's handler, a timer) is seen by a
  /// loop with interest_updates::on_events. After using output() directly
  /// outside a hook, call interest_changed().
  chatframe::errc push(std::string data);
  /// async_chat::push_with_producer(), then interest_changed() (see push()).
  chatframe::errc push_with_producer(std::unique_ptr<chatframe::producer> p);
  /// async_chat::push_with_producer() of owned bytes, then interest_changed().
  chatframe::errc push_with_producer(std::string data);
  /// async_chat::close_when_done(), then interest_changed().
  chatframe::errc close_when_done();

  /// Queue pushes during reads and flush them in one go afterwards.
  void set_coalescing(bool on) noexcept;
  /// What set_coalescing() last set (off by default).
  [[nodiscard]] bool coalescing() const noexcept { return coalescing_; }
  /// On: a peer that half-closes still gets everything queued (see the file's
  /// description). Off by default, as CPython.
  void set_drain_on_eof(bool on) noexcept { drain_on_eof_ = on; }
  /// Sends as much of the outbox as the socket takes, gathered, up to 256 KiB
  /// per call (the rest goes on the next write event: one connection cannot
  /// hold an iteration); reaching the close marker calls handle_close().
  void flush();

  /// send() and sendmsg() calls made, for tests and benchmarks.
  [[nodiscard]] std::size_t send_calls() const noexcept { return send_calls_; }
  /// Bytes the socket accepted.
  [[nodiscard]] std::size_t bytes_sent() const noexcept { return bytes_sent_; }
  /// Bytes read from the socket.
  [[nodiscard]] std::size_t bytes_received() const noexcept { return bytes_received_; }

 protected:
  /// The connection is up: async_chat's connected() turns true and the outbox may send.
  void on_connected() override { set_connected(true); }

 private:
  struct next_deadline {
    std::optional<time_point> when;
    timeout_kind kind = timeout_kind::none;
  };
  next_deadline earliest();
  void refresh();
  void account() noexcept;
  void progress(time_point now) noexcept;
  void start_lingering();
  void linger_read();

  memory_budget budget_;
  channel_timeouts timeouts_;
  lingering_close linger_;
  std::optional<time_point> request_deadline_;
  time_point last_activity_;  ///< last byte received or sent (or the channel's start)
  time_point write_since_;    ///< output waiting since, or last byte sent since
  time_point linger_until_;
  bool had_output_ = false;
  bool lingering_ = false;
  bool coalescing_ = false;
  bool drain_on_eof_ = false;
  bool eof_ = false;
  std::size_t send_calls_ = 0;
  std::size_t bytes_sent_ = 0;
  std::size_t bytes_received_ = 0;
};

}  // namespace chatframe::reactor
