// chatframe_tools/backend_option.hpp — the --backend option of the tools that
// run on chatframe::reactor.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "chatframe/reactor/backend.hpp"

namespace chatframe_tools {

// --backend select|poll|epoll into `b` (whose value is the default).
inline CLI::Option* add_backend_option(CLI::App& app, chatframe::reactor::backend& b) {
  namespace cr = chatframe::reactor;
  const CLI::Validator known(
      [](std::string& text) -> std::string {
        if (cr::parse_backend(text)) return {};
        return "'" + text + "' is not a backend (select, poll or epoll)";
      },
      "select|poll|epoll", "backend");
  return app
      .add_option_function<std::string>(
          "--backend", [&b](const std::string& text) { b = *cr::parse_backend(text); },
          "the readiness system call the loop waits with")
      ->check(known)
      ->default_str(std::string(cr::to_string(b)));
}

}  // namespace chatframe_tools
