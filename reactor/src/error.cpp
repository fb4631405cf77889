#include "chatframe/reactor/error.hpp"
#include "chatframe/reactor/backend.hpp"

#include <string>

namespace chatframe::reactor {

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::descriptor_too_large_for_select: return "descriptor_too_large_for_select";
    case errc::not_open: return "not_open";
    case errc::already_open: return "already_open";
    case errc::bad_address: return "bad_address";
  }
  return "unknown";
}

namespace {
class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "chatframe.reactor"; }
  std::string message(int v) const override { return std::string(to_string(static_cast<errc>(v))); }
};
}  // namespace

const std::error_category& reactor_category() noexcept {
  static const category c;
  return c;
}

std::string_view to_string(backend b) noexcept {
  switch (b) {
    case backend::select: return "select";
    case backend::poll: return "poll";
    case backend::epoll: return "epoll";
  }
  return "unknown";
}

std::optional<backend> parse_backend(std::string_view name) noexcept {
  if (name == "select") return backend::select;
  if (name == "poll") return backend::poll;
  if (name == "epoll") return backend::epoll;
  return std::nullopt;
}

}  // namespace chatframe::reactor
