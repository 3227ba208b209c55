#include "common/drift/stats.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>
#include <numeric>

namespace muster::drift {
namespace {

// Terms of the series below this fraction of the sum are dropped.
constexpr double kSeriesTolerance = 1e-17;
constexpr int kMaxSeriesTerms = 100;
// Below this lambda the alternating series converges slowly; the equivalent
// theta-function form converges in a few terms there.
constexpr double kSmallLambda = 1.18;

std::vector<double> Shares(const std::vector<size_t>& counts) {
  const double total = static_cast<double>(std::accumulate(counts.begin(), counts.end(), size_t{0}));
  std::vector<double> shares;
  shares.reserve(counts.size());
  for (size_t c : counts) shares.push_back(std::max(total > 0 ? c / total : 0.0, kPsiEpsilon));
  return shares;
}

// The p-th quantile (0 <= p <= 1) of sorted, non-empty values.
double Quantile(const std::vector<double>& sorted, double p) {
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  // std::lerp: exact when both ends are equal (so equal edges merge), and no
  // overflow between ends of opposite sign near the largest doubles.
  return std::lerp(sorted[lo], sorted[hi], pos - static_cast<double>(lo));
}

// 1 - Q(lambda) = sqrt(2 pi) / lambda * sum_{j>=1} exp(-(2j-1)^2 pi^2 / (8 lambda^2)).
double KolmogorovCdfSmall(double lambda) {
  const double a = -std::numbers::pi * std::numbers::pi / (8 * lambda * lambda);
  double sum = 0;
  for (int j = 1; j <= kMaxSeriesTerms; ++j) {
    const double term = std::exp(a * (2 * j - 1) * (2 * j - 1));
    sum += term;
    if (term <= kSeriesTolerance * sum) break;
  }
  return std::sqrt(2 * std::numbers::pi) / lambda * sum;
}

double KolmogorovQLarge(double lambda) {
  const double a = -2 * lambda * lambda;
  double sum = 0, sign = 1;
  for (int j = 1; j <= kMaxSeriesTerms; ++j) {
    const double term = std::exp(a * j * j);
    sum += sign * term;
    if (term <= kSeriesTolerance * sum) break;
    sign = -sign;
  }
  return 2 * sum;
}

}  // namespace

double Psi(const std::vector<size_t>& ref_counts, const std::vector<size_t>& cur_counts) {
  assert(ref_counts.size() == cur_counts.size());
  const std::vector<double> ref = Shares(ref_counts), cur = Shares(cur_counts);
  double psi = 0;
  for (size_t i = 0; i < ref.size(); ++i) psi += (cur[i] - ref[i]) * std::log(cur[i] / ref[i]);
  return psi;
}

std::vector<double> QuantileEdges(std::vector<double> reference, int bins) {
  std::vector<double> edges;
  if (reference.empty()) return edges;
  std::sort(reference.begin(), reference.end());
  for (int k = 1; k < bins; ++k) edges.push_back(Quantile(reference, static_cast<double>(k) / bins));
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  return edges;
}

std::vector<size_t> BinCounts(const std::vector<double>& values, const std::vector<double>& edges) {
  std::vector<size_t> counts(edges.size() + 1, 0);
  for (double v : values) ++counts[std::lower_bound(edges.begin(), edges.end(), v) - edges.begin()];
  return counts;
}

double KsStatistic(std::vector<double> a, std::vector<double> b) {
  assert(!a.empty() && !b.empty());
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  // Past the end of one sample its CDF is 1; the other's only grows toward 1.
  return d;
}

double KolmogorovQ(double lambda) {
  if (lambda <= 0) return 1;
  const double q = lambda < kSmallLambda ? 1 - KolmogorovCdfSmall(lambda) : KolmogorovQLarge(lambda);
  return std::clamp(q, 0.0, 1.0);
}

double KsPValue(double d, size_t n_a, size_t n_b) {
  const double ne = static_cast<double>(n_a) * static_cast<double>(n_b) / static_cast<double>(n_a + n_b);
  const double root = std::sqrt(ne);
  return KolmogorovQ((root + 0.12 + 0.11 / root) * d);
}

KsResult KsTest(std::vector<double> a, std::vector<double> b) {
  const size_t n_a = a.size(), n_b = b.size();
  const double d = KsStatistic(std::move(a), std::move(b));
  return {d, KsPValue(d, n_a, n_b)};
}

}  // namespace muster::drift
