// conformance/src/excerpt.hpp — the start of a text, for an error message.
//
// Internal to the conformance library. Messages quote the offending input,
// which may be megabytes long; they quote at most `limit` bytes of it, cut
// at a UTF-8 character boundary so that the message stays valid UTF-8 (the
// replay tool's --batch mode prints it inside JSON).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chatframe::conformance::detail {

inline std::string excerpt(std::string_view text, std::size_t limit = 60) {
  if (text.size() <= limit) return std::string(text);
  std::size_t cut = limit - 3;
  // Back off over continuation bytes (10xxxxxx) to the start of a character.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

}  // namespace chatframe::conformance::detail
