// request_head.hpp — parses an HTTP/1.x request head (request line + header fields).
//
// Input: the head without its final empty line, i.e. the bytes before the
// "\r\n\r\n" the server frames on (async_chat terminator). Leading empty lines
// are skipped (RFC 9112 §2.2). Lines end in CRLF; a bare CR or LF, a NUL,
// obsolete line folding, a space before a header's colon, or a field name that
// is not a token are errors, never guessed at.
//
// Framing is decided here, once: Content-Length (one value, however often
// repeated), or Transfer-Encoding whose codings, across every such header,
// are exactly "chunked". Anything else that would make the body's length
// ambiguous is an error, so a server and a proxy in front of it cannot
// disagree on where the next request starts.
//
// Stateless and allocation-light; the result owns copies of what it keeps, so
// the input may be discarded after the call. Fuzzable: any input gives either
// a head or an error with the byte position where parsing stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatframe::http_example {

enum class head_errc : std::uint8_t {
  ok = 0,
  empty = 1,                          // nothing but empty lines
  bad_request_line = 2,               // not "METHOD SP TARGET SP HTTP/x.y"
  bad_method = 3,                     // method is not a token
  bad_target = 4,                     // empty, or contains a control byte
  bad_version = 5,                    // not HTTP/1.0 or HTTP/1.1
  bad_line_ending = 6,                // bare CR or LF, or NUL
  bad_header = 7,                     // no colon, empty name, non-token name, folding
  bad_content_length = 8,             // not digits, too large, or conflicting duplicates
  unsupported_transfer_encoding = 9,  // a Transfer-Encoding other than exactly "chunked" (501)
  too_many_headers = 10,
  // Transfer-Encoding with Content-Length, or in an HTTP/1.0 request: the
  // body's length is ambiguous, the classic request-smuggling vector
  // (RFC 9112 §6.1, §6.3). A server answers 400 and closes.
  conflicting_framing = 11,
};

[[nodiscard]] std::string_view to_string(head_errc e) noexcept;

struct request_head {
  std::string method;
  std::string target;
  int version_minor = 1;                                     // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent, values trimmed
  std::optional<std::uint64_t> content_length;
  // Transfer-Encoding: chunked (the only coding accepted; never with content_length).
  bool chunked = false;

  // First header with this name (ASCII case-insensitive), or nullopt.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
  // HTTP/1.1 defaults to keep-alive, HTTP/1.0 to close; "Connection" overrides.
  [[nodiscard]] bool keep_alive() const;
  // "Expect: 100-continue", compared ASCII case-insensitively (RFC 9110 §10.1.1).
  [[nodiscard]] bool expects_continue() const;
};

struct head_result {
  request_head head;
  head_errc error = head_errc::ok;
  std::size_t position = 0;  // byte offset where the error was found
};

struct head_limits {
  std::size_t max_headers = 100;
  std::uint64_t max_content_length = std::uint64_t{1} << 62;
};

[[nodiscard]] head_result parse_request_head(std::string_view head, head_limits limits = {});

}  // namespace chatframe::http_example
