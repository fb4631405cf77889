/// @file chatframe/reactor/dispatcher.hpp
/// One non-blocking socket and its event hooks.
///
/// CPython's asyncore.dispatcher in C++: a dispatcher owns one TCP/IPv4 socket,
/// tells its loop when it wants to read or write (readable(), writable()), and
/// is called back when it may (handle_read(), handle_write(), handle_accept(),
/// handle_connect(), handle_close(), handle_error()).
///
/// @code
///   struct server : chatframe::reactor::dispatcher {
///     using dispatcher::dispatcher;
///     void handle_accept() override {
///       auto a = accept();
///       if (a.fd >= 0) get_loop().adopt(std::make_unique<my_channel>(get_loop(), a.fd));
///     }
///   };
///   chatframe::reactor::loop l;
///   server s(l);
///   (void)s.create_socket(); (void)s.set_reuse_addr();
///   (void)s.bind("127.0.0.1", 0); (void)s.listen(5);
///   (void)l.run();
/// @endcode
///
/// Registration: a dispatcher joins its loop's socket map as soon as it has a
/// socket (create_socket() or the adopting constructor) and leaves it in
/// close(). The loop holds a plain pointer: either the loop owns the
/// dispatcher (loop::adopt) or the caller keeps it alive until it is closed or
/// destroyed; the destructor closes the socket and leaves the map. The loop
/// must outlive every dispatcher still registered with it, or the loop's
/// destructor detaches them (they then own their socket without a loop).
///
/// Errors: socket operations return std::error_code (errno in
/// std::system_category, or chatframe::reactor::errc). send()/recv() follow
/// asyncore: a peer that went away (ECONNRESET, EPIPE, ENOTCONN, ESHUTDOWN,
/// ECONNABORTED) calls handle_close() and reports io_status::closed; EINTR is
/// retried; EAGAIN is io_status::would_block; anything else throws
/// std::system_error, which the loop hands to handle_error().
///
/// Exceptions thrown from any hook called by the loop are caught by the loop
/// and passed to handle_error() of the same dispatcher; the default closes it.
/// The loop goes on serving the others.
///
/// Time: a dispatcher has one deadline (set_deadline(), set_timeout()); when
/// the loop's clock reaches it, the loop calls handle_timeout(), whose default
/// closes. close() cancels it. Moving a deadline later costs no heap work
/// (timer_queue.hpp), so a protocol may move it on every event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>

#include "chatframe/reactor/timer_queue.hpp"

namespace chatframe::reactor {

class loop;

/// How a send() or recv() ended.
enum class io_status : std::uint8_t {
  ok,           ///< `size` bytes moved (size > 0)
  would_block,  ///< EAGAIN: try again when the loop says so
  eof,          ///< recv() only: the peer finished sending (handle_close() was called)
  closed,       ///< the connection failed (reset, broken pipe); handle_close() was called
};

/// What send(), send_vectored() and recv() report.
struct io_result {
  std::size_t size = 0;              ///< bytes moved
  io_status status = io_status::ok;  ///< how the call ended
};

/// What accept() reports.
struct accept_result {
  int fd = -1;                  ///< the new connected, non-blocking socket; -1 if none
  std::string peer_host;        ///< dotted IPv4 of the peer
  std::uint16_t peer_port = 0;  ///< the peer's port
  std::error_code error;        ///< set when fd == -1 for a reason other than "nothing pending"
};

/// asyncore.dispatcher: one non-blocking TCP/IPv4 socket and its event hooks
/// (see the file's description).
class dispatcher : private timer {
 public:
  /// A dispatcher with no socket yet (create_socket() makes one).
  explicit dispatcher(loop& l);
  /// Adopts a connected socket (e.g. from accept()): made non-blocking,
  /// registered, connected() is true. Takes ownership of `fd`. If the loop
  /// refuses the descriptor (loop::refuses()), it is closed and the dispatcher
  /// is left closed (fd() == -1); loop::adopt() then destroys it after the
  /// iteration.
  dispatcher(loop& l, int fd);
  /// Closes the socket, if open, and leaves the loop's map.
  virtual ~dispatcher();
  dispatcher(const dispatcher&) = delete;
  dispatcher& operator=(const dispatcher&) = delete;

