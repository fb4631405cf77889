#include "chatframe/length_field.hpp"

#include <cstring>
#include <string>
#include <utility>

#include "chatframe/length_field_encoder.hpp"

namespace chatframe {

errc validate(const length_field_options& o) noexcept {
  const std::size_t w = o.length_width;
  if (w != 1 && w != 2 && w != 3 && w != 4 && w != 8) return errc::invalid_length_options;
  if (o.length_offset > length_field_options::max_length_offset)
    return errc::invalid_length_options;
  if (o.strip && *o.strip > length_field_options::max_strip) return errc::invalid_length_options;
  if (o.max_frame_length > length_field_options::max_frame_limit)
    return errc::invalid_length_options;
  // An enum holds any value of its underlying type: one cast from an
  // integer (a config file's) must not read as some other choice.
  if (o.order != byte_order::big && o.order != byte_order::little)
    return errc::invalid_length_options;
  if (o.on_oversized != oversized_action::skip && o.on_oversized != oversized_action::stop)
    return errc::invalid_length_options;
  return errc::ok;
}

length_field_encoder::length_field_encoder(const length_field_options& options)
    : options_(options), valid_(validate(options) == errc::ok) {
  if (valid_) layout_ = detail::length_layout(options_);
}

errc length_field_encoder::set_options(const length_field_options& options) {
  if (validate(options) != errc::ok) return errc::invalid_length_options;
  options_ = options;
  layout_ = detail::length_layout(options_);
  valid_ = true;
  return errc::ok;
}

errc length_field_encoder::write_header(std::uint64_t body_size, std::string_view prefix,
                                        char* out) const {
  if (!valid_ || (!prefix.empty() && prefix.size() != layout_.offset()))
    return errc::invalid_length_options;
  // The record is H + body_size bytes: the field holds what makes the
  // decoder's R = H + v + adjustment equal that.
  const detail::int128 v = static_cast<detail::int128>(body_size) - layout_.adjustment();
  if (v < 0 || v > static_cast<detail::int128>(layout_.widest())) return errc::length_does_not_fit;
  const detail::header_verdict verdict = layout_.judge(static_cast<std::uint64_t>(v));
  if (verdict.code != errc::ok) return verdict.code;  // what the decoder would refuse
  if (prefix.empty()) {
    std::memset(out, 0, layout_.offset());
  } else {
    std::memcpy(out, prefix.data(), prefix.size());
  }
  layout_.write(static_cast<std::uint64_t>(v), out + layout_.offset());
  return errc::ok;
}

errc length_field_encoder::push(outbox& out, std::string_view body, std::string_view prefix) const {
  if (!valid_) return errc::invalid_length_options;
  std::string header(header_length(), '\0');
  if (const errc e = write_header(body.size(), prefix, header.data()); e != errc::ok) return e;
  if (const errc e = out.push(std::move(header)); e != errc::ok) return e;
  return out.push_view(body);  // cannot be refused: the outbox took the header
}

}  // namespace chatframe
