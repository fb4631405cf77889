#include "chatframe/reactor/dispatcher.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "chatframe/reactor/loop.hpp"

namespace chatframe::reactor {
namespace {

std::error_code last_errno() { return {errno, std::system_category()}; }

// asyncore's _DISCONNECTED: the peer is gone, close quietly.
bool disconnected(int e) {
  return e == ECONNRESET || e == ENOTCONN || e == ESHUTDOWN || e == ECONNABORTED || e == EPIPE ||
         e == EBADF;
}

bool make_address(std::string_view host, std::uint16_t port, sockaddr_in& sa) {
  sa = {};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  const std::string h = host == "localhost" ? std::string("127.0.0.1") : std::string(host);
  return ::inet_pton(AF_INET, h.c_str(), &sa.sin_addr) == 1;
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  (void)::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

}  // namespace

dispatcher::dispatcher(loop& l) : loop_(&l) {}

dispatcher::dispatcher(loop& l, int fd) : loop_(&l) {
  set_nonblocking(fd);
  connected_ = true;
  (void)adopt_fd(fd);
}

dispatcher::~dispatcher() { close_socket(); }

std::error_code dispatcher::adopt_fd(int fd) {
  if (fd_ >= 0) return errc::already_open;
  if (loop_ != nullptr && loop_->refuses(fd)) {
    ::close(fd);
    connected_ = false;
    refused_ = true;
    return errc::descriptor_too_large_for_select;
  }
  fd_ = fd;
  if (loop_ != nullptr) id_ = loop_->add_channel(this, fd);
  return {};
}

void dispatcher::close_socket() noexcept {
  cancel_deadline();
  if (spare_fd_ >= 0) {
    ::close(spare_fd_);
    spare_fd_ = -1;
  }
  if (fd_ < 0) return;
  const int fd = fd_;
  // Leave the map (and epoll) before the number can be reused.
  if (loop_ != nullptr) loop_->del_channel(this, fd);
  fd_ = -1;
  ::close(fd);
}

void dispatcher::close() {
  connected_ = false;
  accepting_ = false;
  connecting_ = false;
  close_socket();
}

void dispatcher::handle_error(std::exception_ptr error) {
  last_error_ = std::move(error);
  handle_close();
}

void dispatcher::interest_changed() noexcept {
  if (loop_ != nullptr && fd_ >= 0) loop_->mark_dirty(this, fd_, id_);
}

void dispatcher::set_deadline(time_point when) {
  if (loop_ != nullptr) loop_->timers_.arm(*this, when);
}

void dispatcher::set_timeout(std::chrono::milliseconds after) {
  if (loop_ != nullptr) set_deadline(loop_->now() + after);
}

void dispatcher::cancel_deadline() noexcept {
  if (loop_ != nullptr) loop_->timers_.cancel(*this);
}

void dispatcher::handle_accept() {
  accept_result a = accept();
  if (a.fd >= 0) handle_accepted(a.fd, a.peer_host, a.peer_port);
}

void dispatcher::handle_accepted(int fd, const std::string&, std::uint16_t) { ::close(fd); }

std::error_code dispatcher::create_socket() {
  if (fd_ >= 0) return errc::already_open;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return last_errno();
  return adopt_fd(fd);
}

std::error_code dispatcher::set_reuse_addr() {
  if (fd_ < 0) return errc::not_open;
  const int one = 1;
  if (::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return last_errno();
  return {};
}

std::error_code dispatcher::set_nodelay(bool on) {
  if (fd_ < 0) return errc::not_open;
  const int v = on ? 1 : 0;
  if (::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) != 0) return last_errno();
  return {};
}

std::error_code dispatcher::bind(std::string_view host, std::uint16_t port) {
  if (fd_ < 0) return errc::not_open;
  sockaddr_in sa;
  if (!make_address(host, port, sa)) return errc::bad_address;
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) return last_errno();
  return {};
}

std::error_code dispatcher::listen(int backlog) {
  if (fd_ < 0) return errc::not_open;
  accepting_ = true;
  if (::listen(fd_, backlog) != 0) return last_errno();
  if (spare_fd_ < 0) spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return {};
}

std::error_code dispatcher::connect(std::string_view host, std::uint16_t port) {
  if (fd_ < 0) return errc::not_open;
  sockaddr_in sa;
  if (!make_address(host, port, sa)) return errc::bad_address;
  connected_ = false;
  connecting_ = true;
  // An interrupted connect goes on in the background (EINTR): wait for it
  // like EINPROGRESS rather than calling connect() again.
  const int r = ::connect(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  if (r == 0 || errno == EISCONN) {
    handle_connect_event();
    return {};
  }
  if (errno == EINPROGRESS || errno == EALREADY || errno == EWOULDBLOCK || errno == EINTR)
    return {};
  const std::error_code ec = last_errno();
  connecting_ = false;
  return ec;
}

accept_result dispatcher::accept() {
  accept_result out;
  if (fd_ < 0) {
    out.error = errc::not_open;
    return out;
  }
  for (;;) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    const int fd =
        ::accept4(fd_, reinterpret_cast<sockaddr*>(&sa), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0 && loop_ != nullptr && loop_->refuses(fd)) {
      ::close(fd);
      out.error = errc::descriptor_too_large_for_select;
      return out;
    }
    if (fd >= 0) {
      char buf[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &sa.sin_addr, buf, sizeof buf);
      out.fd = fd;
      out.peer_host = buf;
      out.peer_port = ntohs(sa.sin_port);
      return out;
    }
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK || e == ECONNABORTED) return out;  // asyncore: None
    if ((e == EMFILE || e == ENFILE) && spare_fd_ >= 0) {
      // Out of descriptors: the pending connection would keep the listening
      // socket readable forever. Use the spare to take it and drop it.
      ::close(spare_fd_);
      spare_fd_ = -1;
      const int victim = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (victim >= 0) ::close(victim);
      spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    out.error = {e, std::system_category()};
    return out;
  }
}

io_result dispatcher::send(std::string_view data) { return send_vectored(&data, 1); }

io_result dispatcher::send_vectored(const std::string_view* parts, std::size_t count) {
  if (fd_ < 0) return {0, io_status::closed};
  iovec small[16];
  std::vector<iovec> big;
  iovec* iov = small;
  if (count > 16) {
    big.resize(count);
    iov = big.data();
  }
  for (std::size_t i = 0; i < count; ++i) {
    iov[i].iov_base = const_cast<char*>(parts[i].data());
    iov[i].iov_len = parts[i].size();
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  for (;;) {
    // One piece (every single send, and a coalesced batch joined into one
    // buffer): send(), which spares the kernel copying in a msghdr and an
    // iovec array.
    const ssize_t n = count == 1 ? ::send(fd_, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL)
                                 : ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n >= 0) return {static_cast<std::size_t>(n), io_status::ok};
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) return {0, io_status::would_block};
    if (disconnected(e)) {
      handle_close();
      return {0, io_status::closed};
    }
    throw std::system_error(e, std::system_category(), "send");
  }
}

