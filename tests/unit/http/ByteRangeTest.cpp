#include "http/ByteRange.h"

#include <gtest/gtest.h>

namespace cs::http {
namespace {

using Kind = ByteRange::Kind;

void expectPartial(std::string_view value, uint64_t size, uint64_t first, uint64_t length) {
  const auto r = parseByteRange(value, size);
  EXPECT_EQ(r.kind, Kind::Partial) << value;
  EXPECT_EQ(r.first, first) << value;
  EXPECT_EQ(r.length, length) << value;
}

void expectKind(std::string_view value, uint64_t size, Kind kind) {
  EXPECT_EQ(parseByteRange(value, size).kind, kind) << value;
}

// RFC 9110 §14.1.2's examples, on a 10,000-byte representation.
TEST(ByteRange, TheRfcExamples) {
  expectPartial("bytes=0-499", 10000, 0, 500);
  expectPartial("bytes=500-999", 10000, 500, 500);
  expectPartial("bytes=-500", 10000, 9500, 500);
  expectPartial("bytes=9500-", 10000, 9500, 500);
  expectPartial("bytes=0-0", 10000, 0, 1);
  expectPartial("bytes=-1", 10000, 9999, 1);
}

TEST(ByteRange, ClampsToTheEnd) {
  expectPartial("bytes=100-99999", 1000, 100, 900);
  expectPartial("bytes=-5000", 1000, 0, 1000);  // a suffix longer than the file: all of it
  expectPartial("bytes=999-999999999999999999999999", 1000, 999, 1);  // saturates, no overflow
  expectPartial("BYTES=1-2", 1000, 1, 2);                             // units are case-insensitive
  expectPartial("  bytes=1-2\t", 1000, 1, 2);
}

TEST(ByteRange, UnsatisfiableRangesAreRefused) {
  expectKind("bytes=1000-", 1000, Kind::Unsatisfiable);
  expectKind("bytes=5000-6000", 1000, Kind::Unsatisfiable);
  expectKind("bytes=99999999999999999999999999-", 1000, Kind::Unsatisfiable);
  expectKind("bytes=-0", 1000, Kind::Unsatisfiable);
  expectKind("bytes=0-", 0, Kind::Unsatisfiable);
}

TEST(ByteRange, AnythingElseMeansTheWholeFile) {
  for (std::string_view v :
       {"", "bytes=", "bytes=-", "bytes=5", "bytes=5-4", "bytes=a-b", "bytes=1-2x", "bytes=+1-2",
        "bytes=0-1,5-6", "bytes=0-1,", "bytes=,0-1", "items=0-1", "bytes 0-1", "bytes=0--1",
        "bytes=-1-2", "bytes=1 - 2", "bytes=0x10-"})
    expectKind(v, 1000, Kind::Whole);
  // An empty file has no last n bytes to select: it is sent as it is.
  expectKind("bytes=-5", 0, Kind::Whole);
}

}  // namespace
}  // namespace cs::http
