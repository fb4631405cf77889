// chatframe/detail/length_layout.hpp — a length_field_options' arithmetic.
//
// Not part of the public API. What the decoder and the encoder both need
// from the options: the header's geometry, the length field read or written
// in either byte order, and the verdict on a field's value — in 128-bit
// arithmetic, so that no sum can wrap (length_field.hpp states the rules).
// The decoder's fast run asks a cheaper question, answered from two numbers
// computed once here: is the value inside the range of values whose frame
// is acceptable?
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "chatframe/error.hpp"
#include "chatframe/length_field.hpp"

namespace chatframe::detail {

__extension__ using int128 = __int128;

// The verdict on one header's field value.
struct header_verdict {
  errc code = errc::ok;      // ok, length_too_large, length_overflow or length_negative
  std::uint64_t record = 0;  // R, unless overflow or negative
  std::uint64_t frame = 0;   // F, unless overflow or negative
};

// A length field of W bytes in one byte order, read from memory.
template <std::size_t W, bool Big>
struct field_reader {
  static_assert(W == 1 || W == 2 || W == 3 || W == 4 || W == 8);
  static constexpr std::size_t width = W;
  [[nodiscard]] static std::uint64_t read(const char* p) noexcept {
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    if constexpr (W == 1) {
      return b[0];
    } else if constexpr (W == 3) {
      if constexpr (Big) return (std::uint64_t{b[0]} << 16) | (std::uint64_t{b[1]} << 8) | b[2];
      return (std::uint64_t{b[2]} << 16) | (std::uint64_t{b[1]} << 8) | b[0];
    } else {
      using word = std::conditional_t<W == 2, std::uint16_t,
                                      std::conditional_t<W == 4, std::uint32_t, std::uint64_t>>;
      word w;
      std::memcpy(&w, p, W);
      constexpr bool native = Big == (std::endian::native == std::endian::big);
      if constexpr (!native) {
        if constexpr (W == 2) w = __builtin_bswap16(w);
        if constexpr (W == 4) w = __builtin_bswap32(w);
        if constexpr (W == 8) w = __builtin_bswap64(w);
      }
      return w;
    }
  }
};

// What a walk over whole records needs of a layout, and nothing else: an
// accepted header's arithmetic. Five numbers, which a record run copies
// into locals (length_walk): the whole layout is twice as many, copied twice
// per run (bench/NOTES.md, "Issue 23, 2026-12-06 (third)").
struct record_terms {
  std::size_t offset = 0;  // of the length field in the header
  std::size_t strip = 0;
  std::uint64_t lo = 0;  // the accepted values: lo <= v <= lo + span
  std::uint64_t span = 0;
  std::uint64_t to_record = 0;  // H + adj, mod 2^64: R = v + to_record for accepted v

  // judge(v).code == errc::ok, in one compare.
  [[nodiscard]] bool accepts(std::uint64_t v) const noexcept { return v - lo <= span; }
  // judge(v).record for an accepted v: one add.
  [[nodiscard]] std::uint64_t record_of(std::uint64_t v) const noexcept { return v + to_record; }
  // The address one past the record that starts at `start`, for an accepted
  // v: start + record_of(v), added so that start + to_record need not wait
  // for the header's load — one add is then the only step between two
  // headers' loads in a walk over records (bench/NOTES.md, "Issue 23,
  // 2026-12-05"). Mod 2^64, exact: the record ends inside memory.
  [[nodiscard]] std::uintptr_t record_end(std::uintptr_t start, std::uint64_t v) const noexcept {
    return (start + to_record) + v;
  }
  // judge(v).frame for an accepted v.
  [[nodiscard]] std::uint64_t frame_of(std::uint64_t v) const noexcept {
    return record_of(v) - strip;
  }
};

class length_layout {
 public:
  length_layout() noexcept : length_layout(length_field_options{}) {}
  // `o` must be valid (validate(o) == errc::ok).
  explicit length_layout(const length_field_options& o) noexcept
      : width_(o.length_width), header_(o.header_length()), max_(o.max_frame_length),
        adjustment_(o.length_adjustment), big_(o.order == byte_order::big) {
    terms_.offset = o.length_offset;
    terms_.strip = o.strip_length();
    // The values v whose frame is acceptable: v + adj >= 0, R >= strip and
    // F <= max, i.e. lo <= v <= hi; and v fits the field.
    const int128 h = header_, s = terms_.strip, a = adjustment_;
    int128 lo = 0;
    if (-a > lo) lo = -a;
    if (s - h - a > lo) lo = s - h - a;
    int128 hi = static_cast<int128>(max_) + s - h - a;
    const int128 widest =
        (width_ == 8 ? static_cast<int128>(std::numeric_limits<std::uint64_t>::max())
                     : (int128{1} << (8 * width_)) - 1);
    if (hi > widest) hi = widest;
    runnable_ = lo <= hi;
    terms_.lo = runnable_ ? static_cast<std::uint64_t>(lo) : 0;
    terms_.span = runnable_ ? static_cast<std::uint64_t>(hi - lo) : 0;
    terms_.to_record = static_cast<std::uint64_t>(h + a);  // mod 2^64: exact for accepted v
    // For accepts_all_within(): lo 0 (no value gives a record shorter than
    // its header or its strip), 0 <= H + adj, and a field of at most 4
    // bytes (with H + adj <= max + strip <= 2^63, as runnable implies,
    // start + record cannot wrap for any value).
    bounded_ = runnable_ && lo == 0 && h + a >= 0 && width_ <= 4;
    whole_header_stripped_ = runnable_ && terms_.strip >= header_;
  }

