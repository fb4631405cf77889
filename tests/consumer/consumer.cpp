// Frames two lines with chatframe as a user's project would; exits non-zero if
// it cannot. Built by every packaging test (find_package with components,
// pkg-config, add_subdirectory, FetchContent, a shared-library install).
//   CONSUMER_WITH_REACTOR  also uses chatframe::reactor
//   CONSUMER_CXX23         must be compiled as C++23 (the consumer's -std wins)
#include <chatframe/framer.hpp>
#include <chatframe/version.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#ifdef CONSUMER_WITH_REACTOR
#include <chatframe/reactor/backend.hpp>
#endif

#ifdef CONSUMER_CXX23
static_assert(__cplusplus > 202002L, "compiled as C++23, as the consumer asked");
#endif
static_assert(CHATFRAME_VERSION >= CHATFRAME_VERSION_OF(0, 1, 0), "chatframe/version.hpp");

struct lines {
  std::string current;
  std::vector<std::string> done;
  void on_collect(const chatframe::collected& d) { d.append_to(current); }
  void on_found() {
    done.push_back(current);
    current.clear();
  }
};

int main() {
  chatframe::framer f;
  if (f.set_terminator(chatframe::terminator::bytes("\r\n")) != chatframe::errc::ok) return 1;
  lines h;
  f.feed("hello\r", h);
  f.feed("\nworld\r\n", h);
  bool ok = h.done == std::vector<std::string>{"hello", "world"};
  ok = ok && std::strchr(chatframe::version_string, '.') != nullptr;
#ifdef CONSUMER_WITH_REACTOR
  const auto b = chatframe::reactor::parse_backend("epoll");
  ok = ok && b && chatframe::reactor::to_string(*b) == "epoll";
#endif
  std::printf("consumer (chatframe %s): %s\n", chatframe::version_string,
              ok ? "framed 2 lines" : "WRONG");
  return ok ? 0 : 1;
}
