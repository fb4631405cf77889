// chatframe/detail/frame_bytes.hpp — a frame put together from the pieces of a stream.
//
// Not part of the public API. While the pieces lie back to back in the
// caller's chunk the frame is one view into it (zero-copy); once they do not,
// or once they must outlive the chunk, it is a copy that grows with the
// bytes added — never reserved ahead from a length a peer declared: by
// doubling, as std::string grows, but never past the length of the frame
// being copied (set_limit(), from its judged header, so at most the
// maximum), and what is kept for the next frame is at most kKeep bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace chatframe::detail {

class frame_bytes {
 public:
  // Storage kept from one frame to the next (a copy that grew past it is
  // freed once its frame is delivered): frames that cross reads reuse it
  // without an allocation each, and an idle decoder holds no more.
  static constexpr std::size_t kKeep = 64 * 1024;
  // The length of the frame being put together: the copy grows no further.
  void set_limit(std::size_t n) noexcept { limit_ = n; }
  // `lasting`: the bytes stay valid until the end of the feed (the chunk's),
  // not only until the callback returns (held bytes).
  void add(std::string_view bytes, bool lasting) {
    if (bytes.empty()) return;
    if (lasting && add_without_growing(bytes)) return;
    to_copy();
    reserve(copy_.size() + bytes.size());
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
      if (copy_.capacity() > kKeep) [[unlikely]] {
        release();
      } else {
        copy_.clear();
      }
      copied_ = false;
    }
    view_ = {};
  }

 private:
  std::string copy_;
  std::string_view view_;
  std::size_t limit_ = 0;
  bool copied_ = false;

  void to_copy() {
    if (copied_) return;
    reserve(view_.size());
    copy_.assign(view_);
    view_ = {};
    copied_ = true;
  }
  // Room for n bytes: twice the storage, but no more than the frame's
  // length, and never less than n. A new string of exactly that capacity:
  // std::string's own reserve() and append() would double past the limit.
  // The growth out of line, the check inline: called from a frame's every
  // append, the whole of it was a call (4 KiB whole frames in 4 KiB reads:
  // 766 instructions a read against 723, with clear()'s release inline too).
  void reserve(std::size_t n) {
    if (n > copy_.capacity()) [[unlikely]]
      grow(n);
  }
  [[gnu::noinline]] void release() noexcept { std::string().swap(copy_); }
  [[gnu::noinline]] void grow(std::size_t n) {
    const std::size_t doubled = std::max(n, 2 * copy_.capacity());
    std::string grown;
    grown.reserve(std::max(n, std::min(doubled, limit_)));
    grown.append(copy_);
    copy_.swap(grown);
  }
};

}  // namespace chatframe::detail
