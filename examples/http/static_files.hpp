// static_files.hpp — the files chatframe-http serves, with bounded memory.
//
// Every request opens its file beneath the root with openat2(RESOLVE_BENEATH)
// (a realpath() check where the kernel lacks openat2), so containment is the
// kernel's answer for this request — a cache hit included: a directory moved
// out of the root and replaced by a symlink to it is refused at once, however
// long its files have been cached.
//
// What is kept in memory:
//   - the cache: files up to max_file bytes, at most max_entries of them and
//     max_bytes in all, least recently used evicted first; an entry is used
//     only while the opened file's device, inode, size, mtime and ctime match.
//     A response holds its cached bytes by shared_ptr, so eviction never pulls
//     them from under a response in flight, and nothing outlives the responses
//     that use it;
//   - larger files: nothing. The response streams them through a
//     file_producer, one piece (64 KiB) at a time, read with pread() only when
//     the outbox asks for the next piece — after the previous one was sent.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "chatframe/producer.hpp"

namespace chatframe::http_example {

// An owned descriptor, closed when destroyed.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
  unique_fd& operator=(unique_fd&& o) noexcept;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd();
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// The target's path below the root, percent-decoded and lexically
// normalised ("a/b", "" for the root itself), or nullopt when it is malformed
// or ".." would climb above the root.
[[nodiscard]] std::optional<std::string> normalise(std::string_view target);

// A MIME type for the file name's extension.
[[nodiscard]] std::string_view content_type(std::string_view path);

struct cache_limits {
  std::size_t max_entries = 1024;
  std::size_t max_bytes = std::size_t{64} << 20;
  std::size_t max_file = std::size_t{256} << 10;
};

// What a GET of one path finds.
struct found_file {
  enum class status : std::uint8_t { ok, not_found, error };
  status result = status::not_found;
  std::string_view type;                      // content_type() of the file
  std::uint64_t size = 0;                     // the body's length
  std::shared_ptr<const std::string> cached;  // the body, when it is in the cache
  unique_fd fd;                               // else the open file, to stream
};

class static_files {
 public:
  // `root` must name a directory; throws std::system_error when it cannot be opened.
  explicit static_files(const std::string& root, cache_limits limits = {});

  // The regular file `rel` (from normalise()) names beneath the root — a
  // directory's index.html — or not_found (missing, not a regular file, or
  // reached through a symlink leading out of the root), or error (it exists
  // but cannot be read).
  [[nodiscard]] found_file find(const std::string& rel);

  [[nodiscard]] std::size_t cached_entries() const noexcept { return entries_.size(); }
  [[nodiscard]] std::size_t cached_bytes() const noexcept { return bytes_; }

 private:
  struct entry {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{};
    timespec ctime{};
    std::string_view type;
    std::shared_ptr<const std::string> bytes;
    std::list<std::string>::iterator lru;
  };
  unique_fd open_beneath(const std::string& rel) const;
  void insert(const std::string& rel, entry e);
  void erase(std::unordered_map<std::string, entry>::iterator it);

  std::string root_;
  unique_fd root_fd_;
  cache_limits limits_;
  std::unordered_map<std::string, entry> entries_;
  std::list<std::string> lru_;  // most recently used first
  std::size_t bytes_ = 0;
};

// A response body read from a file, one piece at a time, as the outbox asks
// (producer.hpp). A file that ends before `size` bytes (it shrank while being
// sent) throws from more(): the length is already promised, so the
// connection must be closed, and the loop's handle_error() does that.
class file_producer final : public chatframe::producer {
 public:
  static constexpr std::size_t piece = 64 * 1024;
  file_producer(unique_fd fd, std::uint64_t size) : fd_(std::move(fd)), left_(size) {}
  std::string_view more() override;

 private:
  unique_fd fd_;
  std::uint64_t left_;
  std::uint64_t offset_ = 0;
  std::unique_ptr<char[]> buf_;  // allocated at the first piece
};

// A cached body, shared with the cache: one piece, the whole body.
class shared_producer final : public chatframe::producer {
 public:
  explicit shared_producer(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {}
  std::string_view more() override {
    if (done_) return {};
    done_ = true;
    return *bytes_;
  }

 private:
  std::shared_ptr<const std::string> bytes_;
  bool done_ = false;
};

}  // namespace chatframe::http_example
