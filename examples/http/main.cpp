// chatframe-http — the seed article's http_request_handler, made a working
// HTTP/1.1 server on chatframe::reactor with the same structure: terminator
// "\r\n\r\n" for the head, a count terminator (Content-Length) for a POST
// body, terminator none while handling; then back to "\r\n\r\n" for the next
// (keep-alive, possibly pipelined) request.
//
//   chatframe-http --root DIR --port N [--max-head N] [--max-body N]
//                  [--backend epoll|poll|select] [--requests N] [--max-connections N]
//                  [--header-timeout S] [--keepalive-timeout S] [--send-timeout S]
//                  [--lingering-time S] [--lingering-timeout S] [--high-water BYTES]
//
// Serves files below DIR for GET and HEAD, echoes POST bodies, 400 for a
// malformed head, 413 past --max-head / --max-body, 404, 405, 501 for a
// transfer coding other than chunked. Listens on 127.0.0.1 only; prints
// "listening on 127.0.0.1:PORT"; runs until SIGINT or SIGTERM, or until
// --requests responses were sent. Exit status: 0 stopped, 1 runtime error
// (said in words), 2 bad command line.
//
// Whatever a client does (examples/hostile tests each of these):
//   - memory: chat_channel's budget stops reading a connection that holds
//     too much; files stream in 64 KiB pieces; pipelined requests wait while
//     a large response (or 64 KiB of small ones) drains; the file cache is
//     bounded (static_files.hpp);
//   - time: nginx's timeouts — a request head must be whole 60 s after its
//     first byte, an idle keep-alive connection closes after 75 s, a stalled
//     write after 60 s;
//   - framing: every request's body is read (Content-Length, or chunked)
//     before the next request; anything ambiguous is refused (request_head.hpp);
//   - closing: after a response that ends the connection, the server shuts
//     down its side and drains for a bounded time (nginx's lingering close),
//     so the client reads the response rather than a reset;
//   - limits: --max-connections at once, more are accepted and closed; select
//     turns away a descriptor past FD_SETSIZE; no loop error stops the server.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "chatframe/reactor/chat_channel.hpp"
#include "chatframe/reactor/loop.hpp"
#include "chatframe_tools/backend_option.hpp"
#include "chatframe_tools/cli.hpp"
#include "chatframe_tools/server_limits.hpp"
#include "request_head.hpp"
#include "static_files.hpp"

namespace {

namespace cr = chatframe::reactor;
namespace hx = chatframe::http_example;
using hx::head_errc;
using hx::parse_request_head;
using hx::request_head;
using std::chrono::milliseconds;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct config {
  std::string root;
  std::uint16_t port = 0;
  std::size_t max_head = 8192;
  std::uint64_t max_body = 1 << 20;
  cr::backend backend = cr::backend::epoll;
  std::uint64_t requests = 0;  // 0: unlimited
  // --max-connections, --keepalive-timeout (nginx's 75 s), --send-timeout
  // (60 s), --high-water.
  chatframe_tools::server_limits limits;
  double header_timeout_s = 60;    // nginx client_header_timeout
  double lingering_time_s = 30;    // nginx lingering_time
  double lingering_timeout_s = 5;  // nginx lingering_timeout
};

void add_http_limits(CLI::App& app, config& cfg) {
  namespace tools = chatframe_tools;
  tools::add_limit_options(app, cfg.limits, "--keepalive-timeout");
  tools::add_seconds(app, "--header-timeout", cfg.header_timeout_s,
                     "close a connection whose request head is not whole this long after its "
                     "first byte, or after connecting (seconds; 0: never)");
  tools::add_seconds(app, "--lingering-time", cfg.lingering_time_s,
                     "before closing a connection it answered last, read and drop what the "
                     "client still sends for at most this long (seconds; 0: close at once)");
  tools::add_seconds(app, "--lingering-timeout", cfg.lingering_timeout_s,
                     "... and stop once it sends nothing for this long (seconds)");
}

std::string_view reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
  }
  return "Unknown";
}

// Bodies up to this size are copied into the response's head: one push, one
// iovec, and pipelined responses leave together. Larger ones are produced.
constexpr std::size_t inline_body = 16 * 1024;
// Longest chunk-size or trailer line of a chunked body.
constexpr std::size_t max_chunk_line = 4096;

