// chatframe_tools/cli.hpp — what every chatframe tool's command line shares.
//
// The tools parse their arguments with CLI11 and behave alike:
//   - `--help` prints the usage on stdout and exits 0;
//   - a usage error (unknown flag, trailing argument, missing or malformed
//     value, value out of range) prints "TOOL: what was wrong" and a pointer
//     to --help on stderr and exits 2 (exit_usage);
//   - a runtime error (a file that cannot be read, a port in use, a refused
//     connection) prints "TOOL: what failed: why" in words and exits 1.
// Numbers are decimal only: no sign, no "0x" or leading-zero octal (CLI11
// alone reads "010" as 8), no trailing characters, and within their range.
#pragma once

#include <arpa/inet.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>

namespace chatframe_tools {

inline constexpr int exit_failure = 1;  // runtime error
inline constexpr int exit_usage = 2;    // bad command line

// Prints "TOOL: message" and where to find the usage; returns exit_usage.
inline int usage_error(const CLI::App& app, const std::string& message) {
  std::cerr << app.get_name() << ": " << message << "\nRun '" << app.get_name()
            << " --help' for usage.\n";
  return exit_usage;
}

// Parses the command line into `app`. Empty: go on. Otherwise the tool's exit
// status: 0 after --help (the usage is printed), exit_usage after an error.
inline std::optional<int> parse(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {  // --help: CLI11 prints it, status 0
    return app.exit(help);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e.what());
  }
  return std::nullopt;
}

// A decimal integer in [lo, hi], as a CLI11 transform: the text is checked
// (digits, with a '-' only when lo < 0; in range) and rewritten without
// leading zeros, so that the conversion into the option's integer type cannot
// read it in another base.
inline CLI::Validator decimal(std::int64_t lo, std::uint64_t hi) {
  const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  return {[lo, hi, range](std::string& text) -> std::string {
            const bool negative = lo < 0 && text.size() > 1 && text.front() == '-';
            const std::string digits = negative ? text.substr(1) : text;
            std::uint64_t v = 0;
            const char* const end = digits.data() + digits.size();
            const auto [stop, ec] = std::from_chars(digits.data(), end, v);
            if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
                stop != end)
              return "'" + text + "' is not a decimal number";
            // -v >= lo  <=>  v <= -lo, computed without overflow.
            const bool in_range = negative
                                      ? v <= 0 - static_cast<std::uint64_t>(lo)
                                      : v <= hi && (lo <= 0 || v >= static_cast<std::uint64_t>(lo));
            if (ec == std::errc::result_out_of_range || !in_range)
              return "'" + text + "' is out of range " + range;
            text = (negative && v != 0 ? "-" : "") + std::to_string(v);
            return {};
          },
          "INT in " + range, "decimal"};
}

// A finite decimal number in [lo, hi] ("0.5", "5", "1e-3"; no nan or inf).
inline CLI::Validator real(double lo, double hi) {
  const std::string range = CLI::detail::to_string(lo) + ".." + CLI::detail::to_string(hi);
  return {[lo, hi, range](std::string& text) -> std::string {
            char* stop = nullptr;
            const double v = text.empty() ? NAN : std::strtod(text.c_str(), &stop);
            if (!std::isfinite(v) || stop != text.c_str() + text.size())
              return "'" + text + "' is not a number";
            if (v < lo || v > hi) return "'" + text + "' is out of range " + range;
            return {};
          },
          "NUMBER in " + range, "real"};
}

// A TCP port to listen on: 0..65535, 0 asks the OS for any free port.
inline CLI::Validator listen_port() { return decimal(0, 65535).description("PORT (0: any)"); }
// A TCP port to connect to: 1..65535.
inline CLI::Validator connect_port() { return decimal(1, 65535).description("PORT"); }

// A host the tools can use: a dotted IPv4 address, or "localhost".
inline CLI::Validator ipv4_host() {
  return {[](std::string& text) -> std::string {
            in_addr a{};
            if (text == "localhost" || ::inet_pton(AF_INET, text.c_str(), &a) == 1) return {};
            return "'" + text + "' is not a dotted IPv4 address (nor localhost)";
          },
          "IPv4", "ipv4_host"};
}

}  // namespace chatframe_tools
