// chatframe/conformance/scenario.hpp — a conformance scenario, parsed.
//
// The scenario format is a public interface, shared with
// conformance/cpython_replay.py; conformance/README.md describes it. Parsing
// is strict: anything the format does not allow is refused with a message
// naming where it is, never a crash, and never a partial scenario.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chatframe::conformance {

// What set_terminator() receives: null, bytes, or a count (possibly negative,
// which the replay must report as CPython's ValueError).
struct term_spec {
  enum class kind : std::uint8_t { none, bytes, count } type = kind::none;
  std::string bytes;
  std::int64_t count = 0;
};

struct action {
  enum class kind : std::uint8_t {
    push,
    push_producer,
    push_collected,
    set_terminator,
    close_when_done,
    discard_buffers,
    set_out_buffer_size
  } type = kind::push;
  std::string data;          // push, push_producer
  std::uint64_t number = 0;  // push_producer's buffer size, set_out_buffer_size's N
  term_spec term;            // set_terminator
};

struct scenario {
  std::uint64_t in_buffer_size = 65536;
  std::uint64_t out_buffer_size = 65536;
  term_spec terminator;
  std::vector<action> start;
  std::vector<std::string> recv;
  std::vector<std::vector<action>> on_found;    // list k runs in the k-th found_terminator
  std::vector<std::vector<action>> on_collect;  // list k runs in the k-th collect_incoming_data
  std::vector<std::uint64_t> send_caps;
  bool eof = false;
};

struct parse_result {
  std::optional<scenario> value;
  std::string error;  // non-empty exactly when !value
};

// Parses one scenario from JSON text.
[[nodiscard]] parse_result parse_scenario(std::string_view json_text);

}  // namespace chatframe::conformance
