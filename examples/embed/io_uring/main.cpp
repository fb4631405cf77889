// chatframe-embed-io_uring — a line-echo server on chatframe, embedded in an
// io_uring loop (liburing):
//
//   * input: one multishot receive per connection (io_uring_prep_recv_multishot)
//     drawing from a provided-buffer ring. Each completion names a buffer; it
//     is fed to the framer and handed back to the ring at once, because
//     framer::feed() consumes every byte it is given and keeps no reference to
//     the chunk — there is never a tail to re-offer.
//   * output: IORING_OP_SENDMSG with an iovec array built from outbox::gather(),
//     then outbox::consume() of what the kernel reports sent.
//   * backpressure: when the backlog passes the high-water mark the multishot
//     receive is cancelled (completions already on their way are still fed);
//     it is armed again below the low-water mark.
//
//   chatframe-embed-io_uring --port 0 [--max-connections N]
//
// Exits with 77 (after saying why) when the kernel refuses io_uring
// (io_uring_queue_init() fails: ENOSYS, EPERM under seccomp, ...) or lacks
// provided-buffer rings or multishot receive (before Linux 6.0). Setting
// CHATFRAME_EMBED_IO_URING_UNAVAILABLE=1 takes that path on purpose.
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include "line_echo.hpp"

namespace {

using chatframe_embed::line_session;
using chatframe_embed::write_step;

constexpr int unavailable_exit = 77;
constexpr unsigned ring_depth = 256;
constexpr unsigned buffer_count = 64;    // provided buffers (a power of two)
constexpr unsigned buffer_size = 16384;  // 64 x 16 KiB = 1 MiB of receive buffers
constexpr int buffer_group = 1;

enum op : std::uint64_t { op_accept = 1, op_signal, op_recv, op_send, op_cancel };
constexpr std::uint64_t tag(std::uint64_t id, op o) { return (id << 3) | o; }

[[noreturn]] void unavailable(const char* what, int err) {
  std::fprintf(stderr, "chatframe-embed-io_uring: io_uring unavailable here (%s: %s); skipping\n",
               what, std::strerror(err));
  std::exit(unavailable_exit);
}

// The provided-buffer ring the multishot receives draw from.
class buffer_ring {
 public:
  // Returns 0 or a negative errno.
  int setup(io_uring* ring) {
    ring_bytes_ = buffer_count * sizeof(io_uring_buf);
    void* mem =
        ::mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) return -errno;
    br_ = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(br_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(br_);
    reg.ring_entries = buffer_count;
    reg.bgid = buffer_group;
    const int r = io_uring_register_buf_ring(ring, &reg, 0);
    if (r < 0) return r;
    storage_.resize(std::size_t{buffer_count} * buffer_size);
    for (unsigned i = 0; i < buffer_count; ++i) add(i, static_cast<int>(i));
    io_uring_buf_ring_advance(br_, static_cast<int>(buffer_count));
    return 0;
  }
  ~buffer_ring() {
    if (br_ != nullptr) ::munmap(br_, ring_bytes_);
  }

  [[nodiscard]] std::string_view bytes(unsigned bid, std::size_t n) const {
    return {storage_.data() + std::size_t{bid} * buffer_size, n};
  }
  // Hands buffer `bid` back to the kernel.
  void recycle(unsigned bid) {
    add(bid, 0);
    io_uring_buf_ring_advance(br_, 1);
  }

 private:
  // `offset`: position among the buffers added before the next advance.
  void add(unsigned bid, int offset) {
    io_uring_buf_ring_add(br_, storage_.data() + std::size_t{bid} * buffer_size, buffer_size,
                          static_cast<unsigned short>(bid), io_uring_buf_ring_mask(buffer_count),
                          offset);
  }

  io_uring_buf_ring* br_ = nullptr;
  std::size_t ring_bytes_ = 0;
  std::vector<char> storage_;
};

struct connection {
  std::uint64_t id = 0;
  int fd = -1;
  line_session session;
  bool recv_armed = false;      // a multishot receive is active
  bool cancel_pending = false;  // its cancellation was submitted
  bool send_in_flight = false;
  bool closing = false;
  std::array<std::string_view, chatframe_embed::max_views> views;
  std::array<iovec, chatframe_embed::max_views> iov{};
  msghdr msg{};
};

class server {
 public:
  explicit server(chatframe_embed::options opts) : opts_(opts) {}
  ~server() {
    if (ring_ready_) io_uring_queue_exit(&ring_);
  }

