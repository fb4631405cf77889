#include <gtest/gtest.h>
#include "chatframe/framer.hpp"
#include "chatframe/outbox.hpp"
#include "chatframe/async_chat.hpp"
struct rec { std::string log; void on_collect(const chatframe::collected& d){ log += "C(" + d.str() + ")"; } void on_found(){ log += "F"; } };
TEST(Smoke, Lines) {
  chatframe::framer f; rec r;
  ASSERT_EQ(f.set_terminator(chatframe::terminator::bytes("\r\n")), chatframe::errc::ok);
  f.feed("ab\r", r); f.feed("\ncd\r\n\r", r);
  EXPECT_EQ(r.log, "C(ab)FC(cd)F");
  EXPECT_EQ(f.held(), "\r");
}