class http_server;

class http_channel final : public cr::chat_channel {
 public:
  http_channel(cr::loop& l, int fd, http_server& server);
  ~http_channel() override;

  void collect_incoming_data(const chatframe::collected& data) override;
  void found_terminator() override;
  bool readable() override;
  void handle_read() override;
  void handle_write() override;
  [[nodiscard]] std::size_t assembling() const noexcept override {
    return ibuffer_.size() + line_.size() + stash_.size();
  }
  // Stop after the response in flight (server shutting down).
  void finish();

 private:
  // Where the request being read is: its head, a Content-Length body, the
  // parts of a chunked body, or done (a final response was queued).
  enum class phase : std::uint8_t { head, body, chunk_size, chunk_data, chunk_end, trailers, done };

  void start_head_timer();
  void start_head();
  void head_complete();
  void chunk_line_complete();
  void start_body_bytes(std::uint64_t n);
  void handle_request();
  void respond(int status, std::string_view type, std::string_view body, bool with_body = true,
               std::string_view extra_headers = {});
  void respond_file(hx::found_file f, bool with_body);
  std::string head(int status, std::string_view type, std::uint64_t length,
                   std::string_view extra_headers = {}) const;
  void fail(int status);
  void hold_back_pipeline();
  void resume_pipeline();
  void release_idle_output();

  http_server& server_;
  std::string ibuffer_;  // the head being read, then a POST's body
  std::string line_;     // a chunk-size or trailer line
  std::string stash_;    // pipelined bytes held back while a response drains
  request_head head_;
  phase phase_ = phase::head;
  std::uint64_t body_bytes_ = 0;  // of a chunked body so far
  bool keep_body_ = false;        // POST: the body is echoed; others: discarded
  bool produced_ = false;         // the last response's body is a producer
  bool holding_ = false;          // pipelined input held back in stash_
  bool closing_ = false;
};

class http_server final : public cr::dispatcher {
 public:
  http_server(cr::loop& l, const config& cfg) : dispatcher(l), cfg_(cfg), files_(cfg.root) {
    const std::string where = "cannot listen on 127.0.0.1:" + std::to_string(cfg.port);
    check(create_socket(), "socket");
    check(set_reuse_addr(), "SO_REUSEADDR");
    check(bind("127.0.0.1", cfg.port), where);
    check(listen(511), where);  // nginx's backlog
  }
  // Channels refer to this server: close them all while it still exists,
  // whichever way main() leaves (a loop error, an exception).
  ~http_server() override {
    if (has_loop()) get_loop().close_all();
  }
  void handle_accept() override {
    for (int i = 0; i < 64; ++i) {  // take a burst of pending connections
      cr::accept_result a = accept();
      if (a.fd < 0) {
        if (a.error) ++refused_;  // EMFILE, or a descriptor select cannot watch
        return;
      }
      if (channels_.size() >= cfg_.limits.max_connections) {
        ::close(a.fd);  // over the limit: refused; the others are served
        ++refused_;
        continue;
      }
      auto& ch = get_loop().adopt(std::make_unique<http_channel>(get_loop(), a.fd, *this));
      if (ch.fd() >= 0) channels_.insert(&ch);
    }
  }
  void forget(http_channel* c) { channels_.erase(c); }
  // A response was queued; past --requests, stop listening and wind down.
  void count_response() {
    ++served_;
    if (cfg_.requests != 0 && served_ >= cfg_.requests && fd() >= 0) {
      close();
      for (http_channel* c : std::set<http_channel*>(channels_)) c->finish();
    }
  }
  const config& cfg() const { return cfg_; }
  hx::static_files& files() { return files_; }
  [[nodiscard]] std::uint64_t refused() const { return refused_; }
  // Throws std::system_error "what: <the error in words>".
  static void check(std::error_code ec, const std::string& what) {
    if (ec) throw std::system_error(ec, what);
  }

 private:
  config cfg_;
  std::set<http_channel*> channels_;
  std::uint64_t served_ = 0;
  std::uint64_t refused_ = 0;
  hx::static_files files_;
};

