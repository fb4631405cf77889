// fuzz/length_field.cc — chatframe::length_field_framer against the reference
// model (framing/tests/reference_length_field.hpp), and the encoder against
// the decoder.
//
// Input: options (every width and byte order, offsets, adjustments and
// strips small and extreme, maxima, fail-fast, skip or stop), a handler kind
// (whole frames or pieces; callbacks that may throw or are noexcept — the
// latter let the decoder use its record run), a callback program (discard,
// new options or a throw, from inside on_frame / on_frame_begin / on_error /
// the last piece / the piece holding a given byte, and discards and option
// changes between feeds), a chunking, and a stream of records written by the
// encoder, records with any field value, and stray bytes; in one case in
// four, records over 1 KiB among them, in chunks of up to 4.8 KiB.
// Oracles:
//   * every event, feed() result, error (code, position, field, frame length,
//     limit), finish() and the stopped state equal the model's;
//   * frame_bytes() never exceeds max_frame_length (or, while a header is
//     read, the header's share of the frame);
//   * encode -> decode: records the encoder accepts come back as
//     (header + body) without the strip, under any chunking, with no error;
//     bodies it refuses are exactly those the decoder would refuse or that
//     do not fit the field;
//   * with memory running out (the input chooses: during some feeds, after
//     some planned throws; the last bytes drawn, so that inputs from before
//     it frame as they did), the same events, stops and bytes lost as the
//     model told where the decoder ran out (length_field_harness.hpp,
//     run_starved()).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "length_field_harness.hpp"
#include "limited_allocator_operators.hpp"

namespace {

namespace t = chatframe::testing;

std::string printable(const std::string& s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

// LENGTH_FIELD_DEBUG=1 prints what a failing input is made of.
void describe_input(const chatframe::length_field_options& o,
                    const std::vector<std::string>& chunks, const t::callback_program& p,
                    const t::length_starvation* starvation) {
  if (std::getenv("LENGTH_FIELD_DEBUG") == nullptr) return;
  std::fprintf(stderr, "options: offset %zu width %zu %s adj %lld strip %lld max %zu %s %s\n",
               o.length_offset, o.length_width,
               o.order == chatframe::byte_order::big ? "big" : "little",
               static_cast<long long>(o.length_adjustment),
               o.strip ? static_cast<long long>(*o.strip) : -1LL, o.max_frame_length,
               o.fail_fast ? "fail_fast" : "late",
               o.on_oversized == chatframe::oversized_action::skip ? "skip" : "stop");
  for (const std::string& c : chunks) std::fprintf(stderr, "chunk: %s\n", printable(c).c_str());
  for (const t::program_step& s : p.steps)
    std::fprintf(stderr, "step: when %d index %llu deed %d\n", static_cast<int>(s.when),
                 static_cast<unsigned long long>(s.index), static_cast<int>(s.what));
  for (const t::between_feeds& b : p.between)
    std::fprintf(stderr, "between: before %zu %s\n", b.before,
                 b.what == t::between_deed::discard       ? "discard"
                 : b.what == t::between_deed::set_options ? "options"
                                                          : "empty feed");
  if (starvation == nullptr) return;
  for (std::size_t i = 0; i < starvation->feeds.size(); ++i)
    if (starvation->feeds[i]) std::fprintf(stderr, "starved: feed %zu\n", i);
  for (std::size_t i = 0; i < starvation->throws.size(); ++i)
    if (starvation->throws[i]) std::fprintf(stderr, "starved: after planned throw %zu\n", i);
}

void check(const t::verdict& v) {
  if (v.ok) return;
  std::fprintf(stderr, "length_field oracle violated: %s\n", v.what.c_str());
  if (!v.decoder.empty() || !v.model.empty())
    std::fprintf(stderr, "  decoder: %s\n  model:   %s\n", printable(v.decoder).c_str(),
                 printable(v.model).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  auto draw = [&](std::uint64_t lo, std::uint64_t hi) {
    return in.ConsumeIntegralInRange<std::uint64_t>(lo, hi);
  };
  chatframe::length_field_options o = t::draw_options(draw);
  const auto kind = draw(0, 4);
  std::vector<std::size_t> cuts = t::draw_cuts(draw);
  if (kind == 4) {
    std::vector<std::string> bodies(draw(0, 8));
    for (std::string& b : bodies) b = in.ConsumeBytesAsString(draw(0, 48));
    check(t::round_trip(o, bodies, cuts));
    return 0;
  }
  // One case in four with records over 1 KiB (a record run's other schedule).
  const bool long_records = draw(0, 3) == 0;
  if (long_records) t::for_long_records(o, cuts);
  const t::callback_program p = t::draw_program(draw);
  const std::vector<std::string> chunks = t::chunks_of(t::draw_stream(draw, o, long_records), cuts);
  const t::length_starvation s = t::draw_starvation(draw);
  const bool starved = t::starves(s);
  const t::verdict v =
      starved ? t::run_starved(static_cast<t::handler_kind>(kind), o, chunks, p, s)
              : t::compare_with_model(static_cast<t::handler_kind>(kind), o, chunks, p);
  if (!v.ok) describe_input(o, chunks, p, starved ? &s : nullptr);
  check(v);
  return 0;
}
