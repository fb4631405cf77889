// borrowed_bytes_arena.hpp — storage for bytes an outbox borrows, shared by
// the outbox property tests and the outbox fuzzer.
//
// Slices are appended back to back, so that one may begin exactly where the
// one before it ends in memory, as an echo server's replies do in its output
// buffer: that is what outbox::push_view_joined() joins. A block's capacity
// is reserved before any slice of it is handed out and it never grows past
// it, so every slice stays valid for the arena's whole life.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>

#include "chatframe/producer.hpp"

namespace chatframe::testing {

class borrowed_bytes_arena {
 public:
  explicit borrowed_bytes_arena(std::size_t block_size) : block_size_(block_size) {}

  // `apart` leaves one unused byte first, so that `bytes` do not continue
  // what was appended before them.
  std::string_view append(std::string_view bytes, bool apart) {
    const std::size_t needed = bytes.size() + (apart ? 1 : 0);
    if (blocks_.empty() || blocks_.back().size() + needed > blocks_.back().capacity())
      blocks_.emplace_back().reserve(std::max(block_size_, needed));
    std::string& block = blocks_.back();
    if (apart) block += '#';
    block += bytes;
    return std::string_view(block).substr(block.size() - bytes.size());
  }

 private:
  std::size_t block_size_;
  std::deque<std::string> blocks_;
};

// CPython's simple_producer (asynchat.py:280-292) writing each piece into an
// arena when asked, as a server writes a reply into its output buffer: the
// piece continues whatever the arena held last, and bytes appended after it
// continue the piece.
class arena_producer final : public producer {
 public:
  arena_producer(std::string data, std::size_t buffer_size, borrowed_bytes_arena& into)
      : data_(std::move(data)), buffer_size_(buffer_size), arena_(into) {}
  std::string_view more() override {
    const std::string_view rest = std::string_view(data_).substr(pos_);
    const std::string_view piece = rest.substr(0, std::min(rest.size(), buffer_size_));
    pos_ += piece.size();
    if (piece.empty()) return {};
    return arena_.append(piece, false);
  }

 private:
  std::string data_;
  std::size_t buffer_size_;
  std::size_t pos_ = 0;
  borrowed_bytes_arena& arena_;
};

}  // namespace chatframe::testing
