// chatframe/detail/held_bytes.hpp — the bytes a framer holds back between feeds.
//
// Not part of the public API. Between two feed() calls a framer holds back
// either the end of the stream that may begin a delimiter (at most the
// longest delimiter's length minus one), or, after a callback threw, the
// unread rest of the chunk (framer.hpp's exception rule). Both are "held"
// bytes: framer::held() shows them and the next feed() frames them first.
//
// They live in bytes_[from_, size): taking bytes from the front moves from_,
// and the storage is compacted only once the dead front is longer than what
// is still held, so every byte is copied in and moved a bounded number of
// times however the stream is cut. (A 1 MiB delimiter's near misses fed one
// byte at a time shift the held bytes by one byte per feed: erasing from the
// front each time moved the whole megabyte per byte.)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "chatframe/detail/work_count.hpp"

namespace chatframe::detail {

class held_bytes {
 public:
  held_bytes() = default;
  held_bytes(const held_bytes&) = default;
  held_bytes& operator=(const held_bytes&) = default;
  // The bytes go with a move; the source holds none.
  held_bytes(held_bytes&& other) noexcept
      : bytes_(std::move(other.bytes_)), from_(std::exchange(other.from_, 0)) {
    other.bytes_.clear();
  }
  held_bytes& operator=(held_bytes&& other) noexcept {
    if (this != &other) {
      bytes_ = std::move(other.bytes_);
      from_ = std::exchange(other.from_, 0);
      other.bytes_.clear();
    }
    return *this;
  }
  ~held_bytes() = default;

  [[nodiscard]] std::size_t size() const noexcept { return bytes_.size() - from_; }
  [[nodiscard]] bool empty() const noexcept { return from_ == bytes_.size(); }
  [[nodiscard]] const char* data() const noexcept { return bytes_.data() + from_; }
  [[nodiscard]] std::string_view view() const noexcept { return {data(), size()}; }

  void clear() noexcept {
    bytes_.clear();
    from_ = 0;
  }
  // Forgets the bytes but leaves the storage as it is, so a view taken just
  // before stays valid until the next non-const call (framer::take_held()).
  void forget() noexcept { from_ = bytes_.size(); }
  // The first n bytes (n <= size()) were framed.
  void drop_front(std::size_t n) noexcept {
    from_ += n;
    if (from_ == bytes_.size()) clear();
  }
  // The last p bytes of the held bytes followed by [k, end) become the held bytes.
  void keep_tail(std::size_t p, const char* k, const char* end) {
    const auto fresh = static_cast<std::size_t>(end - k);
    if (p <= fresh) {
      bytes_.assign(end - p, p);
      from_ = 0;
      CHATFRAME_WORK(p);
      return;
    }
    from_ += size() - (p - fresh);
    append(k, fresh);
  }
  // The held bytes followed by [k, end) all stay held (a callback threw).
  void keep_all(const char* k, const char* end) { append(k, static_cast<std::size_t>(end - k)); }

 private:
  void append(const char* p, std::size_t n) {
    if (from_ != 0 && from_ >= size()) {
      CHATFRAME_WORK(size());
      bytes_.erase(0, from_);
      from_ = 0;
    }
    CHATFRAME_WORK(n);
    bytes_.append(p, n);
  }

  std::string bytes_;
  std::size_t from_ = 0;
};

}  // namespace chatframe::detail
