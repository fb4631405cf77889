// chatframe-http — the seed article's http_request_handler, made a working
// HTTP/1.1 server on chatframe::reactor with the same structure: terminator
// "\r\n\r\n" for the head, a count terminator (Content-Length) for a POST
// body, terminator none while handling; then back to "\r\n\r\n" for the next
// (keep-alive, possibly pipelined) request.
//
//   chatframe-http --root DIR --port N [--max-head N] [--max-body N]
//                  [--backend epoll|poll|select] [--requests N]
//
// Serves files below DIR for GET and HEAD, echoes POST bodies, 400 for a
// malformed head, 413 past --max-head / --max-body, 404, 405. Listens on
// 127.0.0.1 only; prints "listening on 127.0.0.1:PORT"; runs until SIGINT or
// SIGTERM, or until --requests responses were sent. Files up to 256 KiB are
// kept in memory (64 MiB in all) and revalidated with one stat() per request.
// Exit status: 0 stopped, 1 runtime error (said in words), 2 bad command line.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chatframe/reactor/chat_channel.hpp"
#include "chatframe/reactor/loop.hpp"
#include "chatframe_tools/backend_option.hpp"
#include "chatframe_tools/cli.hpp"
#include "request_head.hpp"

namespace {

namespace cr = chatframe::reactor;
namespace fs = std::filesystem;
using chatframe::http_example::parse_request_head;
using chatframe::http_example::request_head;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct config {
  fs::path root;
  std::uint16_t port = 0;
  std::size_t max_head = 8192;
  std::uint64_t max_body = 1 << 20;
  cr::backend backend = cr::backend::epoll;
  std::uint64_t requests = 0;  // 0: unlimited
};

std::string_view reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 500: return "Internal Server Error";
  }
  return "Unknown";
}

std::string content_type(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".css") return "text/css";
  if (ext == ".js") return "text/javascript";
  if (ext == ".json") return "application/json";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".gif") return "image/gif";
  if (ext == ".svg") return "image/svg+xml";
  return "application/octet-stream";
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The target's path below the root, percent-decoded and lexically
// normalised ("a/b", "" for the root itself), or nullopt when it is malformed
// or ".." would climb above the root.
std::optional<std::string> normalise(std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  if (target.empty() || target.front() != '/') return std::nullopt;
  std::string decoded;
  decoded.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '%') {
      if (i + 2 >= target.size() || hexval(target[i + 1]) < 0 || hexval(target[i + 2]) < 0)
        return std::nullopt;
      decoded += static_cast<char>(hexval(target[i + 1]) * 16 + hexval(target[i + 2]));
      i += 2;
    } else {
      decoded += target[i];
    }
  }
  if (decoded.find('\0') != std::string::npos || decoded.find('\\') != std::string::npos)
    return std::nullopt;
  std::vector<std::string_view> parts;
  const std::string_view d = decoded;
  std::size_t start = 1;
  while (start <= d.size()) {
    const std::size_t slash = std::min(d.find('/', start), d.size());
    const std::string_view seg = d.substr(start, slash - start);
    if (seg == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    start = slash + 1;
  }
  std::string rel;
  for (const auto& seg : parts) {
    if (!rel.empty()) rel += '/';
    rel += seg;
  }
  return rel;
}

// The regular file `rel` (from normalise()) names below root, or nullopt.
// `lexical` receives the path before symlinks are resolved (a directory's
// index.html appended). A symlink may not lead out of the root.
std::optional<fs::path> resolve(const fs::path& root, const std::string& rel, fs::path& lexical) {
  fs::path p = root;
  if (!rel.empty()) p /= rel;
  std::error_code ec;
  if (fs::is_directory(p, ec)) p /= "index.html";
  lexical = p;
  const fs::path real = fs::weakly_canonical(p, ec);
  if (ec) return std::nullopt;
  const std::string r = root.string(), f = real.string();
  if (f.size() <= r.size() || f.compare(0, r.size(), r) != 0 || f[r.size()] != '/')
    return std::nullopt;
  if (!fs::is_regular_file(real, ec)) return std::nullopt;
  return real;
}

// Small files' contents, keyed by normalised target. A hit costs one stat()
// of the lexical path: device, inode, size, mtime and ctime must all be
// unchanged (a replaced file, or a path now leading elsewhere, has another
// inode or times), else the entry is dropped and the path resolved afresh.
class file_cache {
 public:
  struct file {
    std::string lexical;  // stat()ed on every hit
    std::string body;
    std::string type;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{};
    timespec ctime{};
  };
  static constexpr std::size_t max_file = 256 * 1024;
  static constexpr std::size_t max_total = 64 * 1024 * 1024;

