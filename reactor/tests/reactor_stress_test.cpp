// Many concurrent loopback clients, each sending random-chunked "\n" frames
// that must all come back byte for byte, server and clients on one loop.
// 500 clients for poll and epoll; 200 for select, whose fd_set cannot hold a
// descriptor >= FD_SETSIZE (1024) and each client costs two descriptors.
#include <chrono>
#include <cstdio>
#include <random>

#include "reactor_test_support.hpp"

namespace {

using namespace rt;

class stress_client final : public cr::chat_channel {
 public:
  stress_client(cr::loop& l, std::uint16_t port, std::uint32_t seed) : chat_channel(l) {
    (void)set_terminator(chatframe::terminator::bytes("\n"));
    std::mt19937 rng(seed);
    const int frames = 5 + static_cast<int>(rng() % 10);
    for (int i = 0; i < frames; ++i) {
      std::string f(rng() % 1500, '\0');
      for (char& ch : f) ch = static_cast<char>(' ' + rng() % 90);
      expected_.push_back(f);
      sent_ += f + "\n";
    }
    // Pushed in random pieces, so frames straddle sends.
    for (std::size_t pos = 0; pos < sent_.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 700, sent_.size() - pos);
      pieces_.push_back(sent_.substr(pos, n));
      pos += n;
    }
    EXPECT_FALSE(create_socket());
    EXPECT_FALSE(connect("127.0.0.1", port));
  }
  void handle_connect() override {
    for (auto& p : pieces_) push(std::move(p));
  }
  void collect_incoming_data(const chatframe::collected& d) override { d.append_to(cur_); }
  void found_terminator() override {
    got_.push_back(std::move(cur_));
    cur_.clear();
    if (got_.size() == expected_.size()) close();
  }
  [[nodiscard]] bool done() const { return got_.size() == expected_.size(); }
  [[nodiscard]] bool correct() const { return got_ == expected_; }
  [[nodiscard]] std::size_t bytes() const { return sent_.size(); }

 private:
  std::vector<std::string> expected_, got_, pieces_;
  std::string sent_, cur_;
};

class Stress : public ::testing::TestWithParam<loop_kind> {};

TEST_P(Stress, ConcurrentClientsEchoByteForByte) {
  raise_nofile_limit();
  const cr::backend b = GetParam().backend;
  const int n = b == cr::backend::select ? 200 : 500;
  for (bool coalesce : {false, true}) {
    test_loop l(GetParam());
    echo_listener server(l, coalesce);
    std::vector<std::unique_ptr<stress_client>> clients;
    std::size_t bytes = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      clients.push_back(std::make_unique<stress_client>(l, server.local_port(),
                                                        static_cast<std::uint32_t>(i * 7919 + 1)));
      bytes += clients.back()->bytes();
    }
    const bool finished = run_until(
        l,
        [&] {
          for (auto& c : clients)
            if (!c->done()) return false;
          return true;
        },
        std::chrono::seconds(18));
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    int done = 0, correct = 0;
    for (auto& c : clients) {
      done += c->done();
      correct += c->done() && c->correct();
    }
    std::printf(
        "[stress] backend=%s coalesce=%d clients=%d bytes_each_way=%zu seconds=%.2f done=%d\n",
        std::string(cr::to_string(b)).c_str(), coalesce, n, bytes, secs, done);
    EXPECT_TRUE(finished);
    EXPECT_EQ(done, n);
    EXPECT_EQ(correct, n);
    EXPECT_EQ(server.accepted, n);
  }
}

INSTANTIATE_TEST_SUITE_P(Loops, Stress, all_loops, loop_name);

}  // namespace
