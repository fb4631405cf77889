// chatframe-length-echo — length-prefixed records echoed over TCP on
// chatframe::reactor, framed by length_field_framer and written by
// length_field_encoder.
//
//   chatframe-length-echo demo [--backend B]           server and client in one loop
//   chatframe-length-echo server [--port P] [--backend B]  serve one client, then exit
//   chatframe-length-echo client --port P [--backend B]    run the script against a server
//
// Exit status: 0 ok, 1 runtime error (the message says which), 2 bad command
// line (chatframe_tools/cli.hpp).
//
// A record is a 2-byte big-endian length and that many bytes. The server
// takes frames of at most 1 KiB: a longer record is skipped — exactly its
// bytes, however they arrive — and answered with "skipped <length>"; every
// other record, the empty one included, comes back as it came. Its memory is
// held to a memory_budget: while the input it keeps and the output it has
// queued reach 16 KiB it stops reading, and TCP pushes back on the client.
//
// The client's script: ordinary records, an empty record, an oversized one,
// one record written one byte per write, and a burst of 1000-byte records
// that it reads back slowly, 512 bytes per read, so that the server's output
// backs up and its budget pauses it. The client checks every reply, in
// order; the program exits 0 when all came back (and, for demo, when the
// server paused, kept within its budget and saw the byte-by-byte record in
// pieces). Every run is bounded: the loop polls at most 200000 times.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cstdio>
#include <deque>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "chatframe/length_field_encoder.hpp"
#include "chatframe/length_field_framer.hpp"
#include "chatframe/memory_budget.hpp"
#include "chatframe/outbox.hpp"
#include "chatframe/reactor/dispatcher.hpp"
#include "chatframe/reactor/loop.hpp"
#include "chatframe_tools/backend_option.hpp"
#include "chatframe_tools/cli.hpp"

namespace {

namespace cr = chatframe::reactor;

// The records' layout, on both sides: the defaults with a 2-byte field.
constexpr chatframe::length_field_options kRecords{.length_width = 2,
                                                   .max_frame_length = 64 * 1024};
constexpr std::size_t kServerMax = 1024;  // the server's largest frame
constexpr chatframe::budget_options kBudget{.high_water = 16 * 1024, .low_water = 8 * 1024};

// Throws std::system_error "what: <the error in words>".
void check(std::error_code ec, const std::string& what) {
  if (ec) throw std::system_error(ec, what);
}

void set_buffer(int fd, int option, int bytes) {
  (void)::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
}

// A connection that reads records and writes records: the decoder's handler
// (on_frame, on_error) and an outbox drained with gathered sends. Bodies to
// send are kept here until the outbox has sent them: the encoder borrows them.
class record_channel : public cr::dispatcher {
 public:
  record_channel(cr::loop& l, int fd, std::size_t max_frame)
      : dispatcher(l, fd), decoder_(with_max(max_frame)) {}
  record_channel(cr::loop& l, std::size_t max_frame)
      : dispatcher(l), decoder_(with_max(max_frame)) {}

  void on_frame(std::string_view frame) { on_record(frame); }
  void on_error(const chatframe::length_error& e) { on_record_error(e); }

  bool readable() override { return reading_ && budget_.reading_allowed(); }
  bool writable() override { return connecting() || !out_.empty(); }
  void handle_read() override {
    const cr::io_result r = recv(in_.data(), read_size_);
    if (r.status != cr::io_status::ok) return;  // eof or reset: handle_close() ran
    const chatframe::feed_result fed = decoder_.feed(std::string_view(in_.data(), r.size), *this);
    if (fed.error != chatframe::errc::ok) {  // a header the decoder cannot follow
      close();
      return;
    }
    if (!decoder_.at_record_boundary()) ++reads_inside_a_record_;
    flush();
  }
  void handle_write() override { flush(); }

  [[nodiscard]] const chatframe::memory_budget& budget() const { return budget_; }
  [[nodiscard]] std::size_t reads_inside_a_record() const { return reads_inside_a_record_; }

 protected:
  virtual void on_record(std::string_view frame) = 0;
  virtual void on_record_error(const chatframe::length_error& e) = 0;

  // Queues a record; `body` is kept until it is sent.
  void send_record(std::string body) {
    bodies_.push_back(std::move(body));
    if (encoder_.push(out_, bodies_.back()) != chatframe::errc::ok)
      throw std::runtime_error("record refused by the encoder");
    unsent_ += encoder_.header_length() + bodies_.back().size();
  }
  // Sends what the socket takes, at most `limit` bytes, then forgets the
  // bodies sent and recounts the budget.
  void flush(std::size_t limit = static_cast<std::size_t>(-1)) {
    std::array<std::string_view, 16> views{};
    while (connected()) {
      const std::size_t n = out_.gather(views, limit);
      if (n == 0) break;
      const cr::io_result r = send_vectored(views.data(), n);
      if (r.status != cr::io_status::ok) break;
      (void)out_.consume(r.size);
      limit -= r.size;
    }
    // The outbox sends in order: a record is gone once what is still queued
    // fits in the records after it.
    while (!bodies_.empty() &&
           unsent_ - (encoder_.header_length() + bodies_.front().size()) >= out_.queued_bytes()) {
      unsent_ -= encoder_.header_length() + bodies_.front().size();
      bodies_.pop_front();
    }
    (void)budget_.update(decoder_.buffered(), 0, out_.queued_bytes());
  }

