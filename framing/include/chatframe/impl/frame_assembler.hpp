// chatframe/impl/frame_assembler.hpp — frame_assembler's members.
//
// Not part of the public API (included by frame_assembler.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "chatframe/frame_assembler.hpp"

namespace chatframe {

template <class Sink>
template <class Framer>
feed_result frame_assembler<Sink>::feed(Framer& f, std::string_view chunk) {
  feed_result r;
  try {
    r = f.feed(chunk, *this);
  } catch (...) {
    if (f.bytes_lost() != 0) {
      // The rest of the open frame went with the bytes the framer could not
      // keep; once the caller accepts the gap, framing starts afresh.
      reset_frame();
      skipping_ = false;
      unkept_ = 0;
    } else {
      keep_open_frame();
    }
    throw;
  }
  keep_open_frame();
  return r;
}

template <class Sink>
errc frame_assembler<Sink>::set_count(framer& f, std::int64_t n) {
  if (n > 0 && static_cast<std::uint64_t>(n) > options_.max_frame_size) {
    sink_.on_limit(
        frame_error{errc::count_too_large, static_cast<std::size_t>(n), options_.max_frame_size});
    return errc::count_too_large;
  }
  return f.set_count(n);
}

template <class Sink>
template <class Framer>
void frame_assembler<Sink>::finish(Framer& f, eof_policy policy) {
  std::string rest = copied_ ? buffer_ : std::string(pending_);
  rest.append(f.held());
  (void)f.take_held();
  reset_frame();
  const bool dropping = skipping_ || failed_;
  skipping_ = false;  // the stream ended: whatever comes next is a new frame
  // A frame that no memory could keep ended with the stream: reported only.
  if (report_unkept()) return;
  if (rest.empty() || dropping) return;
  switch (policy) {
    case eof_policy::drop: return;
    case eof_policy::deliver: sink_.on_frame(rest, none_matched); return;
    case eof_policy::deliver_flagged:
      if constexpr (requires { sink_.on_partial(std::string_view(rest)); }) {
        sink_.on_partial(std::string_view(rest));
      } else {
        sink_.on_frame(rest, none_matched);
      }
      return;
    case eof_policy::error:
      sink_.on_limit(frame_error{errc::truncated_frame, rest.size(), options_.max_frame_size});
      return;
  }
}

template <class Sink>
void frame_assembler<Sink>::on_collect(const collected& data) {
  if (failed_ || skipping_) return;
  const std::size_t total = frame_bytes() + data.size();
  if (total > options_.max_frame_size) {
    // Reported before anything changes: if on_limit() throws, the framer
    // undoes the step and delivers these bytes again.
    sink_.on_limit(frame_error{errc::frame_too_large, total, options_.max_frame_size});
    reset_frame();
    if (options_.on_limit == limit_action::close) {
      failed_ = true;
    } else {
      skipping_ = true;
    }
    return;
  }
  if (!copied_ && pending_.empty() && data.contiguous()) {
    pending_ = data.contiguous_view();     // zero-copy while inside one chunk
    if (!data.carried.empty()) promote();  // held bytes die with the callback
    return;
  }
  promote();
  data.append_to(buffer_);
}

template <class Sink>
void frame_assembler<Sink>::on_found(std::size_t which) {
  if (failed_) return;
  if (skipping_) {
    skipping_ = false;  // resynchronised: the oversized (or unkept) frame ended here
    reset_frame();
    (void)report_unkept();
    return;
  }
  // The frame is delivered even if on_frame() throws (the framer consumed
  // its delimiter): the next frame starts empty either way.
  struct next_frame {
    frame_assembler& a;
    ~next_frame() { a.reset_frame(); }
  } guard{*this};
  sink_.on_frame(copied_ ? std::string_view(buffer_) : pending_, which);
}

template <class Sink>
void frame_assembler<Sink>::promote() {
  if (copied_) return;
  buffer_.assign(pending_);
  pending_ = {};
  copied_ = true;
}

// A frame still open when feed() returns (or throws) must not keep a view
// into the chunk, which may not outlive the call. Without memory for the
// copy the frame cannot be delivered: it is skipped to its end, where
// on_limit() reports errc::frame_not_kept (the view must go either way: a
// later copy from it would read the caller's freed chunk).
template <class Sink>
void frame_assembler<Sink>::keep_open_frame() noexcept {
  if (pending_.empty()) return;
  try {
    promote();
  } catch (...) {
    unkept_ = pending_.size();
    reset_frame();
    skipping_ = true;
  }
}

// The end of a frame skipped because no memory could keep it (unkept_ is
// its bytes, or 0): reported through on_limit(), once even if that throws.
template <class Sink>
bool frame_assembler<Sink>::report_unkept() {
  const std::size_t unkept = std::exchange(unkept_, 0);
  if (unkept == 0) return false;
  sink_.on_limit(frame_error{errc::frame_not_kept, unkept, options_.max_frame_size});
  return true;
}

template <class Sink>
void frame_assembler<Sink>::reset_frame() noexcept {
  buffer_.clear();
  pending_ = {};
  copied_ = false;
}

}  // namespace chatframe