http_channel::http_channel(cr::loop& l, int fd, http_server& server)
    : chat_channel(l, fd, {16384, 65536}), server_(server) {
  const config& cfg = server.cfg();
  set_coalescing(true);  // a response is several pushes: send them as one
  (void)set_nodelay(true);
  set_drain_on_eof(true);  // a client that half-closes still gets its responses
  // The budget must hold one whole body (echoed) and one head being read.
  const std::size_t high =
      std::max<std::size_t>(cfg.limits.high_water, 2 * (cfg.max_body + cfg.max_head));
  set_budget({.high_water = high, .low_water = high / 2});
  set_timeouts(cfg.limits.timeouts());
  set_lingering_close(
      {.enabled = cfg.lingering_time_s > 0,
       .time = chatframe_tools::server_limits::milliseconds(cfg.lingering_time_s),
       .timeout = chatframe_tools::server_limits::milliseconds(cfg.lingering_timeout_s)});
  start_head();
  start_head_timer();  // a new connection: the head's clock runs now
}

http_channel::~http_channel() { server_.forget(this); }

void http_channel::start_head_timer() {
  const double s = server_.cfg().header_timeout_s;
  if (s > 0) start_request_timer(chatframe_tools::server_limits::milliseconds(s));
}

void http_channel::start_head() {
  phase_ = phase::head;
  ibuffer_.clear();
  // Between requests the idle (keep-alive) timeout applies; the head's starts
  // with its first byte.
  stop_request_timer();
  (void)set_terminator(chatframe::terminator::bytes("\r\n\r\n"));
}

void http_channel::collect_incoming_data(const chatframe::collected& data) {
  if (holding_) {
    data.append_to(stash_);
    return;
  }
  switch (phase_) {
    case phase::head:
      if (ibuffer_.empty()) start_head_timer();
      data.append_to(ibuffer_);
      if (ibuffer_.size() > server_.cfg().max_head) fail(413);
      return;
    case phase::body:
    case phase::chunk_data:
      if (keep_body_) data.append_to(ibuffer_);
      return;
    case phase::chunk_size:
    case phase::chunk_end:
    case phase::trailers:
      data.append_to(line_);
      if (line_.size() > max_chunk_line) fail(400);
      return;
    case phase::done: return;  // after a final response, input is ignored
  }
}

void http_channel::found_terminator() {
  switch (phase_) {
    case phase::head: head_complete(); return;
    case phase::body: handle_request(); return;
    case phase::chunk_size:
    case phase::chunk_end:
    case phase::trailers: chunk_line_complete(); return;
    case phase::chunk_data:
      phase_ = phase::chunk_end;  // the CRLF after the data
      (void)set_terminator(chatframe::terminator::bytes("\r\n"));
      return;
    case phase::done: return;
  }
}

void http_channel::head_complete() {
  stop_request_timer();
  auto parsed = parse_request_head(ibuffer_);
  ibuffer_.clear();
  if (parsed.error == head_errc::unsupported_transfer_encoding) {
    fail(501);  // RFC 9112 §6.1: a coding we do not know; its body cannot be framed
    return;
  }
  if (parsed.error != head_errc::ok) {
    fail(400);
    return;
  }
  head_ = std::move(parsed.head);
  // Every request's body is framed — read, then used (POST) or discarded —
  // before the next request: a body is never parsed as a request.
  keep_body_ = head_.method == "POST";
  if (head_.chunked) {
    body_bytes_ = 0;
    if (head_.expects_continue()) push("HTTP/1.1 100 Continue\r\n\r\n");
    phase_ = phase::chunk_size;
    line_.clear();
    (void)set_terminator(chatframe::terminator::bytes("\r\n"));
    return;
  }
  const std::uint64_t n = head_.content_length.value_or(0);
  if (n > server_.cfg().max_body) {
    fail(413);
    return;
  }
  if (n == 0) {
    handle_request();
    return;
  }
  if (head_.expects_continue()) push("HTTP/1.1 100 Continue\r\n\r\n");
  start_body_bytes(n);
  phase_ = phase::body;
}

void http_channel::start_body_bytes(std::uint64_t n) {
  if (keep_body_) ibuffer_.reserve(ibuffer_.size() + static_cast<std::size_t>(n));
  (void)set_terminator(chatframe::terminator::count(static_cast<std::int64_t>(n)));
}

