// chatframe/detail/frame_bytes.hpp — a frame put together from the pieces of a stream.
//
// Not part of the public API. While the pieces lie back to back in the
// caller's chunk the frame is one view into it (zero-copy); once they do not,
// or once they must outlive the chunk, it is a copy that grows with the
// bytes added — never reserved ahead from a length a peer declared.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chatframe::detail {

class frame_bytes {
 public:
  // `lasting`: the bytes stay valid until the end of the feed (the chunk's),
  // not only until the callback returns (held bytes).
  void add(std::string_view bytes, bool lasting) {
    if (bytes.empty()) return;
    if (lasting && add_without_growing(bytes)) return;
    to_copy();
    copy_.append(bytes);
  }
  // add(bytes, true) where it needs no allocation: a view begun or grown,
  // or a copy appended to within its capacity (kept from the frames
  // before). False, and nothing added, where add() would have to allocate:
  // a caller that cannot let bad_alloc out leaves those bytes to one that can.
  [[nodiscard]] bool add_without_growing(std::string_view bytes) noexcept {
    if (copied_) {
      if (bytes.size() > copy_.capacity() - copy_.size()) return false;
      copy_.append(bytes);  // within the capacity: no allocation, no throw
      return true;
    }
    if (view_.empty()) {
      view_ = bytes;
      return true;
    }
    if (view_.data() + view_.size() != bytes.data()) return false;
    view_ = std::string_view(view_.data(), view_.size() + bytes.size());
    return true;
  }
  // A view becomes a copy: the chunk it points into is about to go.
  void keep() {
    if (!copied_ && !view_.empty()) to_copy();
  }
  [[nodiscard]] std::string_view view() const noexcept { return copied_ ? copy_ : view_; }
  [[nodiscard]] std::size_t size() const noexcept { return view().size(); }
  // (copy_ is empty unless copied_: only then is there anything to clear.)
  void clear() noexcept {
    if (copied_) {
      copy_.clear();
      copied_ = false;
    }
    view_ = {};
  }

 private:
  std::string copy_;
  std::string_view view_;
  bool copied_ = false;

  void to_copy() {
    if (copied_) return;
    copy_.assign(view_);
    view_ = {};
    copied_ = true;
  }
};

}  // namespace chatframe::detail