  // --- predicates, asked by the loop before every poll ---------------------
  /// Whether the loop should wait for this socket to be readable. asyncore:
  /// true by default.
  virtual bool readable() { return true; }
  /// Whether the loop should wait for this socket to be writable. asyncore:
  /// true by default. A listening dispatcher is never polled for writing
  /// whatever writable() says (asyncore.py: poll, "accepting sockets should
  /// not be writable").
  virtual bool writable() { return true; }

  // --- hooks ----------------------------------------------------------------
  /// The socket is readable (connected, not listening). Default: nothing.
  virtual void handle_read() {}
  /// The socket is writable. Default: nothing.
  virtual void handle_write() {}
  /// A listening socket is readable. The default accepts and hands the socket
  /// to handle_accepted(), whose default closes it (as asyncore does).
  virtual void handle_accept();
  /// A connection was accepted by the default handle_accept(): `fd` is the
  /// new socket (the override takes ownership), `host` and `port` the
  /// peer's. Default: closes `fd`.
  virtual void handle_accepted(int fd, const std::string& host, std::uint16_t port);
  /// Called once a connect() completes, *before* connected() turns true, as in
  /// asyncore (so pushes made here are sent by the handle_write() that follows).
  virtual void handle_connect() {}
  /// Out-of-band data (select's exception set, POLLPRI).
  virtual void handle_expt() {}
  /// The peer went away or the connection failed. Default: close().
  virtual void handle_close() { close(); }
  /// A hook (or send/recv) threw. Default: remember it in last_error() and
  /// handle_close(). If this throws too, the loop closes the socket itself.
  virtual void handle_error(std::exception_ptr error);
  /// The deadline set with set_deadline() or set_timeout() passed (it is no
  /// longer armed). Default: close().
  virtual void handle_timeout() { close(); }

  /// Tells the loop that readable() or writable() may answer differently now.
  /// Needed only with interest_updates::on_events, and only for changes made
  /// outside this dispatcher's hooks (after an event or a timeout the loop
  /// asks anyway); harmless otherwise.
  void interest_changed() noexcept;

  // --- time -------------------------------------------------------------------
  /// Arms the deadline at `when` on the loop's clock (loop::now()), replacing
  /// any earlier one. Without a loop, nothing happens.
  void set_deadline(time_point when);
  /// set_deadline(loop's now() + after).
  void set_timeout(std::chrono::milliseconds after);
  /// Disarms the deadline.
  void cancel_deadline() noexcept;
  /// Whether a deadline is armed, and which.
  [[nodiscard]] bool has_deadline() const noexcept { return timer::armed(); }
  /// The armed deadline (meaningful while has_deadline()).
  [[nodiscard]] time_point deadline() const noexcept { return timer::deadline(); }