void http_channel::chunk_line_complete() {
  std::string line = std::move(line_);
  line_.clear();
  if (phase_ == phase::chunk_end) {
    if (!line.empty()) {
      fail(400);  // data longer than its size said
      return;
    }
    phase_ = phase::chunk_size;
    return;  // the terminator stays "\r\n"
  }
  if (phase_ == phase::trailers) {
    if (line.empty()) {
      handle_request();  // the empty line after the trailer fields
    } else if (body_bytes_ += line.size() + 2; body_bytes_ > server_.cfg().max_body) {
      fail(413);
    }
    return;
  }
  // chunk-size [ ";" chunk-ext ] (RFC 9112 §7.1); extensions are ignored.
  const std::string_view size = std::string_view(line).substr(0, line.find(';'));
  std::uint64_t n = 0;
  std::size_t digits = 0;
  for (const char c : size) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0 || ++digits > 15) {
      fail(400);
      return;
    }
    n = n * 16 + static_cast<std::uint64_t>(v);
  }
  if (digits == 0) {
    fail(400);
    return;
  }
  if (n == 0) {
    phase_ = phase::trailers;
    return;
  }
  body_bytes_ += n;
  if (body_bytes_ > server_.cfg().max_body) {
    fail(413);
    return;
  }
  phase_ = phase::chunk_data;
  start_body_bytes(n);
}

void http_channel::handle_request() {
  phase_ = phase::done;
  (void)set_terminator(chatframe::terminator::none());
  if (!head_.keep_alive()) closing_ = true;
  produced_ = false;
  if (head_.method == "GET" || head_.method == "HEAD") {
    const auto rel = hx::normalise(head_.target);
    hx::found_file f = rel ? server_.files().find(*rel) : hx::found_file{};
    if (f.result == hx::found_file::status::ok) {
      respond_file(std::move(f), head_.method == "GET");
    } else if (f.result == hx::found_file::status::error) {
      respond(500, "text/plain; charset=utf-8", "500 Internal Server Error\n");
    } else {
      respond(404, "text/plain; charset=utf-8", "404 Not Found\n", head_.method == "GET");
    }
  } else if (head_.method == "POST") {
    const auto ct = head_.header("content-type");
    respond(200, ct ? *ct : "application/octet-stream", ibuffer_);
  } else {
    respond(405, "text/plain; charset=utf-8", "405 Method Not Allowed\n", true,
            "Allow: GET, HEAD, POST\r\n");
  }
  ibuffer_.clear();
  ibuffer_.shrink_to_fit();  // a 1 MiB body's buffer is not kept for the next request
  head_ = request_head{};    // nor the head's fields: an idle connection keeps little
  if (closing_) {
    (void)close_when_done();
    return;
  }
  start_head();  // the rest of this chunk is framed as the next request...
  // ...unless a producer's body or an output buffer's worth of responses is
  // waiting: then the rest waits until they are sent, much as nginx handles
  // pipelined requests one at a time. A pipeliner that never reads then holds
  // at most one large response or 64 KiB of small ones, and one chunk of
  // input; and one read of its requests is a bounded slice of the loop's time.
  if (!output().empty() && (produced_ || output().queued_bytes() >= ac_out_buffer_size()))
    hold_back_pipeline();
}

void http_channel::hold_back_pipeline() {
  holding_ = true;
  (void)set_terminator(chatframe::terminator::none());
}

void http_channel::resume_pipeline() {
  holding_ = false;
  std::string pending = std::move(stash_);
  stash_.clear();
  if (pending.empty()) return;
  (void)async_chat::handle_read(pending);  // may hold back again
  flush();
}

bool http_channel::readable() {
  const bool r = chat_channel::readable();  // recounts the budget, moves deadlines
  return r && !holding_;
}

void http_channel::handle_read() {
  chat_channel::handle_read();
  release_idle_output();
}

void http_channel::handle_write() {
  chat_channel::handle_write();
  if (holding_ && fd() >= 0 && output().empty()) resume_pipeline();
  release_idle_output();
}

void http_channel::release_idle_output() {
  // Everything was sent: a new outbox lets the old one's queue (a ring that
  // only grows, ~700 bytes after a response) go, so an idle keep-alive
  // connection holds less than half of what it would.
  if (fd() < 0 || closing_ || holding_ || !output().empty()) return;
  const bool paused = output().producers_paused();
  output() = chatframe::outbox(ac_out_buffer_size());
  output().pause_producers(paused);
}

