// common/drift: the CSV reader, PSI, KS and the per-column report. Every
// expected figure is worked out by hand in the comment above its check.
#include "common/drift/drift.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "common/drift/stats.h"

namespace muster::drift {
namespace {

constexpr double kTol = 1e-9;
constexpr double kEps = kPsiEpsilon;  // 1e-4

CsvTable Csv(const std::string& text, const std::string& source = "t.csv") {
  auto t = ParseCsv(text, source);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : CsvTable{};
}

std::string CsvError(const std::string& text) {
  auto t = ParseCsv(text, "f.csv");
  EXPECT_FALSE(t.ok());
  return t.ok() ? "" : t.status().message();
}

// A one-column file "x" with these values, one per row.
std::string Column(const std::vector<std::string>& values) {
  std::string text = "x\n";
  for (const std::string& v : values) text += v + "\n";
  return text;
}

ColumnDrift OneColumn(const std::vector<std::string>& ref, const std::vector<std::string>& cur,
                      int bins = 10) {
  DriftOptions options;
  options.bins = bins;
  auto report = CheckDrift(Csv(Column(ref), "ref.csv"), Csv(Column(cur), "cur.csv"), options);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() && report->columns.size() == 1 ? report->columns[0] : ColumnDrift{};
}

// ---- CSV --------------------------------------------------------------------

TEST(Csv, HeaderAndColumns) {
  CsvTable t = Csv("a,b\n1,2\n3,4\n");
  EXPECT_EQ(t.source, "t.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.rows, 2u);
  EXPECT_EQ(t.columns[0], (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(t.columns[1], (std::vector<std::string>{"2", "4"}));
  EXPECT_EQ(t.ColumnIndex("b"), 1);
  EXPECT_EQ(t.ColumnIndex("c"), -1);
}

TEST(Csv, QuotedFieldsHoldCommasQuotesAndNewlines) {
  CsvTable t = Csv("a,b\n\"x,y\",\"he said \"\"hi\"\"\"\n\"line1\nline2\",\"\"\n");
  ASSERT_EQ(t.rows, 2u);
  EXPECT_EQ(t.columns[0], (std::vector<std::string>{"x,y", "line1\nline2"}));
  EXPECT_EQ(t.columns[1], (std::vector<std::string>{"he said \"hi\"", ""}));
}

TEST(Csv, CrlfAndNoTrailingNewline) {
  CsvTable t = Csv("a,b\r\n1,2\r\n3,\"4\r\n5\"");
  ASSERT_EQ(t.rows, 2u);
  EXPECT_EQ(t.columns[0], (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(t.columns[1], (std::vector<std::string>{"2", "4\r\n5"}));
}

TEST(Csv, ByteOrderMarkEmptyLinesAndHeaderBlanks) {
  CsvTable t =
      Csv("\xEF\xBB\xBF"
          "a, b\n\n1,2\n\r\n3,4\n\n");
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.rows, 2u);
  EXPECT_EQ(t.columns[1], (std::vector<std::string>{"2", "4"}));
}

TEST(Csv, EmptyLineIsNoRecordButQuotedEmptyIsAField) {
  // As Python's csv module reads and writes a one-column file.
  CsvTable t = Csv("x\n1\n\n\"\"\n2\n");
  EXPECT_EQ(t.columns[0], (std::vector<std::string>{"1", "", "2"}));
}

TEST(Csv, TrailingCommaIsAnEmptyField) {
  CsvTable t = Csv("a,b\n1,\n");
  EXPECT_EQ(t.columns[1], (std::vector<std::string>{""}));
}

TEST(Csv, RaggedRowNamesFileAndLine) {
  EXPECT_EQ(CsvError("a,b\n1,2\n3\n"), "f.csv:3: the row has 1 field, the header 2 fields");
  EXPECT_EQ(CsvError("a,b\n1,2,3\n"), "f.csv:2: the row has 3 fields, the header 2 fields");
  // The quoted line break moves the third record to line 4.
  EXPECT_EQ(CsvError("a,b\n\"x\ny\",1\n2\n"), "f.csv:4: the row has 1 field, the header 2 fields");
}

TEST(Csv, EmptyFileAndHeaderOnly) {
  EXPECT_EQ(CsvError(""), "f.csv: empty file (expected a header row and data rows)");
  EXPECT_EQ(CsvError("\n\r\n"), "f.csv: empty file (expected a header row and data rows)");
  EXPECT_EQ(CsvError("a,b\n"), "f.csv: no data rows, only a header");
  EXPECT_EQ(CsvError("a,b"), "f.csv: no data rows, only a header");
}

TEST(Csv, BadQuotes) {
  EXPECT_EQ(CsvError("a\n1\n\"abc\n"), "f.csv:3: a quoted field is never closed");
  EXPECT_EQ(CsvError("a\nab\"c\n"),
            "f.csv:2: a quote inside an unquoted field (quote the whole field and double the quote)");
  EXPECT_EQ(CsvError("a\n\"ab\"c\n"),
            "f.csv:2: text after the closing quote of a field (a quote inside a field is doubled: \"\")");
}

TEST(Csv, BadHeader) {
  EXPECT_EQ(CsvError("a,,b\n1,2,3\n"), "f.csv:1: header column 2 has no name");
  EXPECT_EQ(CsvError("a,b,a\n1,2,3\n"), "f.csv:1: column 'a' appears twice in the header");
}

TEST(Csv, UnreadableFile) {
  auto t = ReadCsvFile("no-such-dir/none.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kIoError);
  EXPECT_EQ(t.status().message(), "cannot read no-such-dir/none.csv: No such file or directory");
}

TEST(Csv, DirectoryIsNoFile) {
  auto t = ReadCsvFile(".");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "cannot read .: a directory");
}

TEST(Csv, MissingValues) {
  for (const char* v : {"", " ", "NA", "na", "NaN", "nan", "NULL", "null", " NA "})
    EXPECT_TRUE(IsMissing(v)) << v;
  for (const char* v : {"0", "N/A", "none", "-", "x"}) EXPECT_FALSE(IsMissing(v)) << v;
}

TEST(Csv, FiniteNumbers) {
  EXPECT_EQ(ParseFiniteNumber("1.5"), 1.5);
  EXPECT_EQ(ParseFiniteNumber(" -2e3 "), -2000.0);
  EXPECT_EQ(ParseFiniteNumber("+7"), 7.0);
  for (const char* v : {"inf", "-inf", "1e999", "0x1F", "12 kg", "+", "+-1", "", "1,5"})
    EXPECT_EQ(ParseFiniteNumber(v), std::nullopt) << v;
}

// Quotes a field the RFC 4180 way.
std::string Quoted(const std::string& field) {
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

TEST(Csv, QuotedFieldsRoundTrip) {
  std::mt19937 rng(7);
  const std::string alphabet = "a1 ,\"\n\r";
  for (int i = 0; i < 300; ++i) {
    std::vector<std::string> fields;
    std::string text = "h1,h2\n";
    for (int f = 0; f < 2; ++f) {
      std::string field;
      for (int k = static_cast<int>(rng() % 6); k > 0; --k) field += alphabet[rng() % alphabet.size()];
      fields.push_back(field);
      text += (f ? "," : "") + Quoted(field);
    }
    CsvTable t = Csv(text);
    ASSERT_EQ(t.rows, 1u) << text;
    EXPECT_EQ(t.columns[0][0], fields[0]) << text;
    EXPECT_EQ(t.columns[1][0], fields[1]) << text;
  }
}

TEST(Csv, AnyTextParsesOrFailsCleanly) {
  std::mt19937 rng(11);
  const std::string alphabet = "ab1,\"\n\r ";
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    for (int k = static_cast<int>(rng() % 24); k > 0; --k) text += alphabet[rng() % alphabet.size()];
    auto t = ParseCsv(text, "f.csv");
    if (!t.ok()) {
      EXPECT_EQ(t.status().message().rfind("f.csv", 0), 0u) << t.status().message();
      continue;
    }
    ASSERT_EQ(t->columns.size(), t->header.size());
    for (const auto& column : t->columns) EXPECT_EQ(column.size(), t->rows);
    EXPECT_GT(t->rows, 0u);
  }
}

// ---- PSI --------------------------------------------------------------------

TEST(Psi, HandComputed) {
  // Shares ref (.5, .5), cur (.75, .25):
  // (.75-.5) ln(.75/.5) + (.25-.5) ln(.25/.5) = .25 ln 1.5 + .25 ln 2 = .25 ln 3 = 0.274653072167...
  EXPECT_NEAR(Psi({2, 2}, {3, 1}), 0.25 * std::log(3.0), kTol);
  EXPECT_NEAR(Psi({2, 2}, {3, 1}), 0.2746530721670274, kTol);
  EXPECT_EQ(Psi({3, 1, 7}, {6, 2, 14}), 0.0);  // same shares
}

TEST(Psi, EmptyBinUsesEpsilon) {
  // Shares ref (.5, .5), cur (1, 0 -> 1e-4):
  // (1-.5) ln(1/.5) + (1e-4-.5) ln(1e-4/.5) = .5 ln 2 + .4999 ln 5000 = 4.604318466...
  EXPECT_NEAR(Psi({1, 1}, {2, 0}), 0.5 * std::log(2.0) + 0.4999 * std::log(5000.0), kTol);
  EXPECT_NEAR(Psi({1, 1}, {2, 0}), 4.60431846666895, kTol);
  // Empty on both sides adds nothing.
  EXPECT_NEAR(Psi({1, 1, 0}, {2, 0, 0}), Psi({1, 1}, {2, 0}), kTol);
}

TEST(QuantileEdges, TenValuesTenBins) {
  // Linear interpolation: q(k/10) of 1..10 sits at position 0.9k, i.e. 1 + 0.9k.
  std::vector<double> edges = QuantileEdges({10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 10);
  ASSERT_EQ(edges.size(), 9u);
  for (int k = 1; k <= 9; ++k) EXPECT_NEAR(edges[k - 1], 1 + 0.9 * k, kTol) << k;
  EXPECT_EQ(BinCounts({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, edges), std::vector<size_t>(10, 1));
}

TEST(QuantileEdges, EqualEdgesMerge) {
  EXPECT_EQ(QuantileEdges({5, 5, 5}, 10), (std::vector<double>{5}));
  // Five 0s and five 1s: q(.1..4) = 0, q(.5) = pos 4.5 = 0.5, q(.6..9) = 1.
  EXPECT_EQ(QuantileEdges({0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, 10), (std::vector<double>{0, 0.5, 1}));
  EXPECT_TRUE(QuantileEdges({}, 10).empty());
  EXPECT_TRUE(QuantileEdges({1, 2, 3}, 1).empty());
}

TEST(QuantileEdges, ExtremeValuesGiveFiniteEdges) {
  // The median lies between -1e308 and 1e308: a naive a + t (b - a) overflows
  // (b - a = 2e308 is inf) and gives an infinite edge.
  for (double edge : QuantileEdges({-1e308, 1e308, -1e308, 1e308}, 4)) EXPECT_TRUE(std::isfinite(edge));
}

TEST(BinCounts, EdgesCloseTheLowerBin) {
  // Bins (-inf, 1], (1, 2], (2, +inf).
  EXPECT_EQ(BinCounts({0, 1, 1.5, 2, 2.5, 100}, {1, 2}), (std::vector<size_t>{2, 2, 2}));
  EXPECT_EQ(BinCounts({-3, 3}, {}), (std::vector<size_t>{2}));
}

// ---- KS ---------------------------------------------------------------------

TEST(Ks, StatisticHandComputed) {
  // 1..10 against 6..15: at x = 5, F_a = .5 and F_b = 0; nowhere further apart.
  EXPECT_DOUBLE_EQ(KsStatistic({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {6, 7, 8, 9, 10, 11, 12, 13, 14, 15}), 0.5);
  EXPECT_DOUBLE_EQ(KsStatistic({1, 2, 3}, {1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(KsStatistic({1, 2}, {3, 4}), 1.0);
  // Unequal sizes: {1, 2, 3, 4} against {1, 2}: at x = 2, F_a = .5 and F_b = 1.
  EXPECT_DOUBLE_EQ(KsStatistic({4, 3, 2, 1}, {2, 1}), 0.5);
}

TEST(Ks, TiesAreSteppedTogether) {
  // a = {1, 2, 2, 3}, b = {2, 2, 2, 4}. After each distinct x:
  //   x=1: F_a=.25 F_b=0    -> .25
  //   x=2: F_a=.75 F_b=.75  -> 0
  //   x=3: F_a=1   F_b=.75  -> .25
  //   x=4: F_a=1   F_b=1    -> 0
  // D = .25. Stepping one value at a time (Numerical Recipes' kstwo) would
  // compare F_a=.5 with F_b=0 halfway through the 2s and say .5.
  EXPECT_DOUBLE_EQ(KsStatistic({1, 2, 2, 3}, {2, 2, 2, 4}), 0.25);
}

// sup |F_a - F_b| straight from the definition: F(x) = #{v <= x} / n at
// every value x of either sample.
double BruteForceKs(const std::vector<double>& a, const std::vector<double>& b) {
  auto cdf = [](const std::vector<double>& s, double x) {
    return static_cast<double>(std::count_if(s.begin(), s.end(), [x](double v) { return v <= x; })) /
           static_cast<double>(s.size());
  };
  double d = 0;
  for (const auto* s : {&a, &b})
    for (double x : *s) d = std::max(d, std::abs(cdf(a, x) - cdf(b, x)));
  return d;
}

TEST(Ks, MatchesTheDefinitionOnTiedSamples) {
  std::mt19937 rng(3);
  for (int i = 0; i < 500; ++i) {
    std::vector<double> a(1 + rng() % 12), b(1 + rng() % 12);
    for (double& v : a) v = static_cast<double>(rng() % 5);  // few distinct values: many ties
    for (double& v : b) v = static_cast<double>(rng() % 5);
    EXPECT_DOUBLE_EQ(KsStatistic(a, b), BruteForceKs(a, b));
    EXPECT_GE(Psi(BinCounts(a, QuantileEdges(a, 4)), BinCounts(b, QuantileEdges(a, 4))), 0.0);
  }
}

TEST(Ks, KolmogorovDistribution) {
  // Q(1.36) = 2 (e^{-2*1.36^2} - e^{-8*1.36^2} + e^{-18*1.36^2} - ...)
  //         = 2 (0.0247443 - 3.75e-7 + ...) = 0.0494858767...: the 5% point of the tables.
  EXPECT_NEAR(KolmogorovQ(1.36), 0.049485876755377876, 1e-12);
  // Q(1.0) = 0.2699996717 (tables: 0.27); both series agree at the switch (1.18).
  EXPECT_NEAR(KolmogorovQ(1.0), 0.26999967167735456, 1e-12);
  EXPECT_NEAR(KolmogorovQ(1.18), 0.1234538094297657, 1e-12);
  // Q(0.5) = 1 - sqrt(2 pi)/0.5 * sum_j exp(-(2j-1)^2 pi^2 / 2) = 0.9639452437.
  EXPECT_NEAR(KolmogorovQ(0.5), 0.9639452436648751, 1e-12);
  EXPECT_EQ(KolmogorovQ(0), 1.0);
  EXPECT_EQ(KolmogorovQ(-1), 1.0);
  EXPECT_NEAR(KolmogorovQ(0.01), 1.0, 1e-15);
  EXPECT_NEAR(KolmogorovQ(10), 0.0, 1e-15);
}

TEST(Ks, PValueWithStephensCorrection) {
  // n_a = n_b = 10: ne = 100/20 = 5, sqrt(ne) = 2.2360680, 0.11/sqrt(ne) = 0.0491935;
  // factor 2.2360680 + 0.12 + 0.0491935 = 2.4052615.
  // D = .5: lambda = 1.2026307, Q = 2 (e^{-2.892643} - e^{-11.570573} + ...) = 0.1108403374.
  EXPECT_NEAR(KsPValue(0.5, 10, 10), 0.11084033741322809, 1e-12);
  // D = .8: lambda = 1.9242092, Q = 2 (e^{-7.405162} - ...) = 0.0012162113.
  EXPECT_NEAR(KsPValue(0.8, 10, 10), 0.0012162112998959323, 1e-12);
  EXPECT_EQ(KsPValue(0, 10, 10), 1.0);
  KsResult r = KsTest({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  EXPECT_DOUBLE_EQ(r.d, 0.5);
  EXPECT_NEAR(r.p_value, 0.11084033741322809, 1e-12);
}

// ---- per column -------------------------------------------------------------

TEST(CheckDrift, NumericColumnHandComputed) {
  // Reference 1..10: 10 bins at 1.9, 2.8, ..., 9.1, one value each (share .1).
  // Current five 1s and five 2s: shares .5 and .5 in the first two bins, the
  // other 8 empty (1e-4); the missing bin is empty on both sides (adds 0).
  // PSI = 2 (.5-.1) ln 5 + 8 (1e-4-.1) ln(1e-4/.1) = .8 ln 5 + .7992 ln 1000 = 6.808228349.
  // KS: at x=1 F_a=.1 F_b=.5, at x=2 F_a=.2 F_b=1: D = .8, p = 0.0012162113 (above).
  ColumnDrift c = OneColumn({"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"},
                            {"1", "1", "1", "1", "1", "2", "2", "2", "2", "2"});
  EXPECT_EQ(c.name, "x");
  EXPECT_EQ(c.type, ColumnType::kNumeric);
  EXPECT_EQ(c.bins, 10u);
  EXPECT_NEAR(c.psi, 0.8 * std::log(5.0) + 8 * 0.0999 * std::log(1000.0), kTol);
  EXPECT_NEAR(c.psi, 6.808228348909806, kTol);
  ASSERT_TRUE(c.ks.has_value());
  EXPECT_DOUBLE_EQ(c.ks->d, 0.8);
  EXPECT_NEAR(c.ks->p_value, 0.0012162112998959323, 1e-12);
  EXPECT_TRUE(c.drift);
}

TEST(CheckDrift, SameDataNoDrift) {
  ColumnDrift c = OneColumn({"3", "1", "2", "2.5"}, {"2.5", "2", "1", "3"});
  EXPECT_EQ(c.psi, 0.0);
  EXPECT_EQ(c.ks->d, 0.0);
  EXPECT_EQ(c.ks->p_value, 1.0);
  EXPECT_FALSE(c.drift);
}

TEST(CheckDrift, MissingValuesAreTheirOwnBin) {
  // 2 bins: edge at the median of 1..4, 2.5. Shares, with a missing bin:
  //   ref {1,2,3,4}:   (.5, .5, 0 -> 1e-4)
  //   cur {1,2,NA,NA}: (.5, 0 -> 1e-4, .5)
  // PSI = 0 + 2 (.5 - 1e-4) ln(.5 / 1e-4) = .9998 ln 5000 = 8.515489753.
  // KS over the values only: {1,2,3,4} vs {1,2}: D = .5 at x = 2.
  ColumnDrift c = OneColumn({"1", "2", "3", "4"}, {"1", "2", "NA", "\"\""}, 2);
  EXPECT_EQ(c.type, ColumnType::kNumeric);
  EXPECT_EQ(c.ref_missing, 0u);
  EXPECT_EQ(c.cur_missing, 2u);
  EXPECT_NEAR(c.psi, 0.9998 * std::log(5000.0), kTol);
  EXPECT_DOUBLE_EQ(c.ks->d, 0.5);
  // ne = 8/6, sqrt = 1.1547005; lambda = (1.1547005 + .12 + .0952628) * .5 = 0.6849817.
  EXPECT_NEAR(c.ks->p_value, 0.736069436119535, 1e-12);
}

TEST(CheckDrift, ConstantColumn) {
  // One edge (5): bins (-inf, 5] and (5, +inf). Same constant: PSI 0, D 0.
  ColumnDrift same = OneColumn({"5", "5", "5", "5"}, {"5", "5", "5"});
  EXPECT_EQ(same.bins, 2u);
  EXPECT_EQ(same.psi, 0.0);
  EXPECT_EQ(same.ks->d, 0.0);
  EXPECT_FALSE(same.drift);
  // Current half 6s: shares ref (1, 1e-4), cur (.5, .5):
  // (.5-1) ln .5 + (.5-1e-4) ln(.5/1e-4) = .5 ln 2 + .4999 ln 5000 = 4.604318467.
  ColumnDrift moved = OneColumn({"5", "5", "5", "5"}, {"5", "5", "6", "6"});
  EXPECT_NEAR(moved.psi, 4.60431846666895, kTol);
  EXPECT_DOUBLE_EQ(moved.ks->d, 0.5);
  EXPECT_TRUE(moved.drift);
}

TEST(CheckDrift, AllMissingColumn) {
  // Both all missing: every row in the missing bin on both sides; no KS.
  ColumnDrift both = OneColumn({"NA", "\"\"", "null"}, {"nan", "NA"});
  EXPECT_EQ(both.type, ColumnType::kNumeric);
  EXPECT_EQ(both.psi, 0.0);
  EXPECT_FALSE(both.ks.has_value());
  EXPECT_FALSE(both.drift);
  EXPECT_EQ(both.ref_missing, 3u);
  EXPECT_EQ(both.cur_missing, 2u);
  // The column went missing. With 1 bin, shares (values, missing) are ref
  // (1, 1e-4) and cur (1e-4, 1): 2 (1 - 1e-4) ln(1e4) = 18.418838676.
  ColumnDrift gone = OneColumn({"1", "2", "3", "4"}, {"NA", "NA", "NA", "NA"}, 1);
  EXPECT_NEAR(gone.psi, 2 * 0.9999 * std::log(1e4), kTol);
  EXPECT_FALSE(gone.ks.has_value());
  EXPECT_TRUE(gone.drift);
}

TEST(CheckDrift, CategoricalWithACategoryAbsentFromEachSide) {
  // Categories a, b, c and missing. ref {a,a,b,b}: (.5, .5, 1e-4, 1e-4);
  // cur {a,a,a,c}: (.75, 1e-4, .25, 1e-4).
  // PSI = .25 ln 1.5 + (1e-4-.5) ln(1e-4/.5) + (.25-1e-4) ln(.25/1e-4) + 0
  //     = .1013663 + 4.2577449 + 1.9552291 = 6.314340252.
  ColumnDrift c = OneColumn({"a", "a", "b", "b"}, {"a", "a", "a", "c"});
  EXPECT_EQ(c.type, ColumnType::kCategorical);
  EXPECT_EQ(c.bins, 3u);
  EXPECT_NEAR(c.psi, 0.25 * std::log(1.5) + 0.4999 * std::log(5000.0) + 0.2499 * std::log(2500.0), kTol);
  EXPECT_NEAR(c.psi, 6.314340251529005, kTol);
  EXPECT_FALSE(c.ks.has_value());
  EXPECT_TRUE(c.drift);
}

TEST(CheckDrift, OneNonNumberMakesTheColumnCategoricalInBothFiles) {
  EXPECT_EQ(OneColumn({"1", "2"}, {"1", "two"}).type, ColumnType::kCategorical);
  EXPECT_EQ(OneColumn({"1", "inf"}, {"1", "2"}).type, ColumnType::kCategorical);
  EXPECT_EQ(OneColumn({"1", "NA"}, {" 2 ", "+3"}).type, ColumnType::kNumeric);
}

TEST(CheckDrift, ThresholdDecides) {
  // PSI .25 ln 3 = 0.2747 (see Psi.HandComputed), with 2 bins at the median 2.5.
  auto with_threshold = [](double threshold) {
    DriftOptions options;
    options.bins = 2;
    options.threshold = threshold;
    return CheckDrift(Csv(Column({"1", "2", "3", "4"})), Csv(Column({"1", "1", "1", "4"})), options);
  };
  auto low = with_threshold(0.27);
  ASSERT_TRUE(low.ok());
  EXPECT_NEAR(low->columns[0].psi, 0.2746530721670274, kTol);
  EXPECT_TRUE(low->AnyDrift());
  ASSERT_EQ(low->Drifted().size(), 1u);
  EXPECT_EQ(low->Drifted()[0]->name, "x");
  EXPECT_EQ(low->threshold, 0.27);
  auto high = with_threshold(0.28);
  ASSERT_TRUE(high.ok());
  EXPECT_FALSE(high->AnyDrift());
  EXPECT_TRUE(high->Drifted().empty());
}

TEST(CheckDrift, ColumnsAskedForInTheirOrder) {
  DriftOptions options;
  options.columns = {"c", "a"};
  auto report = CheckDrift(Csv("a,b,c\n1,x,3\n"), Csv("c,a\n3,1\n"), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->columns.size(), 2u);
  EXPECT_EQ(report->columns[0].name, "c");
  EXPECT_EQ(report->columns[1].name, "a");
  EXPECT_EQ(report->ref_rows, 1u);
  EXPECT_EQ(report->cur_rows, 1u);
}

TEST(CheckDrift, BadColumns) {
  auto error = [](std::vector<std::string> columns, const std::string& cur_text = "a,b\n1,2\n") {
    DriftOptions options;
    options.columns = std::move(columns);
    auto report = CheckDrift(Csv("a,b\n1,2\n", "ref.csv"), Csv(cur_text, "cur.csv"), options);
    EXPECT_FALSE(report.ok());
    return report.ok() ? "" : report.status().message();
  };
  EXPECT_EQ(error({"a", "z"}), "no column 'z' in ref.csv (its columns: a, b)");
  EXPECT_EQ(error({"b"}, "a\n1\n"), "no column 'b' in cur.csv (its columns: a)");
  EXPECT_EQ(error({"a", "b", "a"}), "column 'a' is asked for twice");
  EXPECT_EQ(error({"a", ""}), "an empty column name was asked for");
  EXPECT_EQ(error({}, "a\n1\n"),
            "cur.csv has no column 'b', which ref.csv has (name the columns to compare)");
  EXPECT_EQ(error({}, "a,b,c\n1,2,3\n"),
            "ref.csv has no column 'c', which cur.csv has (name the columns to compare)");
}

TEST(CheckDrift, BadOptions) {
  CsvTable t = Csv("a\n1\n");
  for (double threshold : {0.0, -1.0, std::nan(""), double{INFINITY}}) {
    DriftOptions options;
    options.threshold = threshold;
    EXPECT_EQ(CheckDrift(t, t, options).status().code(), StatusCode::kInvalidArgument) << threshold;
  }
  DriftOptions options;
  options.bins = 0;
  EXPECT_EQ(CheckDrift(t, t, options).status().message(), "the number of bins must be 1..1000");
}

}  // namespace
}  // namespace muster::drift
