#include "chatframe/reactor/chat_channel.hpp"

#include "chatframe/reactor/loop.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace chatframe::reactor {
namespace {

// flush(): a gather of many small pieces totalling at most this is joined
// into one buffer (per thread; only used between the copy and the send).
constexpr std::size_t small_gather = 4096;
// flush(): at most this many bytes per call, so one connection with a deep
// backlog and a fast peer (or deep kernel buffers) takes a bounded slice of
// an iteration; level-triggered polling brings it back for the rest.
constexpr std::size_t flush_limit = std::size_t{256} * 1024;

// recv() buffers, one per thread, lent to one read at a time: the framer
// never refers to a chunk after feed() returns (it copies what it holds
// back), so an idle connection owns no read buffer — 16-64 KiB less per
// connection. A read made from inside another read's callbacks (a handler
// that drives another channel by hand) gets a buffer of its own.
class read_buffer {
 public:
  explicit read_buffer(std::size_t size) {
    if (!busy_) {
      busy_ = true;
      mine_ = true;
      if (shared_.size() < size) shared_.resize(size);
      data_ = shared_.data();
    } else {
      own_.resize(size);
      data_ = own_.data();
    }
  }
  ~read_buffer() {
    if (mine_) busy_ = false;
  }
  read_buffer(const read_buffer&) = delete;
  read_buffer& operator=(const read_buffer&) = delete;
  [[nodiscard]] char* data() const noexcept { return data_; }

 private:
  static thread_local std::vector<char> shared_;
  static thread_local bool busy_;
  std::vector<char> own_;
  char* data_ = nullptr;
  bool mine_ = false;
};
thread_local std::vector<char> read_buffer::shared_;
thread_local bool read_buffer::busy_ = false;
thread_local std::array<char, small_gather> scratch;

// Where CPython's handle_read raises (framer.hpp: a count replaced by a
// non-count inside collect_incoming_data), raise too: the loop hands it to
// handle_error(), whose default closes, as asyncore's does.
void raise_if_failed(chatframe::errc e) {
  if (e != chatframe::errc::ok) throw std::system_error(make_error_code(e), "handle_read");
}

}  // namespace

chat_channel::chat_channel(loop& l, buffer_sizes sizes)
    : async_chat(sizes.in, sizes.out), dispatcher(l), last_activity_(l.now()),
      write_since_(l.now()) {
  // asynchat without a socket: not connected until connect() completes, so
  // pushes made before then only queue (asynchat.py:232).
  set_connected(false);
}

chat_channel::chat_channel(loop& l, int fd, buffer_sizes sizes)
    : async_chat(sizes.in, sizes.out), dispatcher(l, fd), last_activity_(l.now()),
      write_since_(l.now()) {}

bool chat_channel::readable() {
  refresh();
  if (lingering_) return true;
  return !eof_ && budget_.reading_allowed();
}

void chat_channel::account() noexcept {
  if (budget_.update(input(), output(), assembling()) != chatframe::budget_change::none)
    output().pause_producers(budget_.paused());
}

void chat_channel::progress(time_point now) noexcept {
  last_activity_ = now;
  write_since_ = now;
}

chat_channel::next_deadline chat_channel::earliest() {
  // The write-stall clock starts when output starts waiting (noticed here or
  // in the last refresh, whichever came first) and restarts with every byte sent.
  if (output().empty()) {
    had_output_ = false;
  } else if (!had_output_) {
    had_output_ = true;
    write_since_ = get_loop().now();
  }
  next_deadline n;
  auto consider = [&n](time_point t, timeout_kind k) {
    if (!n.when || t < *n.when) {
      n.when = t;
      n.kind = k;
    }
  };
  if (lingering_) {
    consider(linger_until_, timeout_kind::lingering);
    consider(last_activity_ + linger_.timeout, timeout_kind::lingering);
    return n;
  }
  if (!output().empty()) {
    if (timeouts_.write_stall.count() > 0)
      consider(write_since_ + timeouts_.write_stall, timeout_kind::write_stall);
  } else if (timeouts_.idle.count() > 0) {
    consider(last_activity_ + timeouts_.idle, timeout_kind::idle);
  }
  if (request_deadline_) consider(*request_deadline_, timeout_kind::request);
  return n;
}

void chat_channel::refresh() {
  account();
  if (fd() < 0 || !has_loop()) return;
  const next_deadline n = earliest();
  if (n.when) {
    set_deadline(*n.when);
  } else {
    cancel_deadline();
  }
}

timeout_kind chat_channel::expired() {
  if (fd() < 0 || !has_loop()) return timeout_kind::none;
  const next_deadline n = earliest();
  return n.when && *n.when <= get_loop().now() ? n.kind : timeout_kind::none;
}

void chat_channel::handle_timeout() {
  if (expired() == timeout_kind::none) {
    refresh();  // moved on since the deadline was armed: arm the next one
    return;
  }
  close();
}

void chat_channel::start_request_timer(std::chrono::milliseconds after) {
  if (has_loop()) request_deadline_ = get_loop().now() + after;
  interest_changed();
}

chatframe::errc chat_channel::push(std::string data) {
  const chatframe::errc e = async_chat::push(std::move(data));
  interest_changed();
  return e;
}

