#include "request_head.hpp"

namespace chatframe::http_example {
namespace {

bool is_tchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

head_result fail(head_errc e, std::size_t pos) {
  head_result r;
  r.error = e;
  r.position = pos;
  return r;
}

}  // namespace

std::string_view to_string(head_errc e) noexcept {
  switch (e) {
    case head_errc::ok: return "ok";
    case head_errc::empty: return "empty";
    case head_errc::bad_request_line: return "bad_request_line";
    case head_errc::bad_method: return "bad_method";
    case head_errc::bad_target: return "bad_target";
    case head_errc::bad_version: return "bad_version";
    case head_errc::bad_line_ending: return "bad_line_ending";
    case head_errc::bad_header: return "bad_header";
    case head_errc::bad_content_length: return "bad_content_length";
    case head_errc::unsupported_transfer_encoding: return "unsupported_transfer_encoding";
    case head_errc::too_many_headers: return "too_many_headers";
    case head_errc::conflicting_framing: return "conflicting_framing";
  }
  return "unknown";
}

std::optional<std::string_view> request_head::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

bool request_head::expects_continue() const {
  const auto e = header("expect");
  return e && iequals(*e, "100-continue");
}

bool request_head::keep_alive() const {
  const auto c = header("connection");
  if (c && has_token(*c, "close")) return false;
  if (version_minor == 0) return c && has_token(*c, "keep-alive");
  return true;
}

head_result parse_request_head(std::string_view in, head_limits limits) {
  // Split into CRLF lines first, rejecting any other line ending or NUL.
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\0') return fail(head_errc::bad_line_ending, i);
    if (c == '\r' && (i + 1 >= in.size() || in[i + 1] != '\n'))
      return fail(head_errc::bad_line_ending, i);
    if (c == '\n' && (i == 0 || in[i - 1] != '\r')) return fail(head_errc::bad_line_ending, i);
  }
  std::size_t pos = 0;
  while (in.substr(pos, 2) == "\r\n") pos += 2;  // RFC 9112 §2.2: ignore leading empty lines
  if (pos >= in.size()) return fail(head_errc::empty, pos);

  auto next_line = [&](std::string_view& line) {
    const std::size_t e = in.find("\r\n", pos);
    const std::size_t end = e == std::string_view::npos ? in.size() : e;
    line = in.substr(pos, end - pos);
    const std::size_t start = pos;
    pos = e == std::string_view::npos ? in.size() : e + 2;
    return start;
  };

  head_result r;
  std::string_view line;
  const std::size_t line_start = next_line(line);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(head_errc::bad_request_line, line_start);
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(head_errc::bad_method, line_start);
  if (target.empty()) return fail(head_errc::bad_target, line_start + sp1 + 1);
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto u = static_cast<unsigned char>(target[i]);
    if (u <= 0x20 || u == 0x7f) return fail(head_errc::bad_target, line_start + sp1 + 1 + i);
  }
  if (version == "HTTP/1.1") {
    r.head.version_minor = 1;
  } else if (version == "HTTP/1.0") {
    r.head.version_minor = 0;
  } else {
    return fail(head_errc::bad_version, line_start + sp2 + 1);
  }
  r.head.method = method;
  r.head.target = target;
  std::size_t te_start = std::string_view::npos;  // first Transfer-Encoding line
  std::size_t codings = 0;
  bool chunked_last = false;

  while (pos < in.size()) {
    const std::size_t start = next_line(line);
    if (line.empty()) return fail(head_errc::bad_header, start);  // an empty line inside the head
    if (line.front() == ' ' || line.front() == '\t')
      return fail(head_errc::bad_header, start);  // obs-fold
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(head_errc::bad_header, start);
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name))
      return fail(head_errc::bad_header, start);  // also "Name :" (RFC 9112 §5.1)
    const std::string_view value = trim(line.substr(colon + 1));
    for (std::size_t i = 0; i < value.size(); ++i) {
      const auto u = static_cast<unsigned char>(value[i]);
      if ((u < 0x20 && u != '\t') || u == 0x7f) return fail(head_errc::bad_header, start);
    }
    if (r.head.headers.size() >= limits.max_headers)
      return fail(head_errc::too_many_headers, start);
    if (iequals(name, "content-length")) {
      if (value.empty() || value.size() > 19) return fail(head_errc::bad_content_length, start);
      std::uint64_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return fail(head_errc::bad_content_length, start);
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (n > limits.max_content_length) return fail(head_errc::bad_content_length, start);
      if (r.head.content_length && *r.head.content_length != n)
        return fail(head_errc::bad_content_length, start);
      r.head.content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      if (te_start == std::string_view::npos) te_start = start;
      // Codings across every Transfer-Encoding line, in order (RFC 9110 §5.3).
      std::string_view list = value;
      while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view coding = trim(list.substr(0, comma));
        if (!coding.empty()) {
          ++codings;
          chunked_last = iequals(coding, "chunked");
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
    r.head.headers.emplace_back(std::string(name), std::string(value));
  }
  if (te_start != std::string_view::npos) {
    if (r.head.content_length || r.head.version_minor == 0)
      return fail(head_errc::conflicting_framing, te_start);
    if (codings != 1 || !chunked_last)
      return fail(head_errc::unsupported_transfer_encoding, te_start);
    r.head.chunked = true;
  }
  return r;
}

}  // namespace chatframe::http_example
