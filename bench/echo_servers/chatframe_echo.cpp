// chatframe-echo-server — a line echo server on chatframe::reactor::chat_channel.
//
//   chatframe-echo-server [--backend select|poll|epoll] [--port N] [--nodelay] [--coalesce]
//                         [--max-connections N] [--idle-timeout S] [--send-timeout S]
//                         [--high-water BYTES]
//
// Terminator "\n"; every line is pushed back with its "\n" as one push(), the
// way an asynchat echo handler is written (the line's bytes are kept in a
// per-channel arena and pushed as a borrowed view, not a std::string each). Default: CPython's
// behaviour (each push() tries one send() at once). --coalesce: chat_channel::set_coalescing
// (pushes made while framing one recv() leave in one send call), and lines
// back to back in the arena join one outbox item (outbox::push_view_joined). --nodelay:
// TCP_NODELAY on every accepted socket. Listens on 127.0.0.1 only, prints
// "listening on 127.0.0.1:PORT", pins itself to CPU 0 (2+ CPUs), runs until
// SIGINT/SIGTERM.
//
// Bounded whatever a client does (chatframe_tools/server_limits.hpp): at most
// --max-connections at once (more are accepted and closed), each holding at
// most about --high-water bytes (chat_channel's budget: reading stops), closed
// after --idle-timeout with nothing moving or --send-timeout with its output
// stalled. A descriptor select cannot watch is turned away, and no loop
// error stops the server.
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chatframe/reactor/chat_channel.hpp"
#include "chatframe/reactor/loop.hpp"
#include "chatframe_tools/backend_option.hpp"
#include "chatframe_tools/cli.hpp"
#include "chatframe_tools/server_limits.hpp"
#include "pin.hpp"

namespace {
namespace cr = chatframe::reactor;

cr::loop* g_loop = nullptr;
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
  if (g_loop != nullptr) g_loop->request_stop();
}

struct options {
  cr::backend backend = cr::backend::epoll;
  std::uint16_t port = 0;
  bool nodelay = false;
  bool coalesce = false;
  chatframe_tools::server_limits limits;
};

class echo_channel final : public cr::chat_channel {
 public:
  echo_channel(cr::loop& l, int fd, const options& o) : chat_channel(l, fd) {
    (void)set_terminator(chatframe::terminator::bytes("\n"));
    if (o.coalesce) set_coalescing(true);
    if (o.nodelay) (void)set_nodelay(true);
    set_timeouts(o.limits.timeouts());
    set_budget(o.limits.budget());
  }
  void collect_incoming_data(const chatframe::collected& d) override {
    if (len_ == 0 && !oversize_ && output().empty() && !chunks_.empty()) {
      // Nothing borrowed is queued any more: reuse the arena from the start.
      release(pushed_);
      used_ = 0;
    }
    if (oversize_) {
      d.append_to(big_);
      return;
    }
    const std::size_t need = len_ + d.size() + 1;  // + '\n'
    if (chunks_.empty() || used_ + need > chunk_size) {
      if (need > chunk_size) {  // a line longer than a chunk: owned string
        oversize_ = true;
        if (!chunks_.empty()) big_.assign(chunks_.back().mem.get() + used_, len_);
        len_ = 0;
        d.append_to(big_);
        return;
      }
      next_chunk();
    }
    char* p = chunks_.back().mem.get() + used_ + len_;
    if (!d.carried.empty()) std::memcpy(p, d.carried.data(), d.carried.size());
    if (!d.fresh.empty()) std::memcpy(p + d.carried.size(), d.fresh.data(), d.fresh.size());
    len_ += d.size();
  }
  void found_terminator() override {
    // One push per line, line and "\n" together, as an asynchat echo handler
    // does; the bytes are borrowed from the arena instead of a std::string
    // each (same bytes, same send() calls).
    if (oversize_) {
      big_ += '\n';
      pushed_ += big_.size();
      push(std::move(big_));
      big_.clear();
      oversize_ = false;
      return;
    }
    if (chunks_.empty()) {  // an empty first line
      pushed_ += 1;
      push("\n");
      return;
    }
    char* p = chunks_.back().mem.get() + used_;
    p[len_] = '\n';
    const std::string_view line(p, len_ + 1);
    used_ += len_ + 1;
    len_ = 0;
    pushed_ += line.size();
    chunks_.back().end = pushed_;
    if (!coalescing()) {
      (void)output().push_view(line);
      initiate_send();  // async_chat::push's send_on_push
      return;
    }
    // Coalescing sends the outbox gathered, where a line that continues the
    // one before in the arena joins its item: the same bytes, in the same
    // send calls, with one queue entry per read instead of one per line.
    (void)output().push_view_joined(line);
  }
  // The line being collected counts against the channel's memory budget.
  [[nodiscard]] std::size_t assembling() const noexcept override { return len_ + big_.size(); }

