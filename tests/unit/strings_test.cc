#include "common/base/strings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/known_bug.h"

namespace muster {
namespace {

// ---- Split / Join / ToLower ------------------------------------------------------

TEST(Split, Basic) {
  EXPECT_EQ(Split("a,b,c", ','), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Split("abc", ','), (std::vector<std::string>{"abc"}));
}

TEST(Split, EmptyFieldsAreKept) {
  EXPECT_EQ(Split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(Split(",", ','), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(Split("a,,b,", ','), (std::vector<std::string>{"a", "", "b", ""}));
  EXPECT_EQ(Split(",a", ','), (std::vector<std::string>{"", "a"}));
}

TEST(Join, Basic) {
  EXPECT_EQ(Join({}, ","), "");
  EXPECT_EQ(Join({"a"}, ","), "a");
  EXPECT_EQ(Join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(Join({"", ""}, "-"), "-");
}

TEST(SplitJoin, JoinInvertsSplit) {
  std::mt19937 rng(1);
  const std::string alphabet = "ab,";
  for (int i = 0; i < 500; ++i) {
    std::string s;
    for (int k = rng() % 12; k > 0; --k) s += alphabet[rng() % alphabet.size()];
    EXPECT_EQ(Join(Split(s, ','), ","), s);
    EXPECT_EQ(Split(s, ',').size(), static_cast<size_t>(std::count(s.begin(), s.end(), ',')) + 1);
  }
}

TEST(ToLower, Ascii) {
  EXPECT_EQ(ToLower("PeNdInG-1_X"), "pending-1_x");
  EXPECT_EQ(ToLower(""), "");
  EXPECT_EQ(ToLower("\xC3\x89"), "\xC3\x89");  // bytes >= 0x80 untouched
}

// ---- ParseDuration ------------------------------------------------------------------

TEST(ParseDuration, Units) {
  struct Case {
    const char* in;
    Duration want;
  };
  const Case cases[] = {
      {"90s", 90 * kSecond},
      {"10m", 10 * kMinute},
      {"2h", 2 * kHour},
      {"1d", kDay},
      {"1h30m", 90 * kMinute},
      {"1d2h3m4s", kDay + 2 * kHour + 3 * kMinute + 4 * kSecond},
      {"0s", 0},
      {"45", 45 * kSecond},
      {"0", 0},
      {"007", 7 * kSecond},
      {"01:02:03", kHour + 2 * kMinute + 3 * kSecond},
      {"02:03", 2 * kMinute + 3 * kSecond},
      {"0:00", 0},
      {"100:00:00", 100 * kHour},
  };
  for (const auto& c : cases) {
    auto r = ParseDuration(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.want) << c.in;
  }
}

TEST(ParseDuration, Errors) {
  for (const char* in : {"",    "abc", "5x",      "-1", "1h-", "::",   "h",   "1.5h", "1 h",  " 1h",
                         "1h ", "+5",  "1:2:3:4", ":5", "5:",  "1:-2", "1:x", "m30",  "30ms", "1H"}) {
    auto r = ParseDuration(in);
    EXPECT_FALSE(r.ok()) << "'" << in << "' parsed as " << (r.ok() ? *r : 0);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(r.status().message().find(in), std::string::npos) << r.status().message();
    }
  }
}

TEST(ParseDuration, TooLongInputRejected) { EXPECT_FALSE(ParseDuration(std::string(65, '1')).ok()); }

// Durations are capped at 100 years: longer is a typo, and the cap keeps
// every computation far from int64 overflow.
TEST(ParseDuration, UpToAHundredYearsIsAccepted) {
  auto r = ParseDuration("36500d");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 36500 * kDay);
  auto big = ParseDuration("100000000d");  // representable, but no job runs that long
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("100 years"), std::string::npos) << big.status().message();
}

// Regression: sums and products were once unchecked and wrapped around.
TEST(ParseDuration, OverflowIsRejectedNotWrapped) {
  const char* cases[] = {
      "300000000d",                         // 3e8 * 8.64e10 us wraps to a *positive* wrong value
      "200000000d",                         // wraps negative
      "1000000000d",                        // the per-term cap (1e9) does not stop it
      "9223372036854775807",                // plain seconds * 1e6
      "9999999999999",                      // 1e13 s = 1e19 us
      "1000000000h1000000000h1000000000h",  // each term is fine, the sum is not
      "9999999999999:00:00",                // HH:MM:SS
  };
  for (const char* in : cases) {
    auto r = ParseDuration(in);
    EXPECT_FALSE(r.ok()) << "ParseDuration(\"" << in << "\") overflowed to " << *r
                         << " us instead of failing";
  }
}

TEST(FormatDuration, ShortestForm) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(-5 * kSecond), "0s");
  EXPECT_EQ(FormatDuration(250 * kMillisecond), "250ms");
  EXPECT_EQ(FormatDuration(999), "0ms");
  EXPECT_EQ(FormatDuration(45 * kSecond), "45s");
  EXPECT_EQ(FormatDuration(90 * kSecond), "1m30s");
  EXPECT_EQ(FormatDuration(2 * kHour), "2h");
  EXPECT_EQ(FormatDuration(kDay + 4 * kHour), "1d4h");
  EXPECT_EQ(FormatDuration(kDay + 5 * kSecond), "1d5s");
  EXPECT_EQ(FormatDuration(400 * kDay), "400d");
  EXPECT_EQ(FormatDuration(kHour + 1500 * kMillisecond), "1h1s");  // truncates sub-second
}

