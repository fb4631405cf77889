// fuzz/http_head.cc — the HTTP example's request head parser on arbitrary bytes.
//
// Built only when the library target chatframe_http_example exists (see
// fuzz/CMakeLists.txt). parse_request_head() is called on the raw input and on
// the head a framer finds before "\r\n\r\n" (how examples/http uses it), each
// in an exactly sized heap copy so ASan catches any over-read. Oracles: an
// error has a name and a position inside the input; a head has a token method,
// a non-empty target, HTTP/1.0 or 1.1, no CR/LF/NUL in any kept field, header
// names without a colon, header(name) finds the first header of that name, and
// one framing at most: chunked only with Transfer-Encoding, never with a
// Content-Length or in HTTP/1.0.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "chatframe/framer.hpp"
#include "request_head.hpp"

namespace {

namespace hx = chatframe::http_example;

void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "http_head oracle violated: %s\ninput (%zu bytes): %.*s\n", what,
               input.size(), static_cast<int>(input.size()), input.data());
  std::abort();
}

bool clean(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void parse_exact(std::string_view bytes) {
  const std::unique_ptr<char[]> copy(new char[bytes.size() + 1]);  // +1: a valid pointer when empty
  bytes.copy(copy.get(), bytes.size());
  const std::string_view input(copy.get(), bytes.size());
  const hx::head_result r = hx::parse_request_head(input);
  if (r.error != hx::head_errc::ok) {
    if (hx::to_string(r.error).empty()) fail("error without a name", input);
    if (r.position > input.size()) fail("error position past the input", input);
    return;
  }
  const hx::request_head& h = r.head;
  if (h.method.empty() || h.method.find_first_of(" \t:/\"(),;<=>?@[\\]{}") != std::string::npos)
    fail("method is not a token", input);
  if (h.target.empty() || !clean(h.target)) fail("bad target accepted", input);
  if (h.version_minor != 0 && h.version_minor != 1) fail("version other than 1.0/1.1", input);
  for (const auto& [name, value] : h.headers) {
    if (name.empty() || name.find(':') != std::string::npos || !clean(name) || !clean(value))
      fail("bad header kept", input);
    const auto first = h.header(name);
    if (!first) fail("header() does not find a kept header", input);
  }
  if (h.content_length && *h.content_length > hx::head_limits{}.max_content_length)
    fail("content length above the limit", input);
  if (h.chunked && (h.content_length || h.version_minor != 1 || !h.header("transfer-encoding")))
    fail("chunked with a second framing, in HTTP/1.0, or without Transfer-Encoding", input);
  if (!h.chunked && h.header("transfer-encoding"))
    fail("Transfer-Encoding accepted unframed", input);
  (void)h.keep_alive();
}

struct head_collector {
  std::string head;
  bool found = false;
  void on_collect(const chatframe::collected& d) {
    if (!found) d.append_to(head);
  }
  void on_found() { found = true; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  parse_exact(input);
  chatframe::framer f;
  (void)f.set_terminator(chatframe::terminator::bytes("\r\n\r\n"));
  head_collector h;
  (void)f.feed(input, h);
  if (h.found) parse_exact(h.head);
  return 0;
}
