#include "chatframe/reactor/chat_channel.hpp"

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
thread_local std::array<char, small_gather> scratch;

// Where CPython's handle_read raises (framer.hpp: a count replaced by a
// non-count inside collect_incoming_data), raise too: the loop hands it to
// handle_error(), whose default closes, as asyncore's does.
void raise_if_failed(errc e) {
  if (e != errc::ok) throw std::system_error(make_error_code(e), "handle_read");
}

}  // namespace

chat_channel::chat_channel(loop& l, buffer_sizes sizes)
    : async_chat(sizes.in, sizes.out), dispatcher(l) {
  // asynchat without a socket: not connected until connect() completes, so
  // pushes made before then only queue (asynchat.py:232).
  set_connected(false);
}

chat_channel::chat_channel(loop& l, int fd, buffer_sizes sizes)
    : async_chat(sizes.in, sizes.out), dispatcher(l, fd) {}

bool chat_channel::readable() { return !eof_; }

bool chat_channel::writable() {
  // asynchat.py:223-225 — `self.producer_fifo or (not self.connected)`.
  return !output().empty() || !dispatcher::connected();
}

void chat_channel::handle_read() {
  const std::size_t want = ac_in_buffer_size();
  if (in_buf_.size() < want) in_buf_.resize(want);
  for (;;) {
    // Not dispatcher::recv(): that closes at end of stream, and a draining
    // channel must not.
    const ssize_t n = ::recv(fd(), in_buf_.data(), want, 0);
    if (n > 0) {
      bytes_received_ += static_cast<std::size_t>(n);
      raise_if_failed(
          async_chat::handle_read(std::string_view(in_buf_.data(), static_cast<std::size_t>(n))));
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
  if (!drain_on_eof_) {
    raise_if_failed(handle_eof());  // CPython: close now, then frame what was held back
    return;
  }
  eof_ = true;
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
  return r.size;
}

void chat_channel::set_coalescing(bool on) noexcept {
  coalescing_ = on;
  set_send_on_push(!on);
}

void chat_channel::flush() {
  std::array<std::string_view, 64> views;
  while (fd() >= 0 && dispatcher::connected()) {
    const std::size_t k = output().gather(views, std::size_t{1} << 20);
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
    if (fd() < 0) return;
    (void)output().consume(r.size);
    if (r.status != io_status::ok || r.size < total) return;
  }
}

}  // namespace chatframe::reactor