  [[nodiscard]] std::size_t offset() const noexcept { return terms_.offset; }
  [[nodiscard]] std::size_t width() const noexcept { return width_; }
  [[nodiscard]] std::size_t header() const noexcept { return header_; }
  [[nodiscard]] std::size_t strip() const noexcept { return terms_.strip; }
  [[nodiscard]] std::size_t max_frame() const noexcept { return max_; }
  [[nodiscard]] std::int64_t adjustment() const noexcept { return adjustment_; }
  [[nodiscard]] bool big_endian() const noexcept { return big_; }

  // The rules of length_field.hpp, in order, without a sum that can wrap.
  [[nodiscard]] header_verdict judge(std::uint64_t v) const noexcept {
    const int128 r = static_cast<int128>(v) + adjustment_ + static_cast<int128>(header_);
    if (r < static_cast<int128>(header_) || r < static_cast<int128>(terms_.strip))
      return {errc::length_negative, 0, 0};
    if (r > static_cast<int128>(std::numeric_limits<std::uint64_t>::max()))
      return {errc::length_overflow, 0, 0};
    const auto record = static_cast<std::uint64_t>(r);
    const std::uint64_t frame = record - terms_.strip;
    return {frame > max_ ? errc::length_too_large : errc::ok, record, frame};
  }

  // Some value gives an acceptable frame (if not, the fast run never runs).
  [[nodiscard]] bool runnable() const noexcept { return runnable_; }
  // runnable() and no frame holds a header byte (the strip covers the
  // header): one flag for the check at the start of every feed().
  [[nodiscard]] bool runnable_without_header_bytes() const noexcept {
    return whole_header_stripped_;
  }
  // The accepted header's arithmetic: accepts(), record_of(), record_end(),
  // frame_of().
  [[nodiscard]] const record_terms& terms() const noexcept { return terms_; }
  [[nodiscard]] bool accepts(std::uint64_t v) const noexcept { return terms_.accepts(v); }
  // True if a record that ends inside n bytes from its header's start is
  // accepted, whatever its field says: a run over a chunk of n bytes then
  // needs no accepts() beside its check against the chunk's end
  // (record <= n implies v <= n - (H + adj) <= span, and v >= lo = 0).
  [[nodiscard]] bool accepts_all_within(std::size_t n) const noexcept {
    return bounded_ && n <= terms_.span;
  }
  [[nodiscard]] std::uint64_t record_of(std::uint64_t v) const noexcept {
    return terms_.record_of(v);
  }
  [[nodiscard]] std::uint64_t frame_of(std::uint64_t v) const noexcept {
    return terms_.frame_of(v);
  }

  // The field's value from its width bytes, whatever the width.
  [[nodiscard]] std::uint64_t read(const unsigned char* field) const noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width_; ++i) {
      const std::size_t at = big_ ? i : width_ - 1 - i;
      v = (v << 8) | field[at];
    }
    return v;
  }
  // The field's value from memory, with the fixed load of its width.
  [[nodiscard]] std::uint64_t read_at(const char* field) const noexcept {
    return big_ ? read_at<true>(field) : read_at<false>(field);
  }
  // Writes v (which must fit) as the field's width bytes.
  void write(std::uint64_t v, char* field) const noexcept {
    for (std::size_t i = 0; i < width_; ++i) {
      const std::size_t at = big_ ? width_ - 1 - i : i;
      field[at] = static_cast<char>(v & 0xFF);
      v >>= 8;
    }
  }
  // The largest value the field can hold.
  [[nodiscard]] std::uint64_t widest() const noexcept {
    return width_ == 8 ? std::numeric_limits<std::uint64_t>::max()
                       : (std::uint64_t{1} << (8 * width_)) - 1;
  }

  // A reader like field_reader<W, Big>'s whose read() is read_at(): for a
  // header read once per chunk, where a copy of the code around it for each
  // width and byte order (with_reader()) would buy one switch per chunk.
  struct any_reader {
    const length_layout& layout;
    [[nodiscard]] std::uint64_t read(const char* field) const noexcept {
      return layout.read_at(field);
    }
  };
  [[nodiscard]] any_reader reader() const noexcept { return any_reader{*this}; }

  // Calls f(field_reader<W, Big>{}) for this layout's width and byte order,
  // so that a loop over many headers reads each with a fixed load.
  template <class F>
  [[gnu::always_inline]] decltype(auto) with_reader(F&& f) const {
    if (big_) return with_width<true>(f);
    return with_width<false>(f);
  }

 private:
  template <bool Big>
  [[nodiscard]] std::uint64_t read_at(const char* field) const noexcept {
    switch (width_) {
      case 1: return field_reader<1, Big>::read(field);
      case 2: return field_reader<2, Big>::read(field);
      case 3: return field_reader<3, Big>::read(field);
      case 4: return field_reader<4, Big>::read(field);
      default: return field_reader<8, Big>::read(field);
    }
  }
  template <bool Big, class F>
  [[gnu::always_inline]] decltype(auto) with_width(F& f) const {
    switch (width_) {
      case 1: return f(field_reader<1, Big>{});
      case 2: return f(field_reader<2, Big>{});
      case 3: return f(field_reader<3, Big>{});
      case 4: return f(field_reader<4, Big>{});
      default: return f(field_reader<8, Big>{});
    }
  }

  record_terms terms_;
  std::size_t width_;
  std::size_t header_;
  std::size_t max_;
  std::int64_t adjustment_;
  bool big_;
  bool runnable_ = false;
  bool bounded_ = false;
  bool whole_header_stripped_ = false;
};

}  // namespace chatframe::detail