  // --- socket operations ------------------------------------------------------
  /// An AF_INET/SOCK_STREAM socket, non-blocking and close-on-exec; registers.
  /// errc::already_open if it has one; errc::descriptor_too_large_for_select
  /// when the loop refuses it (closed).
  [[nodiscard]] std::error_code create_socket();
  /// SO_REUSEADDR, so that a server can listen again on a port in TIME_WAIT.
  [[nodiscard]] std::error_code set_reuse_addr();
  /// TCP_NODELAY: send small writes at once instead of waiting for an ACK (Nagle).
  [[nodiscard]] std::error_code set_nodelay(bool on = true);
  /// host: dotted IPv4 or "localhost" (127.0.0.1), else errc::bad_address.
  /// Port 0 lets the OS choose (local_port() says which).
  [[nodiscard]] std::error_code bind(std::string_view host, std::uint16_t port);
  /// Starts accepting. Also reserves a spare descriptor, released when accept()
  /// hits EMFILE or ENFILE so the pending connection can be accepted and
  /// dropped: the listening socket then stops being readable instead of
  /// spinning the loop.
  [[nodiscard]] std::error_code listen(int backlog);
  /// Non-blocking; completion arrives as a write (or read) event which calls
  /// handle_connect(). Immediate success calls it at once, as asyncore does.
  /// A connection that fails later reaches handle_error() as a
  /// std::system_error ("connect: ..."). host as for bind().
  [[nodiscard]] std::error_code connect(std::string_view host, std::uint16_t port);
  /// One accept(); fd == -1 with no error when nothing is pending (EAGAIN,
  /// ECONNABORTED). EMFILE/ENFILE: the connection is accepted and closed (see
  /// listen()) and the error is reported. A descriptor the loop refuses
  /// (loop::refuses(): select and >= FD_SETSIZE) is closed at once and
  /// reported as errc::descriptor_too_large_for_select: that one client is
  /// turned away, the loop goes on serving the others.
  [[nodiscard]] accept_result accept();
  /// At most data.size() bytes, with MSG_NOSIGNAL (a dead peer is EPIPE, not SIGPIPE).
  io_result send(std::string_view data);
  /// Gathered send (writev-like sendmsg, MSG_NOSIGNAL; send() for one piece) of
  /// `count` views from `parts`; same statuses as send().
  io_result send_vectored(const std::string_view* parts, std::size_t count);
  /// At most `size` bytes into the caller's buffer `buf`.
  io_result recv(char* buf, std::size_t size);
  /// shutdown(SHUT_WR): tell the peer we are done sending, keep reading.
  [[nodiscard]] std::error_code shutdown_write();
  /// Leaves the loop's map and closes the socket; idempotent. A dispatcher the
  /// loop owns is destroyed after the current loop iteration, never during a
  /// hook, so `this` stays valid until the hook returns.
  virtual void close();

  // --- state ----------------------------------------------------------------
  /// The socket, or -1.
  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// A connection is established (adopted, or connect() completed).
  [[nodiscard]] bool connected() const noexcept { return connected_; }
  /// listen() succeeded: the socket accepts connections.
  [[nodiscard]] bool accepting() const noexcept { return accepting_; }
  /// connect() is in progress.
  [[nodiscard]] bool connecting() const noexcept { return connecting_; }
  /// The locally bound port (0 if unknown).
  [[nodiscard]] std::uint16_t local_port() const noexcept;
  /// The loop the dispatcher is registered with; has_loop() must be true.
  [[nodiscard]] loop& get_loop() const noexcept { return *loop_; }
  /// False once the loop was destroyed before the dispatcher.
  [[nodiscard]] bool has_loop() const noexcept { return loop_ != nullptr; }
  /// The exception the default handle_error() was given last, or null.
  [[nodiscard]] std::exception_ptr last_error() const noexcept { return last_error_; }

  // --- events, as asyncore's handle_*_event: called by the loop -------------
  /// A read event: accept, complete a connect, or handle_read().
  void handle_read_event();
  /// A write event: complete a connect, then handle_write().
  void handle_write_event();
  /// An exceptional event: handle_close() on a socket error, else handle_expt().
  void handle_expt_event();

 protected:
  /// Called after handle_connect() when the connection is up; chat_channel
  /// uses it to let its outbox send.
  virtual void on_connected() {}

 private:
  friend class loop;
  void handle_connect_event();
  void close_socket() noexcept;
  std::error_code adopt_fd(int fd);

  loop* loop_;
  int fd_ = -1;
  int spare_fd_ = -1;
  std::uint64_t id_ = 0;  ///< the loop's name for this registration (detects fd reuse)
  bool connected_ = false;
  bool accepting_ = false;
  bool connecting_ = false;
  std::exception_ptr last_error_;
  bool refused_ = false;  ///< the loop refused the descriptor given to the constructor
  bool dirty_ = false;    ///< on_events: waiting to be asked its predicates
};

}  // namespace chatframe::reactor