 private:
  // Lines live in fixed chunks, never moved while borrowed by the outbox.
  // Pushes leave in push order, so a chunk whose last pushed byte is at
  // stream position `end` is free once bytes_sent() reaches it — however
  // slowly the peer reads, the arena holds only what is still queued (which
  // the budget bounds) plus a spare.
  static constexpr std::size_t chunk_size = 64 * 1024;
  struct chunk {
    std::unique_ptr<char[]> mem;
    std::uint64_t end = 0;  // push-stream position after its last pushed byte
  };

  // Frees the chunks before the last whose bytes were all sent by `sent`.
  void release(std::uint64_t sent) {
    while (chunks_.size() > 1 && chunks_.front().end <= sent) {
      if (!spare_) spare_ = std::move(chunks_.front().mem);
      chunks_.pop_front();
    }
  }
  // Starts a new chunk, moving the line being collected into it.
  void next_chunk() {
    release(bytes_sent());
    chunk c;
    c.mem = spare_ ? std::move(spare_) : std::make_unique<char[]>(chunk_size);
    c.end = pushed_;
    if (len_ > 0) std::memcpy(c.mem.get(), chunks_.back().mem.get() + used_, len_);
    chunks_.push_back(std::move(c));
    used_ = 0;
  }

  std::deque<chunk> chunks_;  // oldest first; back() is being filled
  std::unique_ptr<char[]> spare_;
  std::uint64_t pushed_ = 0;  // bytes pushed so far
  std::size_t used_ = 0;      // bytes of finished lines in the back chunk
  std::size_t len_ = 0;       // bytes of the line being collected, after used_
  bool oversize_ = false;
  std::string big_;
};

class echo_server final : public cr::dispatcher {
 public:
  echo_server(cr::loop& l, const options& o) : dispatcher(l), opts_(o) {
    const std::string where = "cannot listen on 127.0.0.1:" + std::to_string(o.port);
    check(create_socket(), "socket");
    check(set_reuse_addr(), "SO_REUSEADDR");
    check(bind("127.0.0.1", o.port), where);
    check(listen(511), where);  // nginx's backlog
  }
  void handle_accept() override {
    for (;;) {
      cr::accept_result a = accept();
      if (a.fd < 0) return;  // nothing pending, EMFILE, or past select's FD_SETSIZE: refused
      if (get_loop().size() - 1 >= opts_.limits.max_connections) {
        ::close(a.fd);  // over the limit: refused; the others are served
        continue;
      }
      get_loop().adopt(std::make_unique<echo_channel>(get_loop(), a.fd, opts_));
    }
  }
  // Throws std::system_error "what: <the error in words>".
  static void check(std::error_code ec, const std::string& what) {
    if (ec) throw std::system_error(ec, what);
  }

 private:
  options opts_;
};
}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"A line echo server on chatframe::reactor::chat_channel, for the echo benchmark.",
               "chatframe-echo-server"};
  chatframe_tools::add_backend_option(app, o.backend);
  app.add_option("--port", o.port, "listen on 127.0.0.1:PORT")
      ->transform(chatframe_tools::listen_port())
      ->capture_default_str();
  app.add_flag("--nodelay", o.nodelay, "TCP_NODELAY on every accepted socket");
  app.add_flag("--coalesce", o.coalesce,
               "send the pushes of one read together (chat_channel::set_coalescing)");
  chatframe_tools::add_limit_options(app, o.limits);
  if (const auto status = chatframe_tools::parse(app, argc, argv)) return *status;
  if (o.limits.max_connections == 0)
    o.limits.max_connections = chatframe_tools::default_max_connections(32);
  chatframe_bench::pin_to_cpu(0);
  try {
    cr::loop l(o.backend, cr::interest_updates::on_events);  // iterations cost what is active
    g_loop = &l;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    echo_server server(l, o);
    std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(server.local_port()));
    std::fflush(stdout);
    while (g_stop == 0) {
      // Only the wait itself can fail (nothing a peer does is a loop error):
      // say so and keep serving.
      if (const std::error_code ec = l.run(std::chrono::milliseconds(200))) {
        std::cerr << "chatframe-echo-server: loop: " << ec.message() << "\n";
        ::usleep(10000);
      }
    }
    l.close_all();
  } catch (const std::exception& e) {
    std::cerr << "chatframe-echo-server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
