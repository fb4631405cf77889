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
// One input in eight (the last byte drawn) puts 16 more bytes before the
// length field, so that a frame can hold more header bytes than its copy's
// inline storage.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
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

// What one input decodes, in the order drawn: an input written before a
// draw was added frames as it did (the draws after its last byte give 0).
struct decoding {
  chatframe::length_field_options options;
  t::handler_kind kind{};
  t::callback_program program;
  std::vector<std::string> chunks;
  t::length_starvation starvation;
  bool wants_lead = false;  // drawn last of all: see LLVMFuzzerTestOneInput()
};

// The input drawn as a decoding, with `lead` more bytes before the length
// field of the options drawn first. None for an encoder round trip (kind 4),
// which is run here.
std::optional<decoding> draw_decoding(FuzzedDataProvider in, std::size_t lead) {
  auto draw = [&](std::uint64_t lo, std::uint64_t hi) {
    return in.ConsumeIntegralInRange<std::uint64_t>(lo, hi);
  };
  decoding d;
  d.options = t::draw_options(draw);
  d.options.length_offset += lead;
  const auto kind = draw(0, 4);
  std::vector<std::size_t> cuts = t::draw_cuts(draw);
  if (kind == 4) {
    std::vector<std::string> bodies(draw(0, 8));
    for (std::string& b : bodies) b = in.ConsumeBytesAsString(draw(0, 48));
    check(t::round_trip(d.options, bodies, cuts));
    return std::nullopt;
  }
  d.kind = static_cast<t::handler_kind>(kind);
  // One case in four with records over 1 KiB (a record run's other schedule).
  const bool long_records = draw(0, 3) == 0;
  if (long_records) t::for_long_records(d.options, cuts);
  d.program = t::draw_program(draw);
  d.chunks = t::chunks_of(t::draw_stream(draw, d.options, long_records), cuts);
  d.starvation = t::draw_starvation(draw);
  d.wants_lead = draw(0, 7) == 7;
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<decoding> d = draw_decoding(FuzzedDataProvider(data, size), 0);
  if (!d) return 0;
  // The offsets drawn stop at 3, so a frame holds at most 11 header bytes:
  // its copy never outgrows its inline storage before the header is read,
  // and the stop that a failure there makes (frame_not_kept() before the
  // header) is never met. One input in eight asks for 16 more bytes before
  // the field, and is drawn again with them (the stream's records then have
  // the longer header; what the draws mean is otherwise as it was).
  if (d->wants_lead) d = draw_decoding(FuzzedDataProvider(data, size), 16);
  const bool starved = t::starves(d->starvation);
  const t::verdict v =
      starved ? t::run_starved(d->kind, d->options, d->chunks, d->program, d->starvation)
              : t::compare_with_model(d->kind, d->options, d->chunks, d->program);
  if (!v.ok) describe_input(d->options, d->chunks, d->program, starved ? &d->starvation : nullptr);
  check(v);
  return 0;
}
