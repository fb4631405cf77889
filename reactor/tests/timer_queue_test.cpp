// timer_queue: deadlines fire exactly when due, never early, never twice;
// moving a deadline later costs no heap work; 10^5 timers cost O(n log n)
// sifts in all. Sans-IO: every time below is made up, so every run is the same.
#include "chatframe/reactor/timer_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

namespace {

namespace cr = chatframe::reactor;
using std::chrono::milliseconds;

const cr::time_point t0{};
cr::time_point at(long ms) { return t0 + milliseconds(ms); }

struct tagged : cr::timer {
  explicit tagged(int i = 0) : id(i) {}
  int id;
};

// Expires at `now`, returning the ids fired, in firing order.
std::vector<int> expire(cr::timer_queue& q, cr::time_point now) {
  std::vector<int> ids;
  q.expire(now, [&](cr::timer& t) { ids.push_back(static_cast<tagged&>(t).id); });
  return ids;
}

TEST(TimerQueue, FiresWhenDueAndNotBefore) {
  cr::timer_queue q;
  tagged a{1}, b{2}, c{3};
  q.arm(a, at(30));
  q.arm(b, at(10));
  q.arm(c, at(20));
  EXPECT_EQ(q.next(), at(10));
  EXPECT_TRUE(expire(q, at(9)).empty());
  EXPECT_EQ(expire(q, at(20)), (std::vector<int>{2, 3}));
  EXPECT_FALSE(b.armed());
  EXPECT_TRUE(a.armed());
  EXPECT_EQ(expire(q, at(30)), (std::vector<int>{1}));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.next(), std::nullopt);
}

TEST(TimerQueue, MovingADeadlineLaterIsAStoreAndFiresAtTheNewTime) {
  cr::timer_queue q;
  tagged a{1};
  q.arm(a, at(10));
  const auto sifts = q.stats().sifts;
  for (int i = 1; i <= 100; ++i) q.arm(a, at(10 + i));
  EXPECT_EQ(q.stats().sifts, sifts) << "a later deadline moved heap entries";
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.next(), at(10)) << "the key may lag behind the deadline";
  EXPECT_TRUE(expire(q, at(50)).empty());
  EXPECT_EQ(q.stats().postponed, 1u);
  EXPECT_EQ(q.next(), at(110));
  EXPECT_TRUE(expire(q, at(109)).empty());
  EXPECT_EQ(expire(q, at(110)), (std::vector<int>{1}));
}

TEST(TimerQueue, MovingADeadlineEarlierTakesEffectAtOnce) {
  cr::timer_queue q;
  tagged a{1}, b{2};
  q.arm(a, at(100));
  q.arm(b, at(50));
  q.arm(a, at(20));
  EXPECT_EQ(q.next(), at(20));
  EXPECT_EQ(expire(q, at(20)), (std::vector<int>{1}));
}

TEST(TimerQueue, CancelAndDestructionDisarm) {
  cr::timer_queue q;
  tagged a{1};
  q.arm(a, at(10));
  {
    tagged gone{2};
    q.arm(gone, at(5));
    EXPECT_EQ(q.size(), 2u);
  }  // destroyed while armed: leaves the queue
  EXPECT_EQ(q.size(), 1u);
  q.cancel(a);
  q.cancel(a);  // twice is nothing
  EXPECT_FALSE(a.armed());
  EXPECT_TRUE(expire(q, at(100)).empty());

  tagged outlives;
  {
    cr::timer_queue short_lived;
    short_lived.arm(outlives, at(1));
    EXPECT_TRUE(outlives.armed());
  }
  EXPECT_FALSE(outlives.armed()) << "a destroyed queue left its timer armed";
}

TEST(TimerQueue, ATimerMovesBetweenQueues) {
  cr::timer_queue q1, q2;
  tagged a{1};
  q1.arm(a, at(10));
  q2.arm(a, at(20));
  EXPECT_TRUE(q1.empty());
  EXPECT_EQ(expire(q2, at(20)), (std::vector<int>{1}));
}

