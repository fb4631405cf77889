#include "chatframe/error.hpp"

#include <string>

namespace chatframe {

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::negative_count: return "negative_count";
    case errc::terminator_too_long: return "terminator_too_long";
    case errc::reentrant_feed: return "reentrant_feed";
    case errc::consume_exceeds_offer: return "consume_exceeds_offer";
    case errc::closed: return "closed";
    case errc::zero_buffer_size: return "zero_buffer_size";
    case errc::null_producer: return "null_producer";
    case errc::invalid_delimiters: return "invalid_delimiters";
    case errc::frame_too_large: return "frame_too_large";
    case errc::count_too_large: return "count_too_large";
    case errc::truncated_frame: return "truncated_frame";
    case errc::count_replaced_by_non_count: return "count_replaced_by_non_count";
    case errc::length_too_large: return "length_too_large";
    case errc::length_overflow: return "length_overflow";
    case errc::length_negative: return "length_negative";
    case errc::invalid_length_options: return "invalid_length_options";
    case errc::length_does_not_fit: return "length_does_not_fit";
    case errc::frame_not_kept: return "frame_not_kept";
    case errc::input_lost: return "input_lost";
  }
  return "unknown";
}

namespace {
class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "chatframe"; }
  std::string message(int v) const override { return std::string(to_string(static_cast<errc>(v))); }
};
}  // namespace

const std::error_category& chatframe_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace chatframe
