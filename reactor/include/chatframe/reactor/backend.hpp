/// @file chatframe/reactor/backend.hpp
/// Which readiness system call a loop uses.
///
/// asyncore offers select() and poll() (asyncore.py: poll, poll2); epoll is the
/// Linux scalable one. All three deliver the same events to dispatchers; they
/// differ only in order within one iteration (see loop.hpp) and in limits:
/// select cannot watch a descriptor >= FD_SETSIZE (1024 on glibc).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace chatframe::reactor {

/// The readiness system call a loop waits with.
enum class backend : std::uint8_t {
  select = 0,  ///< select(2): asyncore's default; descriptors below FD_SETSIZE only
  poll = 1,    ///< poll(2): asyncore's poll2
  epoll = 2    ///< epoll(7): Linux's scalable one
};

/// "select", "poll" or "epoll".
[[nodiscard]] std::string_view to_string(backend b) noexcept;
/// "select" | "poll" | "epoll" -> the backend; anything else -> nullopt.
[[nodiscard]] std::optional<backend> parse_backend(std::string_view name) noexcept;

}  // namespace chatframe::reactor
