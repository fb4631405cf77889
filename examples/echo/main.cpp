// chatframe-echo — the seed article's asynchat echo example (EchoServer,
// EchoHandler, EchoClient, EchoProducer), on chatframe::reactor.
//
//   chatframe-echo demo FILE [--backend B]   server and client in one loop
//   chatframe-echo server PORT [--backend B] serve one client, then exit
//   chatframe-echo client HOST PORT FILE     send FILE, expect it back
//
// The log reproduces Python's logging format '%(name)-11s: %(message)s' and
// Python 2's repr() of byte strings, so the demo's output equals the
// article's log. That needs asyncore's event order, which the select backend
// gives (all reads of an iteration before all writes): the client's producer
// is asked for more() only after the server has read the command.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "chatframe/producer.hpp"
#include "chatframe/reactor/chat_channel.hpp"
#include "chatframe/reactor/loop.hpp"

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
  }
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
  }
  void process_message() {
    const std::string to_echo = join(received_);
    log("EchoHandler", "_process_message() echoing " + repr(to_echo));
    push(to_echo);
    (void)close_when_done();  // one request per connection
  }

  std::vector<std::string> received_;
  bool reading_command_ = true;
};

// EchoServer: accepts one client, then stops listening.
class echo_server final : public cr::dispatcher {
 public:
  echo_server(cr::loop& l, const std::string& host, std::uint16_t port) : dispatcher(l) {
    check(create_socket());
    check(set_reuse_addr());
    check(bind(host, port));
    check(listen(1));
  }
  void handle_accept() override {
    cr::accept_result a = accept();
    if (a.fd < 0) return;
    get_loop().adopt(std::make_unique<echo_handler>(get_loop(), a.fd));
    // Only one client at a time: close as soon as the handler is set up.
    handle_close();
  }
  static void check(std::error_code ec) {
    if (ec) throw std::system_error(ec);
  }
};

// EchoClient: sends "ECHO <len>\n" and the message through a producer.
class echo_client final : public cr::chat_channel {
 public:
  echo_client(cr::loop& l, const std::string& host, std::uint16_t port, std::string message)
      : chat_channel(l, {128, 128}), message_(std::move(message)) {
    echo_server::check(create_socket());
    log("EchoClient", "connecting to ('" + host + "', " + std::to_string(port) + ")");
    echo_server::check(connect(host, port));
  }
  void handle_connect() override {
    log("EchoClient", "handle_connect()");
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

 private:
  std::string message_;
  std::vector<std::string> received_;
  bool ok_ = false;
};

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

int usage() {
  std::cerr << "usage: chatframe-echo demo FILE [--backend select|poll|epoll]\n"
               "       chatframe-echo server PORT [--backend B]\n"
               "       chatframe-echo client HOST PORT FILE [--backend B]\n";
  return 2;
}

// asyncore.loop() until the map is empty, but never forever.
int run(cr::loop& l) {
  const std::error_code ec = l.run(std::chrono::seconds(5), 100000);
  if (ec) {
    std::cerr << "loop: " << ec.message() << "\n";
    return 1;
  }
  return l.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  cr::backend b = cr::backend::select;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--backend" && i + 1 < args.size()) {
      auto parsed = cr::parse_backend(args[i + 1]);
      if (!parsed) return usage();
      b = *parsed;
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                 args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
      break;
    }
  }
  if (args.empty()) return usage();
  try {
    cr::loop l(b);
    if (args[0] == "demo" && args.size() == 2) {
      std::string message;
      if (!read_file(args[1], message)) {
        std::cerr << "cannot read " << args[1] << "\n";
        return 1;
      }
      echo_server server(l, "127.0.0.1", 0);  // let the kernel give us a port
      echo_client client(l, "127.0.0.1", server.local_port(), message);
      const int rc = run(l);
      return rc != 0 ? rc : (client.ok() ? 0 : 1);
    }
    if (args[0] == "server" && args.size() == 2) {
      echo_server server(l, "127.0.0.1", static_cast<std::uint16_t>(std::stoul(args[1])));
      std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(server.local_port()));
      std::fflush(stdout);
      return run(l);
    }
    if (args[0] == "client" && args.size() == 4) {
      std::string message;
      if (!read_file(args[3], message)) {
        std::cerr << "cannot read " << args[3] << "\n";
        return 1;
      }
      echo_client client(l, args[1], static_cast<std::uint16_t>(std::stoul(args[2])), message);
      const int rc = run(l);
      return rc != 0 ? rc : (client.ok() ? 0 : 1);
    }
  } catch (const std::exception& e) {
    std::cerr << "chatframe-echo: " << e.what() << "\n";
    return 1;
  }
  return usage();
}
