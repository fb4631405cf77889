// request_head: valid heads, every error value, and no crash on any prefix.
#include <gtest/gtest.h>

#include "request_head.hpp"

using namespace chatframe::http_example;

TEST(RequestHead, ParsesRequestLineAndHeaders) {
  auto r = parse_request_head("GET /a?b HTTP/1.1\r\nHost: x\r\nX-A:  v  ");
  ASSERT_EQ(r.error, head_errc::ok);
  EXPECT_EQ(r.head.method, "GET");
  EXPECT_EQ(r.head.target, "/a?b");
  EXPECT_EQ(r.head.version_minor, 1);
  EXPECT_EQ(r.head.header("host"), "x");
  EXPECT_EQ(r.head.header("x-a"), "v");
  EXPECT_TRUE(r.head.keep_alive());
}

TEST(RequestHead, SkipsLeadingEmptyLines) {
  EXPECT_EQ(parse_request_head("\r\n\r\nGET / HTTP/1.0").error, head_errc::ok);
}

TEST(RequestHead, KeepAliveRules) {
  EXPECT_FALSE(parse_request_head("GET / HTTP/1.1\r\nConnection: close").head.keep_alive());
  EXPECT_FALSE(parse_request_head("GET / HTTP/1.0").head.keep_alive());
  EXPECT_TRUE(parse_request_head("GET / HTTP/1.0\r\nConnection: Keep-Alive").head.keep_alive());
}

TEST(RequestHead, ContentLength) {
  auto r = parse_request_head("POST / HTTP/1.1\r\nContent-Length: 42");
  ASSERT_EQ(r.error, head_errc::ok);
  EXPECT_EQ(r.head.content_length, 42u);
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 4x").error,
            head_errc::bad_content_length);
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2").error,
            head_errc::bad_content_length);
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999").error,
            head_errc::bad_content_length);
}

TEST(RequestHead, TransferEncodingIsExactlyChunkedAndNeverWithContentLength) {
  auto r = parse_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked");
  ASSERT_EQ(r.error, head_errc::ok);
  EXPECT_TRUE(r.head.chunked);
  EXPECT_FALSE(r.head.content_length);
  EXPECT_TRUE(parse_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: , chunked ,").head.chunked);
  EXPECT_FALSE(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 3").head.chunked);
  for (const char* te : {"gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", "xchunked",
                         "chunked;q=1", ""}) {
    EXPECT_EQ(parse_request_head(std::string("POST / HTTP/1.1\r\nTransfer-Encoding: ") + te).error,
              head_errc::unsupported_transfer_encoding)
        << te;
  }
  // Split over two lines, the codings are still read as one list.
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                               "Transfer-Encoding: gzip")
                .error,
            head_errc::unsupported_transfer_encoding);
  auto both = parse_request_head(
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nHost: h\r\nTransfer-Encoding: chunked");
  EXPECT_EQ(both.error, head_errc::conflicting_framing);
  EXPECT_EQ(both.position, 45u);  // the Transfer-Encoding line
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3")
                .error,
            head_errc::conflicting_framing);
  EXPECT_EQ(parse_request_head("POST / HTTP/1.0\r\nTransfer-Encoding: chunked").error,
            head_errc::conflicting_framing);
}

TEST(RequestHead, ExpectIsComparedCaseInsensitively) {
  EXPECT_TRUE(
      parse_request_head("POST / HTTP/1.1\r\nExpect: 100-Continue").head.expects_continue());
  EXPECT_TRUE(
      parse_request_head("POST / HTTP/1.1\r\nexpect: 100-CONTINUE").head.expects_continue());
  EXPECT_FALSE(
      parse_request_head("POST / HTTP/1.1\r\nExpect: 100-continued").head.expects_continue());
  EXPECT_FALSE(parse_request_head("POST / HTTP/1.1").head.expects_continue());
}

TEST(RequestHead, Errors) {
  EXPECT_EQ(parse_request_head("").error, head_errc::empty);
  EXPECT_EQ(parse_request_head("\r\n").error, head_errc::empty);
  EXPECT_EQ(parse_request_head("GARBAGE").error, head_errc::bad_request_line);
  EXPECT_EQ(parse_request_head("GET  / HTTP/1.1").error, head_errc::bad_request_line);
  EXPECT_EQ(parse_request_head("G(T / HTTP/1.1").error, head_errc::bad_method);
  EXPECT_EQ(parse_request_head("GET / HTTP/2.0").error, head_errc::bad_version);
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\nHost: x").error, head_errc::bad_line_ending);
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nHost x").error, head_errc::bad_header);
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nHost : x").error, head_errc::bad_header);
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nA: b\r\n c").error, head_errc::bad_header);
  auto r = parse_request_head("GET / HTTP/1.1\r\nA: b\r\nBad");
  EXPECT_EQ(r.error, head_errc::bad_header);
  EXPECT_EQ(r.position, 22u);  // the start of the bad line
  std::string many = "GET / HTTP/1.1";
  for (int i = 0; i < 101; ++i) many += "\r\nH" + std::to_string(i) + ": v";
  EXPECT_EQ(parse_request_head(many).error, head_errc::too_many_headers);
}

TEST(RequestHead, EveryPrefixAndByteIsHandled) {
  const std::string good = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close";
  for (std::size_t n = 0; n <= good.size(); ++n) (void)parse_request_head(good.substr(0, n));
  for (int c = 0; c < 256; ++c) {
    std::string s = good;
    for (std::size_t i = 0; i < s.size(); i += 7) {
      std::string t = s;
      t[i] = static_cast<char>(c);
      (void)parse_request_head(t);
    }
  }
  SUCCEED();
}
