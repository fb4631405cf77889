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
/// into a buffer the channel owns; the bytes go to async_chat::handle_read()
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
/// the loop. A loop-owned channel is then destroyed after the iteration.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "chatframe/async_chat.hpp"
#include "chatframe/reactor/dispatcher.hpp"

namespace chatframe::reactor {

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

  // Both bases name these; the channel's meaning is the one below.
  using async_chat::handle_read;
  /// Reading is wanted unless the channel is draining after end of stream
  /// (set_drain_on_eof()).
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
  /// Both async_chat's and dispatcher's: close the socket, mark the chat closed.
  void handle_close() override { close(); }
  /// Closes the socket and marks the chat closed; idempotent.
  void close() override;
  /// async_chat's transport: one send() (MSG_NOSIGNAL); 0 when it would block
  /// or the peer went away (then the channel is already closed).
  std::size_t send(std::string_view data) override;

  /// Queue pushes during reads and flush them in one go afterwards.
  void set_coalescing(bool on) noexcept;
  /// What set_coalescing() last set (off by default).
  [[nodiscard]] bool coalescing() const noexcept { return coalescing_; }
  /// On: a peer that half-closes still gets everything queued (see the file's
  /// description). Off by default, as CPython.
  void set_drain_on_eof(bool on) noexcept { drain_on_eof_ = on; }
  /// Sends as much of the outbox as the socket takes, gathered; reaching the
  /// close marker calls handle_close().
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
  std::vector<char> in_buf_;
  bool coalescing_ = false;
  bool drain_on_eof_ = false;
  bool eof_ = false;
  std::size_t send_calls_ = 0;
  std::size_t bytes_sent_ = 0;
  std::size_t bytes_received_ = 0;
};

}  // namespace chatframe::reactor
