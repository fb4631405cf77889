// chatframe-echo-server — a line echo server on chatframe::reactor::chat_channel.
//
//   chatframe-echo-server [--backend select|poll|epoll] [--port N] [--nodelay] [--coalesce]
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
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chatframe/reactor/chat_channel.hpp"
#include "chatframe/reactor/loop.hpp"
#include "chatframe_tools/backend_option.hpp"
#include "chatframe_tools/cli.hpp"
#include "pin.hpp"

namespace {
namespace cr = chatframe::reactor;

cr::loop* g_loop = nullptr;
void on_signal(int) {
  if (g_loop != nullptr) g_loop->request_stop();
}

struct options {
  cr::backend backend = cr::backend::epoll;
  std::uint16_t port = 0;
  bool nodelay = false;
  bool coalesce = false;
};

class echo_channel final : public cr::chat_channel {
 public:
  echo_channel(cr::loop& l, int fd, const options& o) : chat_channel(l, fd) {
    (void)set_terminator(chatframe::terminator::bytes("\n"));
    if (o.coalesce) set_coalescing(true);
    if (o.nodelay) (void)set_nodelay(true);
  }
  void collect_incoming_data(const chatframe::collected& d) override {
    if (len_ == 0 && !oversize_ && output().empty()) {
      // Nothing borrowed is queued any more: reuse the arena from the start.
      cur_ = 0;
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
        if (!chunks_.empty()) big_.assign(chunks_[cur_].get() + used_, len_);
        len_ = 0;
        d.append_to(big_);
        return;
      }
      const char* partial = chunks_.empty() ? nullptr : chunks_[cur_].get() + used_;
      const std::size_t next = chunks_.empty() ? 0 : cur_ + 1;
      if (next == chunks_.size()) chunks_.push_back(std::make_unique<char[]>(chunk_size));
      if (len_ > 0) std::memcpy(chunks_[next].get(), partial, len_);
      cur_ = next;
      used_ = 0;
    }
    char* p = chunks_[cur_].get() + used_ + len_;
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
      push(std::move(big_));
      big_.clear();
      oversize_ = false;
      return;
    }
    if (chunks_.empty()) {  // an empty first line
      push("\n");
      return;
    }
    char* p = chunks_[cur_].get() + used_;
    p[len_] = '\n';
    const std::string_view line(p, len_ + 1);
    used_ += len_ + 1;
    len_ = 0;
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

 private:
  // Lines live in fixed chunks (never moved while borrowed by the outbox),
  // rewound once the outbox is empty.
  static constexpr std::size_t chunk_size = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::size_t cur_ = 0;   // chunk being filled
  std::size_t used_ = 0;  // bytes of finished lines in it
  std::size_t len_ = 0;   // bytes of the line being collected, after used_
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
    check(listen(128), where);
  }
  void handle_accept() override {
    for (;;) {
      cr::accept_result a = accept();
      if (a.fd < 0) return;
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
  if (const auto status = chatframe_tools::parse(app, argc, argv)) return *status;
  chatframe_bench::pin_to_cpu(0);
  try {
    cr::loop l(o.backend);
    g_loop = &l;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    echo_server server(l, o);
    std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(server.local_port()));
    std::fflush(stdout);
    const std::error_code ec = l.run(std::chrono::milliseconds(200));
    l.close_all();
    if (ec) {
      std::cerr << "chatframe-echo-server: loop: " << ec.message() << "\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "chatframe-echo-server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
