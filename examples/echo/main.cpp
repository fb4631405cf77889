// chatframe-echo — the seed article's asynchat echo example (EchoServer,
// EchoHandler, EchoClient, EchoProducer), on chatframe::reactor.
//
//   chatframe-echo demo FILE [--backend B]          server and client in one loop
//   chatframe-echo server PORT [--once] [--backend B]
//                  serve clients until SIGINT/SIGTERM (--once: the seed's
//                  server, which serves one client, then exits)
//   chatframe-echo client HOST PORT FILE [--backend B] send FILE, expect it back
//
// Exit status: 0 ok, 1 runtime error (the message says which), 2 bad command
// line (chatframe_tools/cli.hpp).
//
// The log reproduces Python's logging format '%(name)-11s: %(message)s' and
// Python 2's repr() of byte strings, so the demo's output equals the
// article's log. That needs asyncore's event order, which the select backend
// gives (all reads of an iteration before all writes): the client's producer
// is asked for more() only after the server has read the command.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "chatframe/producer.hpp"
#include "chatframe/reactor/chat_channel.hpp"
#include "chatframe/reactor/loop.hpp"
#include "chatframe_tools/backend_option.hpp"
#include "chatframe_tools/cli.hpp"

namespace {

namespace cr = chatframe::reactor;

void log(const char* name, const std::string& message) {
  std::printf("%-11s: %s\n", name, message.c_str());
  std::fflush(stdout);
}

// Python 2's repr() of a str.
std::string repr(std::string_view s) {
  const bool dq = s.find('\'') != std::string_view::npos && s.find('"') == std::string_view::npos;
  const char quote = dq ? '"' : '\'';
  std::string out(1, quote);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == quote || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += quote;
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += p;
  return s;
}

// EchoProducer: a simple_producer that logs every more().
class echo_producer final : public chatframe::producer {
 public:
  echo_producer(std::string data, std::size_t buffer_size) : inner_(std::move(data), buffer_size) {}
  std::string_view more() override {
    const std::string_view r = inner_.more();
    log("EchoProducer", "more() -> (" + std::to_string(r.size()) + " bytes) " + repr(r));
    return r;
  }

 private:
  chatframe::simple_producer inner_;
};

// EchoHandler: "ECHO <len>\n", then <len> bytes, echoed back; then close.
class echo_handler final : public cr::chat_channel {
 public:
  echo_handler(cr::loop& l, int fd) : chat_channel(l, fd, {128, 128}) {
    (void)set_terminator(chatframe::terminator::bytes("\n"));
  }
  void collect_incoming_data(const chatframe::collected& data) override {
    const std::string d = data.str();
    log("EchoHandler",
        "collect_incoming_data() -> (" + std::to_string(d.size()) + " bytes) " + repr(d));
    received_.push_back(d);
    received_bytes_ += d.size();
  }
  // What the message collected so far holds counts against the channel's
  // memory budget (chat_channel.hpp): a client that announces an endless
  // ECHO stops being read at 1 MiB, and the idle timeout closes it.
  [[nodiscard]] std::size_t assembling() const noexcept override { return received_bytes_; }
  void found_terminator() override {
    log("EchoHandler", "found_terminator()");
    if (reading_command_) {
      process_command();
    } else {
      process_message();
    }
  }

 private:
  void process_command() {
    const std::string command = join(received_);
    log("EchoHandler", "_process_command() " + repr(command));
    std::istringstream in(command);
    std::string verb;
    long long expected = -1;
    in >> verb >> expected;
    if (verb != "ECHO" || expected < 0) {
      // The Python original raises here; asyncore closes the channel.
      throw std::runtime_error("bad command: " + command);
    }
    (void)set_terminator(chatframe::terminator::count(expected));
    reading_command_ = false;
    received_.clear();
    received_bytes_ = 0;
  }
  void process_message() {
    const std::string to_echo = join(received_);
    log("EchoHandler", "_process_message() echoing " + repr(to_echo));
    push(to_echo);
    (void)close_when_done();  // one request per connection
  }

  std::vector<std::string> received_;
  std::size_t received_bytes_ = 0;
  bool reading_command_ = true;
};

// EchoServer: accepts clients; with `once`, the seed's: one client, then it
// stops listening.
class echo_server final : public cr::dispatcher {
 public:
  echo_server(cr::loop& l, const std::string& host, std::uint16_t port, bool once)
      : dispatcher(l), once_(once) {
    const std::string where = host + ":" + std::to_string(port);
    check(create_socket(), "socket");
    check(set_reuse_addr(), "SO_REUSEADDR");
    check(bind(host, port), "cannot listen on " + where);
    check(listen(once ? 1 : 128), "cannot listen on " + where);
  }
  void handle_accept() override {
    cr::accept_result a = accept();
    if (a.fd < 0) return;
    get_loop().adopt(std::make_unique<echo_handler>(get_loop(), a.fd));
    // Only one client at a time: close as soon as the handler is set up.
    if (once_) handle_close();
  }
  // Throws std::system_error "what: <the error in words>".
  static void check(std::error_code ec, const std::string& what) {
    if (ec) throw std::system_error(ec, what);
  }