TEST(FormatDuration, ParseInvertsFormat) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) {
    Duration d = static_cast<Duration>(rng() % (1000ull * 86400)) * kSecond + kSecond;
    std::string s = FormatDuration(d);
    auto back = ParseDuration(s);
    ASSERT_TRUE(back.ok()) << s;
    EXPECT_EQ(*back, d) << s;
  }
}

// ---- RFC 3339 -----------------------------------------------------------------------

constexpr Time kT2026 = 1'795'710'000 * kSecond;  // 2026-11-26T16:20:00Z

TEST(Rfc3339, KnownInstants) {
  struct Case {
    const char* in;
    Time want;
  };
  const Case cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T00:00:01Z", kSecond},
      {"2026-11-26T16:20:00Z", kT2026},
      {"2026-11-26t16:20:00z", kT2026},
      {"2026-11-26 16:20:00Z", kT2026},
      {"2026-11-26T21:50:00+05:30", kT2026},
      {"2026-11-26T08:20:00-08:00", kT2026},
      {"2026-11-26T16:20:00+00:00", kT2026},
      {"2026-11-26T16:20:00-00:00", kT2026},
      {"2026-11-26T16:20:00.5Z", kT2026 + 500'000},
      {"2026-11-26T16:20:00.123456Z", kT2026 + 123'456},
      {"2026-11-26T16:20:00.1234569Z", kT2026 + 123'456},  // beyond µs: truncated
      {"2026-11-26T21:50:00.25+05:30", kT2026 + 250'000},
      {"2024-02-29T00:00:00Z", 1'709'164'800 * kSecond},
      {"2000-02-29T12:00:00Z", 951'825'600 * kSecond},
      {"2000-03-01T00:00:00Z", 951'868'800 * kSecond},
      {"1969-12-31T23:59:59Z", -kSecond},
      {"1900-01-01T00:00:00Z", -2'208'988'800 * kSecond},
      {"2038-01-19T03:14:08Z", 2'147'483'648 * kSecond},
      {"9999-12-31T23:59:59Z", 253'402'300'799 * kSecond},
  };
  for (const auto& c : cases) {
    auto r = ParseRfc3339(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.want) << c.in;
  }
}

TEST(Rfc3339, Errors) {
  for (const char* in : {
           "",
           "2026-11-26",
           "2026-11-26T16:20:00",  // no zone
           "2026-11-26T16:20Z",    // no seconds
           "2026/11/26T16:20:00Z",
           "2026-13-01T00:00:00Z",
           "2026-00-01T00:00:00Z",
           "2026-01-00T00:00:00Z",
           "2026-01-32T00:00:00Z",
           "2026-01-01T24:00:00Z",
           "2026-01-01T00:60:00Z",
           "2026-01-01T00:00:61Z",
           "2026-01-01T00:00:00.Z",     // dot without digits
           "2026-01-01T00:00:00+0530",  // offset without colon
           "2026-01-01T00:00:00+05",
           "2026-01-01T00:00:00Zjunk",
           "2026-01-01X00:00:00Z",
           "abcd-ef-ghTij:kl:mnZ",
           "2026-01-01T00:00:00 Z",
       }) {
    auto r = ParseRfc3339(in);
    EXPECT_FALSE(r.ok()) << "'" << in << "' parsed as " << (r.ok() ? *r : 0);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

// Regression: fields were once checked only from above (a sign passed) and
// the day only against 31.
TEST(Rfc3339, RejectsImpossibleDatesAndNegativeFields) {
  for (const char* in : {
           "2023-02-29T00:00:00Z",  // not a leap year
           "2100-02-29T00:00:00Z",  // century, not a leap year
           "2026-02-30T00:00:00Z",
           "2026-04-31T00:00:00Z",
           "2026-01-01T-1:00:00Z",       // negative hour
           "2026-01-01T00:-1:00Z",       // negative minute
           "2026-01-01T00:00:-1Z",       // negative second
           "2026-01-01T00:00:00+-1:00",  // negative offset hour after the sign
           "2026-01-01T00:00:00+99:99",  // offset out of range
           "2026-01-01T00:00:00+05:60",
       }) {
    auto r = ParseRfc3339(in);
    EXPECT_FALSE(r.ok()) << "'" << in << "' accepted as " << (r.ok() ? *r : 0) << " ("
                         << (r.ok() ? FormatRfc3339(*r) : "") << ")";
  }
}

TEST(Rfc3339, Format) {
  EXPECT_EQ(FormatRfc3339(kT2026), "2026-11-26T16:20:00Z");
  EXPECT_EQ(FormatRfc3339(kT2026 + 999'999), "2026-11-26T16:20:00Z");  // second precision
  EXPECT_EQ(FormatRfc3339(1'709'164'800 * kSecond), "2024-02-29T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(kSecond), "1970-01-01T00:00:01Z");
  EXPECT_EQ(FormatRfc3339(-kSecond), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");  // floors, not truncates toward zero
  EXPECT_EQ(FormatRfc3339(-kSecond - 1), "1969-12-31T23:59:58Z");
}

TEST(Rfc3339, EpochIsTheNotSetValue) {
  // kNoTime == 0 means "not set" and formats as empty: the epoch itself
  // cannot be printed. (By design; the parser still accepts the epoch.)
  EXPECT_EQ(FormatRfc3339(kNoTime), "");
  auto r = ParseRfc3339("1970-01-01T00:00:00Z");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, kNoTime);
}

TEST(Rfc3339, RoundTripEverySecondAlignedInstant) {
  std::mt19937_64 rng(42);
  // Includes every day of a leap year and random instants 1900..2200.
  for (int64_t day = 0; day < 366; ++day) {
    Time t = (1'704'067'200 + day * 86400 + 3723) * kSecond;  // 2024-01-01 + day, 01:02:03
    auto back = ParseRfc3339(FormatRfc3339(t));
    ASSERT_TRUE(back.ok()) << FormatRfc3339(t);
    EXPECT_EQ(*back, t);
  }
  for (int i = 0; i < 3000; ++i) {
    int64_t secs = static_cast<int64_t>(rng() % (300ull * 365 * 86400)) - 70ll * 365 * 86400;
    if (secs == 0) continue;
    Time t = secs * kSecond;
    std::string s = FormatRfc3339(t);
    auto back = ParseRfc3339(s);
    ASSERT_TRUE(back.ok()) << s;
    EXPECT_EQ(*back, t) << s;
  }
}

// ---- ParseKeyValues -------------------------------------------------------------------

using KV = std::vector<std::pair<std::string, std::string>>;

TEST(ParseKeyValues, Good) {
  auto r = ParseKeyValues("rack=r1,switch=s1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (KV{{"rack", "r1"}, {"switch", "s1"}}));

  r = ParseKeyValues("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());

  r = ParseKeyValues("k=");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (KV{{"k", ""}}));

  r = ParseKeyValues("url=a=b");  // first '=' splits
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (KV{{"url", "a=b"}}));

  r = ParseKeyValues("a=1,a=2");  // order and duplicates preserved
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (KV{{"a", "1"}, {"a", "2"}}));
}

TEST(ParseKeyValues, Errors) {
  for (const char* in : {"rack", "=r1", "a=1,", ",a=1", "a=1,,b=2", ",", "a=1,b"}) {
    auto r = ParseKeyValues(in);
    EXPECT_FALSE(r.ok()) << in;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(r.status().message().find(in), std::string::npos) << r.status().message();
    }
  }
}

}  // namespace
}  // namespace muster
