// Every corpus scenario, replayed through chatframe, gives CPython's trace:
// exactly (every event, every collect boundary) with single sends, and at the
// frame level with gathered sends.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "chatframe/conformance/replay.hpp"
#include "chatframe/conformance/scenario.hpp"

namespace cf = chatframe::conformance;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<std::string> corpus_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(CHATFRAME_CORPUS_DIR))
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct loaded {
  cf::scenario scenario;
  std::vector<cf::event> golden;
};

loaded load(const std::string& name) {
  const fs::path dir = CHATFRAME_CORPUS_DIR;
  loaded l;
  const cf::parse_result parsed = cf::parse_scenario(slurp(dir / (name + ".json")));
  EXPECT_TRUE(parsed.value) << name << ": " << parsed.error;
  if (parsed.value) l.scenario = *parsed.value;
  std::string error;
  EXPECT_TRUE(cf::parse_trace(slurp(dir / (name + ".trace")), l.golden, error))
      << name << ": " << error;
  return l;
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

class corpus : public testing::TestWithParam<std::string> {};

TEST(Corpus, HoldsAtLeastFiveHundredScenarios) { EXPECT_GE(corpus_names().size(), 500u); }

TEST_P(corpus, ReplayMatchesCPythonExactly) {
  const loaded l = load(GetParam());
  const auto ours = cf::replay(l.scenario, cf::send_mode::single);
  EXPECT_EQ(cf::format_trace(ours), cf::format_trace(l.golden));
}

// Send caps apply per send() call and gathering makes fewer calls, so only
// scenarios without caps can be compared event by event at the frame level.
class corpus_without_caps : public testing::TestWithParam<std::string> {};

TEST_P(corpus_without_caps, GatheredSendsMatchCPythonAtFrameLevel) {
  const loaded l = load(GetParam());
  ASSERT_TRUE(l.scenario.send_caps.empty());
  const auto ours = cf::frame_level(cf::replay(l.scenario, cf::send_mode::gather));
  EXPECT_EQ(cf::format_trace(ours), cf::format_trace(cf::frame_level(l.golden)));
}

std::string accepted_bytes(const std::vector<cf::event>& trace) {
  std::string out;
  for (const cf::event& e : trace)
    if (e.type == cf::event::kind::send) out += e.data.substr(0, static_cast<std::size_t>(e.sent));
  return out;
}

// With caps, gathered sends still carry CPython's bytes in CPython's order:
// the same stream when the output runs to its end, and one stream a prefix
// of the other when end of stream closes the channel before the queue drained.
TEST_P(corpus, GatheredSendsCarryCPythonsBytes) {
  const loaded l = load(GetParam());
  const std::string ours = accepted_bytes(cf::replay(l.scenario, cf::send_mode::gather));
  const std::string theirs = accepted_bytes(l.golden);
  const bool stream_can_end_early =
      l.scenario.eof || std::any_of(l.scenario.recv.begin(), l.scenario.recv.end(),
                                    [](const std::string& c) { return c.empty(); });
  if (stream_can_end_early) {
    const std::size_t n = std::min(ours.size(), theirs.size());
    EXPECT_EQ(ours.substr(0, n), theirs.substr(0, n));
  } else {
    EXPECT_EQ(ours, theirs);
  }
}

std::vector<std::string> names_without_caps() {
  std::vector<std::string> out;
  for (const std::string& name : corpus_names()) {
    const loaded l = load(name);
    if (l.scenario.send_caps.empty()) out.push_back(name);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, corpus_without_caps, testing::ValuesIn(names_without_caps()),
                         test_name);
INSTANTIATE_TEST_SUITE_P(Scenarios, corpus, testing::ValuesIn(corpus_names()), test_name);

}  // namespace
