#include "static_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace chatframe::http_example {
namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool same(const struct stat& st, dev_t dev, ino_t ino, off_t size, const timespec& mtime,
          const timespec& ctime) {
  return st.st_dev == dev && st.st_ino == ino && st.st_size == size &&
         st.st_mtim.tv_sec == mtime.tv_sec && st.st_mtim.tv_nsec == mtime.tv_nsec &&
         st.st_ctim.tv_sec == ctime.tv_sec && st.st_ctim.tv_nsec == ctime.tv_nsec;
}

// O_NONBLOCK: a FIFO placed under the root must not block the loop in open().
constexpr int open_flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

}  // namespace

unique_fd& unique_fd::operator=(unique_fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

unique_fd::~unique_fd() {
  if (fd_ >= 0) ::close(fd_);
}

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

std::string_view content_type(std::string_view p) {
  const std::size_t slash = p.rfind('/');
  const std::size_t dot = p.rfind('.');
  const std::string_view ext =
      dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)
          ? std::string_view()
          : p.substr(dot);
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

static_files::static_files(const std::string& root, cache_limits limits)
    : root_(root), limits_(limits) {
  root_fd_ = unique_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root_fd_.get() < 0) throw std::system_error(errno, std::system_category(), root);
  char real[PATH_MAX];
  if (::realpath(root.c_str(), real) == nullptr)
    throw std::system_error(errno, std::system_category(), root);
  root_ = real;
}

unique_fd static_files::open_beneath(const std::string& rel) const {
  const char* path = rel.empty() ? "." : rel.c_str();
  open_how how{};
  how.flags = open_flags;
  // Symlinks may be followed only while they stay beneath the root.
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = -1;
  // EAGAIN: a rename or mount elsewhere raced the walk (openat2(2)); try again.
  for (int tries = 0; tries < 8; ++tries) {
    fd = ::syscall(SYS_openat2, root_fd_.get(), path, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) break;
  }
  if (fd >= 0) return unique_fd(static_cast<int>(fd));
  if (errno != ENOSYS && errno != EPERM) return unique_fd();
  // No openat2 (before Linux 5.6, or filtered by seccomp): resolve every
  // symlink and check the result is still beneath the root. Racy against a
  // symlink swapped in between, which openat2 is not.
  const std::string full = root_ + "/" + rel;
  char real[PATH_MAX];
  if (::realpath(full.c_str(), real) == nullptr) return unique_fd();
  const std::string_view r(real);
  if (r != root_ && (r.size() <= root_.size() || r.compare(0, root_.size(), root_) != 0 ||
                     r[root_.size()] != '/'))
    return unique_fd();
  return unique_fd(::open(real, open_flags | O_NOFOLLOW));
}

found_file static_files::find(const std::string& rel) {
  found_file out;
  std::string path = rel;
  unique_fd fd = open_beneath(path);
  struct stat st {};
  if (fd.get() < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM)) {
    out.result = found_file::status::error;  // it may exist: say so, not 404
    return out;
  }
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return out;
  if (S_ISDIR(st.st_mode)) {
    path = rel.empty() ? "index.html" : rel + "/index.html";
    fd = open_beneath(path);
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return out;
  }
  if (!S_ISREG(st.st_mode)) return out;
  out.result = found_file::status::ok;
  out.type = content_type(path);
  out.size = static_cast<std::uint64_t>(st.st_size);

  auto it = entries_.find(path);
  if (it != entries_.end()) {
    entry& e = it->second;
    if (same(st, e.dev, e.ino, e.size, e.mtime, e.ctime)) {
      lru_.splice(lru_.begin(), lru_, e.lru);
      out.cached = e.bytes;
      return out;
    }
    erase(it);  // changed since it was cached
  }
  if (out.size > limits_.max_file) {
    out.fd = std::move(fd);  // streamed: nothing kept
    return out;
  }
  auto bytes = std::make_shared<std::string>(static_cast<std::size_t>(out.size), '\0');
  std::size_t got = 0;
  while (got < bytes->size()) {
    const ssize_t n =
        ::pread(fd.get(), bytes->data() + got, bytes->size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got != bytes->size()) {  // unreadable, or shrank while read
    out.result = found_file::status::error;
    return out;
  }
  out.cached = bytes;
  entry e;
  e.dev = st.st_dev;
  e.ino = st.st_ino;
  e.size = st.st_size;
  e.mtime = st.st_mtim;
  e.ctime = st.st_ctim;
  e.type = out.type;
  e.bytes = std::move(bytes);
  insert(path, std::move(e));
  return out;
}

void static_files::insert(const std::string& rel, entry e) {
  const std::size_t n = e.bytes->size();
  if (limits_.max_entries == 0 || n > limits_.max_bytes) return;
  while (!lru_.empty() &&
         (entries_.size() >= limits_.max_entries || bytes_ + n > limits_.max_bytes))
    erase(entries_.find(lru_.back()));
  lru_.push_front(rel);
  e.lru = lru_.begin();
  bytes_ += n;
  entries_.emplace(rel, std::move(e));
}

void static_files::erase(std::unordered_map<std::string, entry>::iterator it) {
  bytes_ -= it->second.bytes->size();
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

std::string_view file_producer::more() {
  if (left_ == 0) return {};
  if (!buf_) buf_ = std::make_unique<char[]>(piece);
  const std::size_t want = left_ < piece ? static_cast<std::size_t>(left_) : piece;
  for (;;) {
    const ssize_t n = ::pread(fd_.get(), buf_.get(), want, static_cast<off_t>(offset_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("file ended before its Content-Length");
    offset_ += static_cast<std::uint64_t>(n);
    left_ -= static_cast<std::uint64_t>(n);
    return {buf_.get(), static_cast<std::size_t>(n)};
  }
}

}  // namespace chatframe::http_example