  void init() {
    if (const char* e = std::getenv("CHATFRAME_EMBED_IO_URING_UNAVAILABLE");
        e != nullptr && *e == '1') {
      unavailable("io_uring_queue_init", ENOSYS);
    }
    const int r = io_uring_queue_init(ring_depth, &ring_, 0);
    if (r < 0) unavailable("io_uring_queue_init", -r);
    ring_ready_ = true;
    const int b = buffers_.setup(&ring_);
    if (b < 0) unavailable("io_uring_register_buf_ring (needs Linux 5.19)", -b);
    probe_multishot_recv();
  }

  unsigned listen() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd_ < 0) chatframe_embed::die("socket", errno);
    const int one = 1;
    (void)::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(opts_.port);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
      chatframe_embed::die("bind", errno);
    if (::listen(listen_fd_, 128) < 0) chatframe_embed::die("listen", errno);
    socklen_t len = sizeof addr;
    (void)::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);

    // SIGINT/SIGTERM arrive as reads on a signalfd, like any other completion.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) chatframe_embed::die("sigprocmask", errno);
    signal_fd_ = ::signalfd(-1, &mask, SFD_CLOEXEC);
    if (signal_fd_ < 0) chatframe_embed::die("signalfd", errno);
    return ntohs(addr.sin_port);
  }

  void run() {
    arm_accept();
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_read(sqe, signal_fd_, &siginfo_, sizeof siginfo_, 0);
    io_uring_sqe_set_data64(sqe, tag(0, op_signal));
    ++in_flight_;
    while (!(stopping_ && in_flight_ == 0)) {
      const int r = io_uring_submit_and_wait(&ring_, 1);
      if (r < 0 && r != -EINTR) chatframe_embed::die("io_uring_submit_and_wait", -r);
      io_uring_cqe* cqe = nullptr;
      unsigned head = 0;
      unsigned seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        handle(cqe->user_data, cqe->res, cqe->flags);
        ++seen;
      }
      io_uring_cq_advance(&ring_, seen);
    }
    ::close(listen_fd_);
    ::close(signal_fd_);
  }

 private:
  // Linux before 6.0 rejects IORING_RECV_MULTISHOT with EINVAL: try it once on
  // a socket pair before serving.
  void probe_multishot_recv() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) chatframe_embed::die("socketpair", errno);
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_recv_multishot(sqe, sv[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = buffer_group;
    io_uring_sqe_set_data64(sqe, 0);
    if (::write(sv[1], "x", 1) != 1) chatframe_embed::die("write", errno);
    bool multishot = false;
    bool done = false;
    int err = 0;
    (void)io_uring_submit(&ring_);
    while (!done) {
      io_uring_cqe* cqe = nullptr;
      const int r = io_uring_wait_cqe(&ring_, &cqe);
      if (r < 0) unavailable("io_uring_wait_cqe", -r);
      if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER) != 0) {
        buffers_.recycle(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
        if ((cqe->flags & IORING_CQE_F_MORE) != 0) {
          multishot = true;
          ::shutdown(sv[1], SHUT_WR);  // ends the receive with a final completion
        }
      }
      if (cqe->res < 0) err = -cqe->res;
      done = (cqe->flags & IORING_CQE_F_MORE) == 0;
      io_uring_cqe_seen(&ring_, cqe);
    }
    ::close(sv[0]);
    ::close(sv[1]);
    if (!multishot) unavailable("multishot recv (needs Linux 6.0)", err != 0 ? err : EINVAL);
  }

  io_uring_sqe* get_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      (void)io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
      if (sqe == nullptr) chatframe_embed::die("io_uring_get_sqe", EBUSY);
    }
    return sqe;
  }

  void arm_accept() {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_accept(sqe, listen_fd_, nullptr, nullptr, 0);
    io_uring_sqe_set_data64(sqe, tag(0, op_accept));
    ++in_flight_;
  }

  void cancel(std::uint64_t target, std::uint64_t id) {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_cancel64(sqe, target, 0);
    io_uring_sqe_set_data64(sqe, tag(id, op_cancel));
    ++in_flight_;
  }

  void handle(std::uint64_t user_data, int res, unsigned flags) {
    const auto kind = static_cast<op>(user_data & 7);
    const std::uint64_t id = user_data >> 3;
    const bool more = (flags & IORING_CQE_F_MORE) != 0;
    if (!more) --in_flight_;
    if (kind == op_signal) {
      stop();
      return;
    }
    if (kind == op_accept) {
      if (res >= 0) {
        if (stopping_) {
          ::close(res);
        } else {
          accepted(res);
        }
      }
      if (!stopping_) arm_accept();
      return;
    }
    if (kind == op_cancel && id == 0) return;  // the accept's or signal read's cancellation
    auto it = conns_.find(id);
    if (it == conns_.end()) {
      if (kind == op_recv && (flags & IORING_CQE_F_BUFFER) != 0)
        buffers_.recycle(flags >> IORING_CQE_BUFFER_SHIFT);
      return;
    }
    connection& c = *it->second;
    switch (kind) {
      case op_recv:
        if (!more) c.recv_armed = false;
        if (res > 0 && (flags & IORING_CQE_F_BUFFER) != 0) {
          const unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
          // Fed even after a pause was asked for: nothing is re-offered later,
          // the framer takes it all and the buffer goes straight back.
          if (!c.closing) c.session.feed(buffers_.bytes(bid, static_cast<std::size_t>(res)));
          buffers_.recycle(bid);
        } else if (res == 0) {
          c.session.end_of_stream();
        } else if (res < 0 && res != -ENOBUFS && res != -ECANCELED) {
          start_close(c);
        }
        break;
      case op_send:
        c.send_in_flight = false;
        c.session.complete_write(res > 0 ? static_cast<std::size_t>(res) : 0);
        if (res < 0 && res != -EAGAIN && res != -EINTR) start_close(c);
        break;
      case op_cancel: c.cancel_pending = false; break;
      default: break;
    }
    progress(c);
  }

  void accepted(int fd) {
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<connection>();
    c->id = ++last_id_;
    c->fd = fd;
    connection& ref = *c;
    conns_.emplace(c->id, std::move(c));
    progress(ref);
  }

  // Starts whatever the connection needs next; frees it once it is closed
  // and no operation refers to it any more.
  void progress(connection& c) {
    if (!c.closing && !c.send_in_flight) {
      std::size_t count = 0;
      const write_step step = c.session.begin_write(c.views, count);
      if (step == write_step::close) {
        start_close(c);
      } else if (step == write_step::data) {
        for (std::size_t i = 0; i < count; ++i) {
          c.iov[i].iov_base = const_cast<char*>(c.views[i].data());
          c.iov[i].iov_len = c.views[i].size();
        }
        c.msg = msghdr{};
        c.msg.msg_iov = c.iov.data();
        c.msg.msg_iovlen = count;
        io_uring_sqe* sqe = get_sqe();
        io_uring_prep_sendmsg(sqe, c.fd, &c.msg, MSG_NOSIGNAL);
        io_uring_sqe_set_data64(sqe, tag(c.id, op_send));
        ++in_flight_;
        c.send_in_flight = true;
      }
    }
    if (!c.closing) {
      const bool want = c.session.reading_wanted();
      if (want && !c.recv_armed && !c.cancel_pending) {
        io_uring_sqe* sqe = get_sqe();
        io_uring_prep_recv_multishot(sqe, c.fd, nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = buffer_group;
        io_uring_sqe_set_data64(sqe, tag(c.id, op_recv));
        ++in_flight_;
        c.recv_armed = true;
      } else if (!want && c.recv_armed && !c.cancel_pending && !c.session.at_eof()) {
        cancel(tag(c.id, op_recv), c.id);
        c.cancel_pending = true;
      }
    }
    if (c.closing && !c.recv_armed && !c.send_in_flight && !c.cancel_pending) {
      ::close(c.fd);
      conns_.erase(c.id);  // destroys c
      if (!stopping_) {
        ++chatframe_embed::stats().completed;
        if (opts_.max_connections != 0 &&
            chatframe_embed::stats().completed >= opts_.max_connections)
          stop();
      }
    }
  }

  // Pending operations on the socket finish (recv with 0, send with EPIPE),
  // then progress() frees the connection.
  void start_close(connection& c) {
    if (c.closing) return;
    c.closing = true;
    ::shutdown(c.fd, SHUT_RDWR);
  }

  void stop() {
    if (stopping_) return;
    stopping_ = true;
    cancel(tag(0, op_accept), 0);
    cancel(tag(0, op_signal), 0);
    std::vector<connection*> all;
    for (auto& [id, c] : conns_) all.push_back(c.get());
    for (connection* c : all) {
      start_close(*c);
      progress(*c);
    }
  }

  chatframe_embed::options opts_;
  io_uring ring_{};
  bool ring_ready_ = false;
  buffer_ring buffers_;
  int listen_fd_ = -1;
  int signal_fd_ = -1;
  signalfd_siginfo siginfo_{};
  std::unordered_map<std::uint64_t, std::unique_ptr<connection>> conns_;
  std::uint64_t last_id_ = 0;
  std::uint64_t in_flight_ = 0;  // operations whose last completion has not arrived
  bool stopping_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  server s(chatframe_embed::parse_options(argc, argv));
  s.init();
  chatframe_embed::print_listening(s.listen());
  s.run();
  chatframe_embed::print_stats();
  return 0;
}