TEST(TimerQueue, ATimerRearmedInsideItsCallbackFiresInTheNextCall) {
  cr::timer_queue q;
  tagged a{1};
  q.arm(a, at(10));
  int calls = 0;
  auto rearm = [&](cr::timer& t) {
    ++calls;
    q.arm(t, at(10));  // already due: must not fire again in this call
  };
  EXPECT_EQ(q.expire(at(10), rearm), 1u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(q.expire(at(10), rearm), 1u);
  EXPECT_EQ(calls, 2);
}

TEST(TimerQueue, ACallbackMayCancelOrArmOthers) {
  cr::timer_queue q;
  tagged a{1}, b{2}, c{3};
  q.arm(a, at(1));
  q.arm(b, at(2));
  std::vector<int> fired;
  q.expire(at(5), [&](cr::timer& t) {
    fired.push_back(static_cast<tagged&>(t).id);
    if (&t == &a) {
      q.cancel(b);
      q.arm(c, at(100));
    }
  });
  EXPECT_EQ(fired, (std::vector<int>{1}));
  EXPECT_FALSE(b.armed());
  EXPECT_TRUE(c.armed());
}

// The reference model: a map from timer to deadline; expire(now) fires
// exactly the timers due at now. The heap must fire the same sets.
TEST(TimerQueue, RandomProgramsFireWhatAPlainMapFires) {
  for (std::uint32_t seed = 1; seed <= 50; ++seed) {
    std::mt19937 rng(seed);
    constexpr int n = 64;
    std::vector<std::unique_ptr<tagged>> timers;
    for (int i = 0; i < n; ++i) {
      timers.push_back(std::make_unique<tagged>(i));
    }
    cr::timer_queue q;
    std::map<int, long> model;
    long now = 0;
    for (int step = 0; step < 2000; ++step) {
      const int i = static_cast<int>(rng() % n);
      switch (rng() % 4) {
        case 0:
        case 1: {
          const long when = now + static_cast<long>(rng() % 200) - 20;
          q.arm(*timers[i], at(when));
          model[i] = when;
          break;
        }
        case 2:
          q.cancel(*timers[i]);
          model.erase(i);
          break;
        default: {
          now += static_cast<long>(rng() % 50);
          std::vector<int> got = expire(q, at(now));
          std::sort(got.begin(), got.end());
          std::vector<int> want;
          for (auto it = model.begin(); it != model.end();) {
            if (it->second <= now) {
              want.push_back(it->first);
              it = model.erase(it);
            } else {
              ++it;
            }
          }
          ASSERT_EQ(got, want) << "seed " << seed << " step " << step;
        }
      }
      ASSERT_EQ(q.size(), model.size());
      for (int k = 0; k < n; ++k) ASSERT_EQ(timers[k]->armed(), model.count(k) == 1);
    }
  }
}

// What a server with 10^5 connections does: every connection's idle deadline
// is pushed later by activity many times, then they all run out.
TEST(TimerQueue, HundredThousandTimersCostNLogNSiftsWhateverTheMoves) {
  constexpr std::size_t n = 100000;
  constexpr int moves = 20;
  std::mt19937 rng(7);
  std::vector<tagged> timers(n);
  cr::timer_queue q;
  for (std::size_t i = 0; i < n; ++i) {
    timers[i].id = static_cast<int>(i);
    q.arm(timers[i], at(75000 + static_cast<long>(rng() % 1000)));
  }
  const double log_n = std::ceil(std::log2(static_cast<double>(n)));
  const auto arm_sifts = q.stats().sifts;
  EXPECT_LE(arm_sifts, static_cast<std::uint64_t>(n * log_n));

  // Activity: each deadline moves later `moves` times. No heap work at all.
  std::vector<long> deadline(n);
  for (int m = 1; m <= moves; ++m) {
    for (std::size_t i = 0; i < n; ++i) {
      deadline[i] = 75000 + m * 1000 + static_cast<long>(rng() % 1000);
      q.arm(timers[i], at(deadline[i]));
    }
  }
  EXPECT_EQ(q.stats().sifts, arm_sifts) << "moving deadlines later cost heap work";
  EXPECT_EQ(q.size(), n);

  // Then time runs out for all of them, in 1 ms steps: each timer is
  // postponed at most once (its stale key reaching the top) and fired once.
  std::size_t fired = 0;
  long prev = 0;
  bool early = false, late = false;
  for (long now = 0; fired < n && now <= 200000; now += 1) {
    q.expire(at(now), [&](cr::timer& t) {
      const long d = deadline[static_cast<std::size_t>(static_cast<tagged&>(t).id)];
      early = early || d > now;
      late = late || d <= prev;
      ++fired;
    });
    prev = now;
  }
  EXPECT_EQ(fired, n);
  EXPECT_FALSE(early) << "a timer fired before its deadline";
  EXPECT_FALSE(late) << "a timer fired after a call that was already past its deadline";
  EXPECT_LE(q.stats().postponed, n);
  EXPECT_LE(q.stats().sifts, static_cast<std::uint64_t>(3 * n * log_n));
  std::printf("[timers] n=%zu moves=%d sifts=%llu (arm %llu) postponed=%llu bound=%.0f\n", n, moves,
              static_cast<unsigned long long>(q.stats().sifts),
              static_cast<unsigned long long>(arm_sifts),
              static_cast<unsigned long long>(q.stats().postponed), 3 * n * log_n);
}

}  // namespace