chatframe::errc chat_channel::push_with_producer(std::unique_ptr<chatframe::producer> p) {
  const chatframe::errc e = async_chat::push_with_producer(std::move(p));
  interest_changed();
  return e;
}

chatframe::errc chat_channel::push_with_producer(std::string data) {
  const chatframe::errc e = async_chat::push_with_producer(std::move(data));
  interest_changed();
  return e;
}

chatframe::errc chat_channel::close_when_done() {
  const chatframe::errc e = async_chat::close_when_done();
  interest_changed();
  return e;
}

void chat_channel::handle_close() {
  // Only a close the close marker started lingers: a peer that went away
  // (end of stream, reset) has nothing more to read.
  if (linger_.enabled && !lingering_ && !eof_ && output().closed() && fd() >= 0 && has_loop()) {
    start_lingering();
    return;
  }
  close();
}

void chat_channel::start_lingering() {
  if (shutdown_write()) {
    close();
    return;
  }
  lingering_ = true;
  request_deadline_.reset();
  const time_point now = get_loop().now();
  linger_until_ = now + linger_.time;
  last_activity_ = now;
  refresh();
}

void chat_channel::linger_read() {
  // What the peer still sends is read and dropped; end of stream or an error ends it.
  for (;;) {
    const read_buffer buf(ac_in_buffer_size());
    const ssize_t n = ::recv(fd(), buf.data(), ac_in_buffer_size(), 0);
    if (n > 0) {
      bytes_received_ += static_cast<std::size_t>(n);
      last_activity_ = get_loop().now();
      return;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close();
    return;
  }
}

bool chat_channel::writable() {
  // asynchat.py:223-225 — `self.producer_fifo or (not self.connected)`.
  return !output().empty() || !dispatcher::connected();
}

void chat_channel::handle_read() {
  if (lingering_) {
    linger_read();
    return;
  }
  const std::size_t want = ac_in_buffer_size();
  const read_buffer buf(want);
  for (;;) {
    // Not dispatcher::recv(): that closes at end of stream, and a draining
    // channel must not.
    const ssize_t n = ::recv(fd(), buf.data(), want, 0);
    if (n > 0) {
      bytes_received_ += static_cast<std::size_t>(n);
      last_activity_ = get_loop().now();
      raise_if_failed(
          async_chat::handle_read(std::string_view(buf.data(), static_cast<std::size_t>(n))));
      account();  // so a flush below asks paused producers for nothing more
      if (coalescing_ && fd() >= 0) flush();
      return;
    }
    if (n == 0) break;
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) return;
    if (e == ECONNRESET || e == ENOTCONN || e == ESHUTDOWN || e == ECONNABORTED || e == EPIPE) {
      handle_close();
      return;
    }
    throw std::system_error(e, std::system_category(), "recv");
  }
  // End of stream.
  eof_ = true;
  if (!drain_on_eof_) {
    raise_if_failed(handle_eof());  // CPython: close now, then frame what was held back
    return;
  }
  raise_if_failed(async_chat::handle_read({}));
  if (fd() < 0) return;
  if (output().empty()) {
    handle_close();
    return;
  }
  (void)close_when_done();
  if (coalescing_) flush();
}

void chat_channel::handle_write() {
  if (coalescing_) {
    flush();
  } else {
    initiate_send();  // asynchat.py:228-229 — one send per write event
  }
}

void chat_channel::close() {
  async_chat::close();
  dispatcher::close();
}

std::size_t chat_channel::send(std::string_view data) {
  const io_result r = dispatcher::send(data);
  ++send_calls_;
  bytes_sent_ += r.size;
  if (r.size > 0 && has_loop()) progress(get_loop().now());
  return r.size;
}

void chat_channel::set_coalescing(bool on) noexcept {
  coalescing_ = on;
  set_send_on_push(!on);
}

void chat_channel::flush() {
  std::array<std::string_view, 64> views;
  std::size_t budget = flush_limit;
  while (fd() >= 0 && dispatcher::connected()) {
    if (budget == 0) return;  // the rest on the next write event
    const std::size_t k = output().gather(views, budget);
    if (k == 0) {
      // Idle, or the close marker reached (asynchat.py:237-239).
      if (output().closed()) handle_close();
      return;
    }
    std::size_t total = 0;
    for (std::size_t i = 0; i < k; ++i) total += views[i].size();
    io_result r;
    if (k > 1 && total <= small_gather) {
      // Many small pieces (a line each): one contiguous copy is cheaper for
      // the kernel than an iovec per piece. Same bytes, same single call.
      char* p = scratch.data();
      for (std::size_t i = 0; i < k; ++i) {
        std::memcpy(p, views[i].data(), views[i].size());
        p += views[i].size();
      }
      const std::string_view one(scratch.data(), total);
      r = send_vectored(&one, 1);
    } else {
      r = send_vectored(views.data(), k);
    }
    ++send_calls_;
    bytes_sent_ += r.size;
    if (r.size > 0 && has_loop()) progress(get_loop().now());
    if (fd() < 0) return;
    budget -= r.size;
    (void)output().consume(r.size);
    if (r.status != io_status::ok || r.size < total) return;
  }
}

}  // namespace chatframe::reactor
