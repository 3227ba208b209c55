// The statistics of drift between a reference and a current sample: the
// Population Stability Index (PSI) over bins, and the two-sample
// Kolmogorov-Smirnov (KS) test. Pure functions; docs/drift.md explains them.
#pragma once

#include <cstddef>
#include <vector>

namespace muster::drift {

// Shares below this are raised to it before PSI takes their logarithm, so a
// bin that is empty on one side adds a large but finite term, and a bin that
// is empty on both adds nothing. 1e-4: one row in ten thousand.
constexpr double kPsiEpsilon = 1e-4;

// PSI = sum over bins of (cur_i - ref_i) * ln(cur_i / ref_i), where ref_i and
// cur_i are the bins' shares of their side's total, each at least
// kPsiEpsilon. Both vectors have one count per bin, in the same order.
double Psi(const std::vector<size_t>& ref_counts, const std::vector<size_t>& cur_counts);

// The inner edges of `bins` bins at the reference quantiles k/bins,
// k = 1..bins-1 (linear interpolation between order statistics: numpy's
// default), with equal edges merged. The bins are (-inf, e1], (e1, e2], ...,
// (e_last, +inf): a constant reference gives 2 bins; an empty one 1.
std::vector<double> QuantileEdges(std::vector<double> reference, int bins);

// How many `values` fall in each bin of `edges`: edges.size() + 1 counts.
std::vector<size_t> BinCounts(const std::vector<double>& values, const std::vector<double>& edges);

struct KsResult {
  double d = 0;        // the KS statistic, in [0, 1]
  double p_value = 1;  // asymptotic: KsPValue
};

// D = sup over x of |F_a(x) - F_b(x)|, the empirical CDFs compared after
// every value equal to x on either side (so ties are counted right). Both
// samples non-empty.
double KsStatistic(std::vector<double> a, std::vector<double> b);

// The survival function of the Kolmogorov distribution:
// Q(lambda) = 2 * sum_{j>=1} (-1)^(j-1) * exp(-2 j^2 lambda^2); 1 for lambda <= 0.
double KolmogorovQ(double lambda);

// The asymptotic p-value of D with Stephens' correction, as Numerical
// Recipes' kstwo: Q((sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * D), where
// ne = n_a * n_b / (n_a + n_b). Not scipy's method='asymp', which uses the
// exact one-sample distribution at round(ne) instead.
double KsPValue(double d, size_t n_a, size_t n_b);

// KsStatistic and its KsPValue. Both samples non-empty.
KsResult KsTest(std::vector<double> a, std::vector<double> b);

}  // namespace muster::drift