  // The file `rel` names below root, from the cache when still current;
  // nullptr: not found (404). *error: it exists but could not be read.
  const file* get(const fs::path& root, const std::string& rel, bool* error) {
    *error = false;
    if (auto it = files_.find(rel); it != files_.end()) {
      struct stat st {};
      if (::stat(it->second.lexical.c_str(), &st) == 0 && same(it->second, st)) return &it->second;
      total_ -= it->second.body.size();
      files_.erase(it);
    }
    fs::path lexical;
    const auto real = resolve(root, rel, lexical);
    if (!real) return nullptr;
    const int fd = ::open(real->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *error = true;
      return nullptr;
    }
    struct stat st {};
    file f;
    bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (ok) {
      f.body.resize(static_cast<std::size_t>(st.st_size));
      std::size_t got = 0;
      for (;;) {
        if (got == f.body.size()) f.body.resize(got + 4096);  // grew meanwhile?
        const ssize_t n = ::read(fd, f.body.data() + got, f.body.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          ok = n == 0;
          break;
        }
        got += static_cast<std::size_t>(n);
      }
      f.body.resize(got);
    }
    ::close(fd);
    if (!ok) {
      *error = true;
      return nullptr;
    }
    f.lexical = lexical.string();
    f.type = content_type(*real);
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    f.size = st.st_size;
    f.mtime = st.st_mtim;
    f.ctime = st.st_ctim;
    const bool keep = f.body.size() == static_cast<std::size_t>(st.st_size) &&
                      f.body.size() <= max_file && total_ + f.body.size() <= max_total;
    if (!keep) {
      uncached_ = std::move(f);
      return &uncached_;
    }
    total_ += f.body.size();
    return &(files_[rel] = std::move(f));
  }

 private:
  static bool same(const file& f, const struct stat& st) {
    return st.st_dev == f.dev && st.st_ino == f.ino && st.st_size == f.size &&
           st.st_mtim.tv_sec == f.mtime.tv_sec && st.st_mtim.tv_nsec == f.mtime.tv_nsec &&
           st.st_ctim.tv_sec == f.ctime.tv_sec && st.st_ctim.tv_nsec == f.ctime.tv_nsec;
  }
  std::unordered_map<std::string, file> files_;
  std::size_t total_ = 0;
  file uncached_;  // the last file too big to keep; valid until the next get()
};

class http_server;

class http_channel final : public cr::chat_channel {
 public:
  http_channel(cr::loop& l, int fd, http_server& server);
  ~http_channel() override;

  void collect_incoming_data(const chatframe::collected& data) override;
  void found_terminator() override;
  // Stop after the response in flight (server shutting down).
  void finish();

 private:
  void start_head();
  void handle_request();
  void respond(int status, std::string_view type, std::string_view body, bool with_body = true,
               std::string_view extra_headers = {});
  void fail(int status);

  http_server& server_;
  std::string ibuffer_;
  request_head head_;
  bool reading_headers_ = true;
  bool handling_ = false;
  bool closing_ = false;
};