  static chatframe::length_field_options with_max(std::size_t max_frame) {
    chatframe::length_field_options o = kRecords;
    o.max_frame_length = max_frame;
    return o;
  }

  chatframe::length_field_framer decoder_;
  chatframe::length_field_encoder encoder_{kRecords};
  chatframe::outbox out_;
  chatframe::memory_budget budget_{kBudget};
  std::size_t read_size_ = 4096;
  bool reading_ = true;

 private:
  std::array<char, 4096> in_{};
  std::deque<std::string> bodies_;
  std::size_t unsent_ = 0;  // bytes of the records in bodies_, headers included
  std::size_t reads_inside_a_record_ = 0;
};

class echo_connection final : public record_channel {
 public:
  echo_connection(cr::loop& l, int fd) : record_channel(l, fd, kServerMax) {
    // A small send buffer, so that a client that reads slowly backs up the
    // outbox, not the kernel: the budget is what then holds memory down.
    set_buffer(fd, SO_SNDBUF, 4096);
  }
  std::size_t echoed = 0;
  std::size_t skipped = 0;

 private:
  void on_record(std::string_view frame) override {
    ++echoed;
    send_record(std::string(frame));
  }
  void on_record_error(const chatframe::length_error& e) override {
    // Other errors: a header the decoder cannot follow (it stops, and
    // handle_read closes), or a frame that no memory could hold (frame_not_kept:
    // that record gets no reply, the next ones do).
    if (e.code != chatframe::errc::length_too_large) return;
    ++skipped;
    send_record("skipped " + std::to_string(e.frame_length));
  }
};

// Accepts one client, then stops listening. It owns the connection (the
// loop only points to it while it is open), so its figures outlive it.
class echo_server final : public cr::dispatcher {
 public:
  echo_server(cr::loop& l, std::uint16_t port) : dispatcher(l) {
    const std::string where = "cannot listen on 127.0.0.1:" + std::to_string(port);
    check(create_socket(), "socket");
    check(set_reuse_addr(), "SO_REUSEADDR");
    check(bind("127.0.0.1", port), where);
    check(listen(1), where);
  }
  void handle_accept() override {
    const cr::accept_result a = accept();
    if (a.fd < 0) return;
    connection = std::make_unique<echo_connection>(get_loop(), a.fd);
    close();
  }
  std::unique_ptr<echo_connection> connection;
};

// One record of the script and the reply it must bring back.
struct exchange {
  std::string body;
  std::string reply;
  bool byte_by_byte = false;
};

std::vector<exchange> script() {
  std::vector<exchange> s;
  s.push_back({"hello", "hello"});
  s.push_back({"", ""});  // the empty record comes back empty
  s.push_back({std::string(3000, 'x'), "skipped 3000"});
  s.push_back({"after the skip, in step", "after the skip, in step"});
  s.push_back({"one byte per write, every one", "one byte per write, every one", true});
  for (int i = 0; i < 64; ++i) {  // the burst, read back slowly
    std::string body(1000, static_cast<char>('a' + i % 26));
    s.push_back({body, body});
  }
  s.push_back({"bye", "bye"});
  return s;
}

class echo_client final : public record_channel {
 public:
  echo_client(cr::loop& l, std::uint16_t port)
      : record_channel(l, kRecords.max_frame_length), port_(port) {
    check(create_socket(), "socket");
    set_buffer(fd(), SO_RCVBUF, 4096);
    const int on = 1;
    (void)::setsockopt(fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    check(connect("127.0.0.1", port), where());
    read_size_ = 512;
  }
  [[nodiscard]] bool ok() const { return next_reply_ == script_.size(); }
  // Why the script failed, in words, once the loop ran.
  [[nodiscard]] std::string failure() const {
    if (!failure_.empty()) return failure_;
    if (const std::exception_ptr e = last_error()) {
      try {
        std::rethrow_exception(e);
      } catch (const std::system_error& se) {
        // A refused or failed connect() arrives as "connect: <why>".
        if (!reached_) return where() + ": " + se.code().message();
        return se.what();
      } catch (const std::exception& other) {
        return other.what();
      }
    }
    return "replies missing";
  }

  void handle_connect() override {
    reached_ = true;
    std::size_t at = 0;
    for (const exchange& e : script_) {
      const std::size_t size = encoder_.header_length() + e.body.size();
      if (e.byte_by_byte) slow_ = {at, at + size};
      at += size;
      send_record(e.body);
    }
  }
  void handle_write() override {
    // One byte per write event while the byte-by-byte record is going out.
    const std::size_t sent = written();
    std::size_t limit = static_cast<std::size_t>(-1);
    if (sent >= slow_.first && sent < slow_.second) limit = 1;
    if (sent < slow_.first) limit = slow_.first - sent;
    flush(limit);
  }

 private:
  [[nodiscard]] std::size_t written() const { return total_ - out_.queued_bytes(); }
  void on_record(std::string_view frame) override {
    if (next_reply_ >= script_.size() || frame != script_[next_reply_].reply) {
      failure_ = "reply " + std::to_string(next_reply_) + " differs (" +
                 std::to_string(frame.size()) + " bytes)";
      close();
      return;
    }
    if (++next_reply_ == script_.size()) close();  // every reply came back
  }
  void on_record_error(const chatframe::length_error& e) override {
    failure_ = "reply error " + std::string(chatframe::to_string(e.code));
    close();
  }
  void send_record(std::string body) {
    total_ += encoder_.header_length() + body.size();
    record_channel::send_record(std::move(body));
  }

  [[nodiscard]] std::string where() const {
    return "cannot connect to 127.0.0.1:" + std::to_string(port_);
  }

  std::uint16_t port_;
  bool reached_ = false;  // handle_connect() ran: the connection was made
  std::vector<exchange> script_ = script();
  std::pair<std::size_t, std::size_t> slow_{0, 0};  // the byte-by-byte record's bytes
  std::size_t total_ = 0;                           // bytes queued so far
  std::size_t next_reply_ = 0;
  std::string failure_;
};

// asyncore.loop() until the map is empty, but never forever.
int run(cr::loop& l) {
  if (const std::error_code ec = l.run(std::chrono::milliseconds(200), 200000)) {
    std::fprintf(stderr, "chatframe-length-echo: loop: %s\n", ec.message().c_str());
    return 1;
  }
  if (!l.empty()) {
    std::fprintf(stderr, "chatframe-length-echo: the loop did not finish\n");
    return 1;
  }
  return 0;
}

int report_client(const echo_client& c) {
  if (c.ok()) {
    std::printf("client: every reply came back, in order\n");
    return 0;
  }
  std::fprintf(stderr, "chatframe-length-echo: client: %s\n", c.failure().c_str());
  return 1;
}

int demo(cr::backend b) {
  cr::loop l(b);
  echo_server server(l, 0);
  echo_client client(l, server.local_port());
  if (run(l) != 0 || report_client(client) != 0) return 1;
  const echo_connection* c = server.connection.get();
  if (c == nullptr) return 1;
  const chatframe::memory_budget& budget = c->budget();
  std::printf(
      "server: %zu records echoed, %zu skipped; paused %zu times, peak %zu bytes "
      "(high water %zu); %zu reads ended inside a record\n",
      c->echoed, c->skipped, budget.pauses(), budget.peak(), kBudget.high_water,
      c->reads_inside_a_record());
  // The budget allows what one read can add past the high water mark: a
  // read's bytes kept, and the replies they make.
  const std::size_t bound = kBudget.high_water + 4096 + 2 * (kServerMax + 2) * 4;
  bool ok = true;
  auto expect = [&ok](bool what, const char* why) {
    if (!what) std::printf("demo: FAILED: %s\n", why);
    ok = ok && what;
  };
  expect(c->skipped == 1, "one record skipped");
  expect(c->echoed == script().size() - 1, "every other record echoed");
  expect(budget.pauses() >= 1, "the server's budget paused reading");
  expect(budget.peak() <= bound, "the server stayed within its budget");
  expect(c->reads_inside_a_record() >= 2, "a record came in pieces");
  if (ok) std::printf("demo: ok\n");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Length-prefixed records echoed on chatframe::reactor.", "chatframe-length-echo"};
  app.require_subcommand(0, 1);  // none: said below, after unknown words are named
  cr::backend b = cr::backend::epoll;
  std::uint16_t port = 0;
  CLI::App* demo_cmd = app.add_subcommand("demo", "server and client in one loop on loopback");
  CLI::App* server_cmd =
      app.add_subcommand("server", "serve one client on 127.0.0.1; prints the port");
  CLI::App* client_cmd = app.add_subcommand("client", "run the script against a server");
  server_cmd->add_option("--port", port, "the port to listen on")
      ->transform(chatframe_tools::listen_port());
  client_cmd->add_option("--port", port, "the server's port on 127.0.0.1")
      ->required()
      ->transform(chatframe_tools::connect_port());
  for (CLI::App* sub : {demo_cmd, server_cmd, client_cmd})
    chatframe_tools::add_backend_option(*sub, b);

  if (const auto status = chatframe_tools::parse(app, argc, argv)) return *status;
  if (app.get_subcommands().empty())
    return chatframe_tools::usage_error(app, "a command is required: demo, server or client");
  try {
    if (demo_cmd->parsed()) return demo(b);
    cr::loop l(b);
    if (server_cmd->parsed()) {
      echo_server server(l, port);
      std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(server.local_port()));
      std::fflush(stdout);
      return run(l);
    }
    echo_client client(l, port);
    const int rc = run(l);
    return rc != 0 ? rc : report_client(client);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chatframe-length-echo: %s\n", e.what());
    return 1;
  }
}