io_result dispatcher::recv(char* buf, std::size_t size) {
  if (fd_ < 0) return {0, io_status::closed};
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, size, 0);
    if (n > 0) return {static_cast<std::size_t>(n), io_status::ok};
    if (n == 0) {
      handle_close();  // asyncore.py: recv — a closed connection is indicated by b''
      return {0, io_status::eof};
    }
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) return {0, io_status::would_block};
    if (disconnected(e)) {
      handle_close();
      return {0, io_status::closed};
    }
    throw std::system_error(e, std::system_category(), "recv");
  }
}

std::error_code dispatcher::shutdown_write() {
  if (fd_ < 0) return errc::not_open;
  if (::shutdown(fd_, SHUT_WR) != 0) return last_errno();
  return {};
}

std::uint16_t dispatcher::local_port() const noexcept {
  if (fd_ < 0) return 0;
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return 0;
  return ntohs(sa.sin_port);
}

void dispatcher::handle_connect_event() {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    connecting_ = false;
    throw std::system_error(err, std::system_category(), "connect");
  }
  // asyncore.py: handle_connect_event — the hook first, then the flags.
  handle_connect();
  if (fd_ < 0) return;
  connected_ = true;
  connecting_ = false;
  on_connected();
}

void dispatcher::handle_read_event() {
  if (accepting_) {
    handle_accept();
  } else if (!connected_) {
    if (connecting_) handle_connect_event();
    if (fd_ >= 0) handle_read();
  } else {
    handle_read();
  }
}

void dispatcher::handle_write_event() {
  if (accepting_) return;
  if (!connected_ && connecting_) handle_connect_event();
  if (fd_ >= 0) handle_write();
}

void dispatcher::handle_expt_event() {
  int err = 0;
  socklen_t len = sizeof err;
  if (fd_ >= 0 && ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
    handle_close();
  } else {
    handle_expt();
  }
}

}  // namespace chatframe::reactor
