// chatframe/conformance/replay.hpp — runs a scenario through chatframe and
// records the trace, with the driver conformance/README.md specifies (the
// same driver cpython_replay.py runs around CPython's asynchat).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chatframe/conformance/scenario.hpp"

namespace chatframe::conformance {

struct event {
  enum class kind : std::uint8_t { recv, collect, found, send, close, error } type = kind::recv;
  std::string data;        // recv, collect, send: the bytes; error: the exception's name
  std::uint64_t sent = 0;  // send: bytes accepted
  // found, close: the number the trace line carries. Every trace CPython or
  // chatframe writes says 1; one that says otherwise compares unequal.
  std::uint64_t value = 1;
  friend bool operator==(const event&, const event&) = default;
};

enum class send_mode : std::uint8_t {
  single,  // one offer() per send, exactly CPython's initiate_send
  gather,  // outbox::gather() per send: the same bytes in fewer sends
};

[[nodiscard]] std::vector<event> replay(const scenario& s, send_mode mode = send_mode::single);

// The trace as JSON lines, byte for byte what cpython_replay.py prints.
[[nodiscard]] std::string format_trace(const std::vector<event>& events);
// Parses a trace printed by format_trace() or cpython_replay.py; false on malformed text.
[[nodiscard]] bool parse_trace(std::string_view text, std::vector<event>& out, std::string& error);

// Frame level: consecutive collect events are joined into one, and so are
// consecutive send events (their accepted bytes concatenated, sends that
// accepted nothing dropped). Two traces equal at this level describe the same
// frames and the same output between the same input events.
[[nodiscard]] std::vector<event> frame_level(const std::vector<event>& events);

}  // namespace chatframe::conformance
