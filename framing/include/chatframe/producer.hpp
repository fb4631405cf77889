/// @file chatframe/producer.hpp
/// Something that hands out output piece by piece.
///
/// CPython's producers are any object with a more() method returning bytes,
/// empty when done (asynchat.py:241-251, 278-292). Here more() returns a view
/// so a producer can hand out slices of data it keeps, without copying.
///
/// Lifetime contract: the view returned by more() must stay valid until the
/// next call to more() on the same producer, or until the producer is
/// destroyed. The outbox never calls more() again before every byte of the
/// previous piece was sent (or discarded), and destroys a producer only after
/// its more() returned an empty view, or on discard().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chatframe {

/// Output handed out piece by piece (CPython's producer protocol). Lifetime
/// of the pieces: see the file's description.
class producer {
 public:
  virtual ~producer() = default;
  /// The next piece of output; an empty view means "no more", after which the
  /// producer is dropped from the queue. The view must stay valid until the
  /// next more() on this producer, or until it is destroyed.
  virtual std::string_view more() = 0;
};

/// CPython's asynchat.simple_producer: hands out `data` in pieces of at most
/// `buffer_size` bytes. As in CPython (asynchat.py:284-292) a buffer_size of 0
/// yields one empty piece at once, so nothing is sent. Owns its data.
class simple_producer final : public producer {
 public:
  /// Takes `data` (moved in); pieces of at most `buffer_size` bytes.
  explicit simple_producer(std::string data, std::size_t buffer_size = 512)
      : data_(std::move(data)), buffer_size_(buffer_size) {}

  /// The next piece of at most buffer_size bytes; empty once all was handed
  /// out. A view into the producer's own copy of the data.
  std::string_view more() override {
    const std::string_view rest = std::string_view(data_).substr(pos_);
    // asynchat.py:285 — `len(self.data) > self.buffer_size`
    const std::size_t n = rest.size() > buffer_size_ ? buffer_size_ : rest.size();
    pos_ = rest.size() > buffer_size_ ? pos_ + n : data_.size();
    return rest.substr(0, n);
  }

 private:
  std::string data_;
  std::size_t buffer_size_;
  std::size_t pos_ = 0;
};

}  // namespace chatframe
