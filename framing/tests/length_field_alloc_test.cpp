// length_field_alloc_test.cpp — what the length-field decoder allocates,
// counted by a replaced global operator new (this executable only).
//
// tokio#333: tokio-util reserved a buffer of the length a header declared,
// before the body arrived, so one header per connection made each reserve the
// maximum. Here no buffer is ever sized from a declared length: the frame's
// copy grows with the bytes received, and frames that lie in one chunk, or
// pieces, allocate nothing at all.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

#include "chatframe/length_field_framer.hpp"

namespace {
std::size_t g_allocations = 0;
std::size_t g_largest = 0;

void* counted(std::size_t n) {
  ++g_allocations;
  if (n > g_largest) g_largest = n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using chatframe::length_field_framer;

struct allocations {
  std::size_t count = g_allocations;
  std::size_t largest_before = g_largest;
  allocations() { g_largest = 0; }
  [[nodiscard]] std::size_t made() const { return g_allocations - count; }
  [[nodiscard]] static std::size_t largest() { return g_largest; }
  ~allocations() {
    if (largest_before > g_largest) g_largest = largest_before;
  }
};

struct frames {
  std::size_t count = 0;
  void on_frame(std::string_view /*frame*/) noexcept { ++count; }
  void on_error(const chatframe::length_error& /*e*/) noexcept {}
};
struct pieces {
  std::size_t bytes = 0;
  void on_frame_begin(std::uint64_t /*length*/) noexcept {}
  void on_frame_piece(std::string_view p) noexcept { bytes += p.size(); }
  void on_frame_end() noexcept {}
  void on_error(const chatframe::length_error& /*e*/) noexcept {}
};

std::string header(std::uint32_t n) {
  std::string h(4, '\0');
  for (int i = 0; i < 4; ++i) h[3 - i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return h;
}

TEST(LengthFieldAllocation, AHeaderDeclaringHalfAGigabyteReservesNothingForIt) {
  length_field_framer f({.max_frame_length = std::size_t{1} << 30});
  frames h;
  const std::string start = header(512U << 20) + std::string(100, 'x');
  const allocations a;
  (void)f.feed(start, h);
  (void)f.feed(std::string_view(start).substr(4), h);    // 100 more bytes of the body
  EXPECT_LT(allocations::largest(), std::size_t{4096});  // a copy of 200 bytes, grown as they came
  EXPECT_EQ(f.frame_bytes(), 200U);
}

TEST(LengthFieldAllocation, PiecesOfADeclaredGigabyteAllocateNothing) {
  length_field_framer f({.max_frame_length = std::size_t{1} << 30});
  pieces p;
  const std::string start = header(1U << 30) + std::string(4096, 'x');
  const std::string more(4096, 'y');
  const allocations a;
  (void)f.feed(start, p);
  for (int i = 0; i < 100; ++i) (void)f.feed(more, p);
  EXPECT_EQ(a.made(), 0U);
  EXPECT_EQ(p.bytes, 4096U * 101);
}

TEST(LengthFieldAllocation, FramesInsideOneChunkAllocateNothing) {
  length_field_framer f;
  frames h;
  std::string chunk;
  for (int i = 0; i < 1000; ++i) chunk += header(16) + std::string(16, 'r');
  const allocations a;
  (void)f.feed(chunk, h);
  EXPECT_EQ(a.made(), 0U);
  EXPECT_EQ(h.count, 1000U);
}

TEST(LengthFieldAllocation, FramesAcrossChunksAllocateOnlyUntilTheCopyHasGrown) {
  length_field_framer f;
  frames h;
  std::string stream;
  for (int i = 0; i < 1000; ++i) stream += header(100) + std::string(100, 'r');
  // 7-byte chunks: every record is copied; the copy's storage is kept.
  for (std::size_t at = 0; at < 10 * 104; at += 8) (void)f.feed(stream.substr(at, 8), h);
  std::size_t later = 0;
  {
    const allocations a;
    for (std::size_t at = 10 * 104; at < stream.size(); at += 8) {
      const std::string_view chunk = std::string_view(stream).substr(at, 8);
      (void)f.feed(chunk, h);
    }
    later = a.made();
  }
  EXPECT_EQ(later, 0U);
  EXPECT_EQ(h.count, 1000U);
}

}  // namespace