std::string http_channel::head(int status, std::string_view type, std::uint64_t length,
                               std::string_view extra_headers) const {
  const std::string code = std::to_string(status);
  const std::string len = std::to_string(length);
  const std::string_view why = reason(status);
  const std::string_view conn = closing_ ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  std::string r;
  r.reserve(96 + why.size() + type.size() + extra_headers.size() + conn.size());
  r.append("HTTP/1.1 ").append(code).append(" ").append(why).append("\r\n");
  r.append("Server: chatframe-http\r\n");
  r.append("Content-Type: ").append(type).append("\r\n");
  r.append("Content-Length: ").append(len).append("\r\n");
  r.append(extra_headers);
  r.append(conn);
  r.append("\r\n");
  return r;
}

void http_channel::respond(int status, std::string_view type, std::string_view body, bool with_body,
                           std::string_view extra_headers) {
  // Head and body as one push: one allocation, one iovec.
  std::string r = head(status, type, body.size(), extra_headers);
  if (with_body) r.append(body);
  push(std::move(r));
  server_.count_response();
}

void http_channel::respond_file(hx::found_file f, bool with_body) {
  std::string r = head(200, f.type, f.size);
  if (!with_body) {
    push(std::move(r));
  } else if (f.cached && f.cached->size() <= inline_body) {
    r.append(*f.cached);
    push(std::move(r));
  } else if (f.cached) {
    push(std::move(r));
    push_with_producer(std::make_unique<hx::shared_producer>(std::move(f.cached)));
    produced_ = true;
  } else {
    push(std::move(r));
    push_with_producer(std::make_unique<hx::file_producer>(std::move(f.fd), f.size));
    produced_ = true;
  }
  server_.count_response();
}

void http_channel::fail(int status) {
  // The stream can no longer be framed: answer, then close gracefully (the
  // lingering close lets the client read this even while it is still sending).
  closing_ = true;
  holding_ = false;
  phase_ = phase::done;
  stop_request_timer();
  (void)set_terminator(chatframe::terminator::none());
  std::string body = std::to_string(status) + " " + std::string(reason(status)) + "\n";
  respond(status, "text/plain; charset=utf-8", body);
  (void)close_when_done();
}

void http_channel::finish() {
  if (closing_) return;
  closing_ = true;
  if (phase_ == phase::head && ibuffer_.empty()) {
    holding_ = false;  // pipelined requests held back are not served
    stash_.clear();
    (void)close_when_done();
    flush();
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace tools = chatframe_tools;
  config cfg;
  CLI::App app{"An HTTP/1.1 file server on chatframe::reactor (the seed's http_request_handler).",
               "chatframe-http"};
  app.add_option("--root", cfg.root, "serve the files below DIR (GET, HEAD)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--port", cfg.port, "listen on 127.0.0.1:PORT")
      ->required()
      ->transform(tools::listen_port());
  app.add_option("--max-head", cfg.max_head, "413 for a request head longer than N bytes")
      ->transform(tools::decimal(1, std::size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-body", cfg.max_body, "413 for a request body longer than N bytes")
      ->transform(tools::decimal(0, std::uint64_t{1} << 62))
      ->capture_default_str();
  tools::add_backend_option(app, cfg.backend);
  app.add_option("--requests", cfg.requests, "exit after N responses (0: never)")
      ->transform(tools::decimal(0, UINT64_MAX))
      ->capture_default_str();
  add_http_limits(app, cfg);
  if (const auto status = tools::parse(app, argc, argv)) return *status;

  if (cfg.limits.max_connections == 0)
    cfg.limits.max_connections = tools::default_max_connections(64);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    cr::loop l(cfg.backend, cr::interest_updates::on_events);  // iterations cost what is active
    http_server server(l, cfg);
    std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(server.local_port()));
    std::fflush(stdout);
    while (g_stop == 0 && !l.empty()) {
      // Only the wait itself can fail (nothing a peer does is a loop error):
      // say so and keep serving.
      if (std::error_code ec = l.run(std::chrono::milliseconds(200), 1)) {
        std::cerr << "chatframe-http: loop: " << ec.message() << "\n";
        ::usleep(10000);
      }
    }
    l.close_all();
  } catch (const std::exception& e) {
    std::cerr << "chatframe-http: " << e.what() << "\n";
    return tools::exit_failure;
  }
  return 0;
}
