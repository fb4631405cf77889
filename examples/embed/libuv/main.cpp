// chatframe-embed-libuv — a line-echo server on chatframe, embedded in libuv:
// uv_read_start() hands each chunk to framer::feed(); uv_write() sends an
// array of uv_buf_t built from outbox::gather(), then outbox::consume().
//
//   chatframe-embed-libuv --port 0 [--max-connections N]
#include <uv.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "line_echo.hpp"

namespace {

using chatframe_embed::line_session;
using chatframe_embed::write_step;

struct server {
  uv_loop_t* loop = nullptr;
  uv_tcp_t listener{};
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
  chatframe_embed::options opts;
  bool stopping = false;
};

struct connection {
  uv_tcp_t tcp{};  // tcp.data points back here
  uv_write_t req{};
  server* srv = nullptr;
  line_session session;
  std::array<char, chatframe_embed::read_buffer_size> buf{};
  std::array<std::string_view, chatframe_embed::max_views> views;
  std::array<uv_buf_t, chatframe_embed::max_views> bufs{};
  std::size_t in_flight = 0;  // bytes of the pending uv_write
  bool reading = false;
  bool closing = false;
};

void stop_server(server* s);

void on_closed(uv_handle_t* h) { delete static_cast<connection*>(h->data); }

void close_connection(connection* c) {
  if (c->closing) return;
  c->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_closed);
  ++chatframe_embed::stats().completed;
  server* s = c->srv;
  if (s->opts.max_connections != 0 &&
      chatframe_embed::stats().completed >= s->opts.max_connections) {
    stop_server(s);
  }
}

void on_alloc(uv_handle_t* h, std::size_t /*suggested*/, uv_buf_t* out) {
  auto* c = static_cast<connection*>(h->data);
  *out = uv_buf_init(c->buf.data(), static_cast<unsigned>(c->buf.size()));
}

void on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf);
void on_written(uv_write_t* req, int status);

// Starts or stops reading to match the session (backpressure, end of stream).
void update_reading(connection* c) {
  if (c->closing) return;
  const bool want = c->session.reading_wanted();
  if (want && !c->reading) {
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), on_alloc, on_read);
  } else if (!want && c->reading) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
  }
  c->reading = want;
}

void pump_writes(connection* c) {
  if (c->closing) return;
  std::size_t count = 0;
  const write_step step = c->session.begin_write(c->views, count);
  if (step == write_step::close) {
    close_connection(c);
    return;
  }
  if (step == write_step::idle) return;
  c->in_flight = 0;
  for (std::size_t i = 0; i < count; ++i) {
    // uv_buf_t.base is char*; libuv only reads from it for a write.
    c->bufs[i] = uv_buf_init(const_cast<char*>(c->views[i].data()),
                             static_cast<unsigned>(c->views[i].size()));
    c->in_flight += c->views[i].size();
  }
  const int r = uv_write(&c->req, reinterpret_cast<uv_stream_t*>(&c->tcp), c->bufs.data(),
                         static_cast<unsigned>(count), on_written);
  if (r < 0) {
    c->session.complete_write(0);
    close_connection(c);
  }
}

void on_written(uv_write_t* req, int status) {
  auto* c = static_cast<connection*>(req->handle->data);
  // uv_write() writes everything or fails.
  c->session.complete_write(status == 0 ? c->in_flight : 0);
  if (status < 0) {
    close_connection(c);  // also reached with UV_ECANCELED when closing
    return;
  }
  pump_writes(c);
  update_reading(c);
}

void on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* /*buf*/) {
  auto* c = static_cast<connection*>(stream->data);
  if (n > 0) {
    c->session.feed(std::string_view(c->buf.data(), static_cast<std::size_t>(n)));
  } else if (n == UV_EOF) {
    c->session.end_of_stream();
  } else if (n < 0) {
    close_connection(c);
    return;
  }
  pump_writes(c);
  update_reading(c);
}

void on_connection(uv_stream_t* listener, int status) {
  auto* s = static_cast<server*>(listener->data);
  if (status < 0 || s->stopping) return;
  auto* c = new (std::nothrow) connection;
  if (c == nullptr) return;
  c->srv = s;
  uv_tcp_init(s->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    c->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_closed);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  update_reading(c);
}

// Closes every handle; uv_run() then returns once their close callbacks ran.
void stop_server(server* s) {
  if (s->stopping) return;
  s->stopping = true;
  uv_walk(
      s->loop,
      [](uv_handle_t* h, void* /*arg*/) {
        if (uv_is_closing(h) != 0) return;
        if (h->type == UV_TCP && h->data != nullptr &&
            static_cast<void*>(h->data) != h->loop->data) {
          auto* c = static_cast<connection*>(h->data);
          c->closing = true;
          uv_close(h, on_closed);
        } else {
          uv_close(h, nullptr);
        }
      },
      nullptr);
}

void on_signal(uv_signal_t* h, int /*signum*/) { stop_server(static_cast<server*>(h->data)); }

void check(int r, const char* what) {
  if (r < 0) {
    std::fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, uv_strerror(r));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  server s;
  s.opts = chatframe_embed::parse_options(argc, argv);
  s.loop = uv_default_loop();
  s.loop->data = &s;

  check(uv_tcp_init(s.loop, &s.listener), "uv_tcp_init");
  s.listener.data = &s;
  sockaddr_in addr{};
  check(uv_ip4_addr("127.0.0.1", s.opts.port, &addr), "uv_ip4_addr");
  check(uv_tcp_bind(&s.listener, reinterpret_cast<const sockaddr*>(&addr), 0), "bind");
  check(uv_listen(reinterpret_cast<uv_stream_t*>(&s.listener), 128, on_connection), "listen");
  int len = sizeof addr;
  check(uv_tcp_getsockname(&s.listener, reinterpret_cast<sockaddr*>(&addr), &len), "getsockname");

  check(uv_signal_init(s.loop, &s.sigint), "uv_signal_init");
  check(uv_signal_init(s.loop, &s.sigterm), "uv_signal_init");
  s.sigint.data = &s;
  s.sigterm.data = &s;
  check(uv_signal_start(&s.sigint, on_signal, SIGINT), "uv_signal_start");
  check(uv_signal_start(&s.sigterm, on_signal, SIGTERM), "uv_signal_start");

  chatframe_embed::print_listening(ntohs(addr.sin_port));
  uv_run(s.loop, UV_RUN_DEFAULT);
  uv_loop_close(s.loop);
  chatframe_embed::print_stats();
  return 0;
}
