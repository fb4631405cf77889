// Frames two lines with an installed chatframe; exits non-zero if it cannot.
#include <chatframe/framer.hpp>
#include <cstdio>
#include <string>
#include <vector>

struct lines {
  std::string current;
  std::vector<std::string> done;
  void on_collect(const chatframe::collected& d) { d.append_to(current); }
  void on_found() { done.push_back(current); current.clear(); }
};

int main() {
  chatframe::framer f;
  if (f.set_terminator(chatframe::terminator::bytes("\r\n")) != chatframe::errc::ok) return 1;
  lines h;
  f.feed("hello\r", h);
  f.feed("\nworld\r\n", h);
  const bool ok = h.done == std::vector<std::string>{"hello", "world"};
  std::printf("consumer: %s\n", ok ? "framed 2 lines" : "WRONG");
  return ok ? 0 : 1;
}
