// chatframe_tools/server_limits.hpp — the limits every server on
// chatframe::reactor takes from its command line: how many connections, how
// long a connection may sit idle or stall its output, and how much memory one
// connection may hold. The defaults are nginx's (keepalive_timeout 75 s,
// send_timeout 60 s) and chat_channel's (a 1 MiB / 512 KiB budget).
#pragma once

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstddef>
#include <string>

#include "chatframe/reactor/chat_channel.hpp"
#include "chatframe_tools/cli.hpp"

namespace chatframe_tools {

struct server_limits {
  std::size_t max_connections = 0;  // 0: what RLIMIT_NOFILE allows (default_max_connections)
  double idle_timeout_s = 75;       // nginx keepalive_timeout
  double send_timeout_s = 60;       // nginx send_timeout
  std::size_t high_water = chatframe::budget_options{}.high_water;

  [[nodiscard]] chatframe::reactor::channel_timeouts timeouts() const {
    return {.idle = milliseconds(idle_timeout_s), .write_stall = milliseconds(send_timeout_s)};
  }
  [[nodiscard]] chatframe::budget_options budget() const {
    return {.high_water = high_water, .low_water = high_water / 2};
  }
  // Seconds (fractions allowed) as whole milliseconds, at least 1 unless 0.
  static std::chrono::milliseconds milliseconds(double seconds) {
    const auto ms = static_cast<long long>(seconds * 1000.0 + 0.5);
    return std::chrono::milliseconds(seconds > 0 && ms == 0 ? 1 : ms);
  }
};

// A duration in seconds: "60", "0.5".
inline CLI::Option* add_seconds(CLI::App& app, const std::string& name, double& seconds,
                                const std::string& what) {
  return app.add_option(name, seconds, what)
      ->transform(real(0, 86400.0 * 365))
      ->capture_default_str();
}

// --max-connections, IDLE_NAME (--idle-timeout or, for HTTP, --keepalive-timeout),
// --send-timeout and --high-water.
inline void add_limit_options(CLI::App& app, server_limits& l,
                              const std::string& idle_name = "--idle-timeout") {
  app.add_option("--max-connections", l.max_connections,
                 "connections served at once; more are accepted and closed (0: the descriptor "
                 "limit allows)")
      ->transform(decimal(0, std::size_t{1} << 30))
      ->capture_default_str();
  add_seconds(app, idle_name, l.idle_timeout_s,
              "close a connection with nothing to send that received nothing for this long "
              "(seconds; 0: never)");
  add_seconds(app, "--send-timeout", l.send_timeout_s,
              "close a connection whose output waits and none of it was sent for this long "
              "(seconds; 0: never)");
  app.add_option("--high-water", l.high_water,
                 "stop reading a connection holding this many bytes (queued output and input "
                 "being framed); resume below half")
      ->transform(decimal(1024, std::size_t{1} << 40))
      ->capture_default_str();
}

// What RLIMIT_NOFILE allows, less `reserve` descriptors (the listener, files,
// the spare dispatcher::listen() keeps for EMFILE).
inline std::size_t default_max_connections(std::size_t reserve) {
  rlimit r{};
  const std::size_t nofile =
      ::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY ? r.rlim_cur : 1024;
  return nofile > 2 * reserve ? nofile - reserve : reserve;
}

}  // namespace chatframe_tools