 private:
  bool once_;
};

// EchoClient: sends "ECHO <len>\n" and the message through a producer.
class echo_client final : public cr::chat_channel {
 public:
  echo_client(cr::loop& l, const std::string& host, std::uint16_t port, std::string message)
      : chat_channel(l, {128, 128}), message_(std::move(message)) {
    echo_server::check(create_socket(), "socket");
    log("EchoClient", "connecting to ('" + host + "', " + std::to_string(port) + ")");
    echo_server::check(connect(host, port),
                       "cannot connect to " + host + ":" + std::to_string(port));
  }
  void handle_connect() override {
    log("EchoClient", "handle_connect()");
    reached_ = true;
    push("ECHO " + std::to_string(message_.size()) + "\n");
    push_with_producer(std::make_unique<echo_producer>(message_, ac_out_buffer_size()));
    (void)set_terminator(chatframe::terminator::count(static_cast<std::int64_t>(message_.size())));
  }
  void collect_incoming_data(const chatframe::collected& data) override {
    const std::string d = data.str();
    log("EchoClient", "collect_incoming_data() -> (" + std::to_string(d.size()) + ") " + repr(d));
    received_.push_back(d);
  }
  void found_terminator() override {
    log("EchoClient", "found_terminator()");
    answered_ = true;
    const std::string got = join(received_);
    if (got == message_) {
      log("EchoClient", "RECEIVED COPY OF MESSAGE");
      ok_ = true;
    } else {
      log("EchoClient", "ERROR IN TRANSMISSION");
      log("EchoClient", "EXPECTED " + repr(message_));
      log("EchoClient", "RECEIVED " + repr(got));
    }
  }
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  // Why the exchange failed, in words ("" when it did not), once the loop ran.
  [[nodiscard]] std::string failure(const std::string& host, std::uint16_t port) const {
    if (ok_) return {};
    if (answered_) return "the echo differs from the message";
    if (const std::exception_ptr e = last_error()) {
      try {
        std::rethrow_exception(e);
      } catch (const std::system_error& se) {
        // A refused or failed connect() arrives as "connect: <why>".
        if (!reached_)
          return "cannot connect to " + host + ":" + std::to_string(port) + ": " +
                 se.code().message();
        return se.what();
      } catch (const std::exception& other) {
        return other.what();
      }
    }
    return "the connection closed before the message came back";
  }

 private:
  std::string message_;
  std::vector<std::string> received_;
  bool ok_ = false;
  bool answered_ = false;
  bool reached_ = false;  // handle_connect() ran: the connection was made
};

// The whole file, or an exception naming it and saying why it cannot be read.
std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  if (f) ss << f.rdbuf();
  if (!f || f.bad()) {
    throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(),
                            "cannot read " + path);
  }
  return ss.str();
}

// asyncore.loop() until the map is empty, but never forever.
int run(cr::loop& l) {
  const std::error_code ec = l.run(std::chrono::seconds(5), 100000);
  if (ec) {
    std::cerr << "chatframe-echo: loop: " << ec.message() << "\n";
    return 1;
  }
  return l.empty() ? 0 : 1;
}

int exchange(cr::loop& l, const echo_client& client, const std::string& host, std::uint16_t port) {
  const int rc = run(l);
  if (rc != 0) return rc;
  const std::string why = client.failure(host, port);
  if (why.empty()) return 0;
  std::cerr << "chatframe-echo: " << why << "\n";
  return 1;
}

cr::loop* g_loop = nullptr;
extern "C" void on_signal(int) {
  if (g_loop != nullptr) g_loop->request_stop();
}

// Serves until SIGINT/SIGTERM, or (--once) until its one client is done.
int serve(cr::loop& l, std::uint16_t port, bool once) {
  echo_server server(l, "127.0.0.1", port, once);
  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(server.local_port()));
  std::fflush(stdout);
  g_loop = &l;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const std::error_code ec = l.run(std::chrono::milliseconds(200));
  g_loop = nullptr;
  l.close_all();
  if (ec) {
    std::cerr << "chatframe-echo: loop: " << ec.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The seed article's asynchat echo example on chatframe::reactor.", "chatframe-echo"};
  app.require_subcommand(0, 1);  // none: said below, after unknown words are named
  cr::backend b = cr::backend::select;
  std::string file, host;
  std::uint16_t port = 0;
  bool once = false;

  CLI::App* demo =
      app.add_subcommand("demo", "server and client in one loop; prints the seed's log");
  demo->add_option("FILE", file, "the message to send")->required()->check(CLI::ExistingFile);
  CLI::App* server = app.add_subcommand(
      "server", "serve echo clients on 127.0.0.1 until SIGINT/SIGTERM; prints the port");
  server->add_option("PORT", port, "the port to listen on")
      ->required()
      ->transform(chatframe_tools::listen_port());
  server->add_flag("--once", once, "serve one client, then exit (the seed's server)");
  CLI::App* client = app.add_subcommand("client", "send FILE to an echo server, expect it back");
  client->add_option("HOST", host, "the server's address")
      ->required()
      ->check(chatframe_tools::ipv4_host());
  client->add_option("PORT", port, "the server's port")
      ->required()
      ->transform(chatframe_tools::connect_port());
  client->add_option("FILE", file, "the message to send")->required()->check(CLI::ExistingFile);
  for (CLI::App* sub : {demo, server, client}) chatframe_tools::add_backend_option(*sub, b);

  if (const auto status = chatframe_tools::parse(app, argc, argv)) return *status;
  if (app.get_subcommands().empty())
    return chatframe_tools::usage_error(app, "a command is required: demo, server or client");
  try {
    cr::loop l(b);
    if (demo->parsed()) {
      const std::string message = read_file(file);
      echo_server s(l, "127.0.0.1", 0, true);  // let the kernel give us a port
      echo_client c(l, "127.0.0.1", s.local_port(), message);
      return exchange(l, c, "127.0.0.1", s.local_port());
    }
    if (server->parsed()) return serve(l, port, once);
    const std::string message = read_file(file);
    echo_client c(l, host, port, message);
    return exchange(l, c, host, port);
  } catch (const std::exception& e) {
    std::cerr << "chatframe-echo: " << e.what() << "\n";
    return 1;
  }
}