class http_server final : public cr::dispatcher {
 public:
  http_server(cr::loop& l, const config& cfg) : dispatcher(l), cfg_(cfg) {
    const std::string where = "cannot listen on 127.0.0.1:" + std::to_string(cfg.port);
    check(create_socket(), "socket");
    check(set_reuse_addr(), "SO_REUSEADDR");
    check(bind("127.0.0.1", cfg.port), where);
    check(listen(128), where);
  }
  void handle_accept() override {
    for (int i = 0; i < 64; ++i) {  // take a burst of pending connections
      cr::accept_result a = accept();
      if (a.fd < 0) {
        if (a.error) std::cerr << "accept: " << a.error.message() << "\n";
        return;
      }
      auto& ch = get_loop().adopt(std::make_unique<http_channel>(get_loop(), a.fd, *this));
      channels_.insert(&ch);
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
  [[nodiscard]] bool done() const { return cfg_.requests != 0 && served_ >= cfg_.requests; }
  const config& cfg() const { return cfg_; }
  file_cache& files() { return files_; }
  // Throws std::system_error "what: <the error in words>".
  static void check(std::error_code ec, const std::string& what) {
    if (ec) throw std::system_error(ec, what);
  }

 private:
  config cfg_;
  std::set<http_channel*> channels_;
  std::uint64_t served_ = 0;
  file_cache files_;
};

http_channel::http_channel(cr::loop& l, int fd, http_server& server)
    : chat_channel(l, fd, {16384, 65536}), server_(server) {
  set_coalescing(true);  // a response is several pushes: send them as one
  (void)set_nodelay(true);
  set_drain_on_eof(true);  // a client that half-closes still gets its responses
  start_head();
}

http_channel::~http_channel() { server_.forget(this); }

void http_channel::start_head() {
  reading_headers_ = true;
  handling_ = false;
  ibuffer_.clear();
  (void)set_terminator(chatframe::terminator::bytes("\r\n\r\n"));
}

void http_channel::collect_incoming_data(const chatframe::collected& data) {
  if (closing_) return;   // after a final response, input is ignored
  if (handling_) return;  // "browsers sometimes over-send" (the seed)
  data.append_to(ibuffer_);
  if (reading_headers_ && ibuffer_.size() > server_.cfg().max_head) fail(413);
}

void http_channel::found_terminator() {
  if (closing_) return;
  if (reading_headers_) {
    reading_headers_ = false;
    auto parsed = parse_request_head(ibuffer_);
    ibuffer_.clear();
    if (parsed.error != chatframe::http_example::head_errc::ok) {
      fail(400);
      return;
    }
    head_ = std::move(parsed.head);
    if (head_.method == "POST") {
      const std::uint64_t n = head_.content_length.value_or(0);
      if (n > server_.cfg().max_body) {
        fail(413);
        return;
      }
      if (n > 0) {
        if (auto e = head_.header("expect"); e && *e == "100-continue") {
          push("HTTP/1.1 100 Continue\r\n\r\n");
        }
        (void)set_terminator(chatframe::terminator::count(static_cast<std::int64_t>(n)));
        return;
      }
    }
    handling_ = true;
    (void)set_terminator(chatframe::terminator::none());
    handle_request();
  } else if (!handling_) {
    handling_ = true;
    (void)set_terminator(chatframe::terminator::none());
    handle_request();
  }
}

void http_channel::handle_request() {
  const bool keep = head_.keep_alive();
  if (!keep) closing_ = true;
  if (head_.method == "GET" || head_.method == "HEAD") {
    const auto rel = normalise(head_.target);
    bool error = false;
    const file_cache::file* f =
        rel ? server_.files().get(server_.cfg().root, *rel, &error) : nullptr;
    if (f != nullptr) {
      respond(200, f->type, f->body, head_.method == "GET");
    } else if (error) {
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
  if (closing_) {
    (void)close_when_done();
  } else {
    start_head();  // the rest of this chunk is framed as the next request
  }
}

void http_channel::respond(int status, std::string_view type, std::string_view body, bool with_body,
                           std::string_view extra_headers) {
  // Head and body as one push: one allocation, one iovec.
  const std::string code = std::to_string(status);
  const std::string length = std::to_string(body.size());
  const std::string_view why = reason(status);
  const std::string_view conn = closing_ ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  std::string r;
  r.reserve(96 + why.size() + type.size() + extra_headers.size() + conn.size() +
            (with_body ? body.size() : 0));
  r.append("HTTP/1.1 ").append(code).append(" ").append(why).append("\r\n");
  r.append("Server: chatframe-http\r\n");
  r.append("Content-Type: ").append(type).append("\r\n");
  r.append("Content-Length: ").append(length).append("\r\n");
  r.append(extra_headers);
  r.append(conn);
  r.append("\r\n");
  if (with_body) r.append(body);
  push(std::move(r));
  server_.count_response();
}

void http_channel::fail(int status) {
  // The stream can no longer be framed: answer and close.
  closing_ = true;
  handling_ = true;
  (void)set_terminator(chatframe::terminator::none());
  std::string body = std::to_string(status) + " " + std::string(reason(status)) + "\n";
  respond(status, "text/plain; charset=utf-8", body);
  (void)close_when_done();
}

void http_channel::finish() {
  if (closing_) return;
  closing_ = true;
  if (reading_headers_ && ibuffer_.empty()) {
    (void)close_when_done();
    flush();
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace tools = chatframe_tools;
  config cfg;
  std::string root;
  CLI::App app{"An HTTP/1.1 file server on chatframe::reactor (the seed's http_request_handler).",
               "chatframe-http"};
  app.add_option("--root", root, "serve the files below DIR (GET, HEAD)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--port", cfg.port, "listen on 127.0.0.1:PORT")
      ->required()
      ->transform(tools::listen_port());
  app.add_option("--max-head", cfg.max_head, "413 for a request head longer than N bytes")
      ->transform(tools::decimal(1, std::size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-body", cfg.max_body, "413 for a POST body longer than N bytes")
      ->transform(tools::decimal(0, std::uint64_t{1} << 62))
      ->capture_default_str();
  tools::add_backend_option(app, cfg.backend);
  app.add_option("--requests", cfg.requests, "exit after N responses (0: never)")
      ->transform(tools::decimal(0, UINT64_MAX))
      ->capture_default_str();
  if (const auto status = tools::parse(app, argc, argv)) return *status;

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    cfg.root = fs::canonical(root);
    cr::loop l(cfg.backend);
    http_server server(l, cfg);
    std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(server.local_port()));
    std::fflush(stdout);
    while (g_stop == 0 && !l.empty()) {
      if (std::error_code ec = l.run(std::chrono::milliseconds(200), 1)) {
        std::cerr << "chatframe-http: loop: " << ec.message() << "\n";
        return tools::exit_failure;
      }
    }
    l.close_all();
  } catch (const std::exception& e) {
    std::cerr << "chatframe-http: " << e.what() << "\n";
    return tools::exit_failure;
  }
  return 0;
}
