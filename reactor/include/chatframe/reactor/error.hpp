/// @file chatframe/reactor/error.hpp
/// Errors the reactor itself reports.
///
/// Failures of system calls are reported as std::error_code in
/// std::system_category() (the errno value, unchanged). The values below are the
/// reactor's own refusals, which no errno describes. Like chatframe::errc they
/// are stable: appended to, never renumbered; `ok` is zero.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

/// chatframe::reactor: asyncore's event loop and async_chat bound to sockets (Linux).
namespace chatframe::reactor {

/// The reactor's own refusals. Stable values: appended to, never renumbered.
enum class errc : std::uint8_t {
  /// Success.
  ok = 0,
  /// The select backend was asked to watch a descriptor >= FD_SETSIZE. fd_set
  /// cannot hold it (FD_SET would write past the set), so the poll is refused
  /// before any set is touched; use the poll or epoll backend instead.
  descriptor_too_large_for_select = 1,
  /// A socket operation on a dispatcher that has no socket.
  not_open = 2,
  /// create_socket()/adopt on a dispatcher that already has one.
  already_open = 3,
  /// bind()/connect() was given a host that is not a dotted IPv4 address or "localhost".
  bad_address = 4,
};

/// A short, stable, lowercase name for the error ("not_open", ...).
[[nodiscard]] std::string_view to_string(errc e) noexcept;
/// The std::error_category of chatframe::reactor::errc (name "chatframe.reactor").
[[nodiscard]] const std::error_category& reactor_category() noexcept;
/// `e` as a std::error_code in reactor_category().
[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), reactor_category()};
}

}  // namespace chatframe::reactor

/// Lets chatframe::reactor::errc convert to std::error_code implicitly.
template <>
struct std::is_error_code_enum<chatframe::reactor::errc> : std::true_type {};
