// The §3.2 building blocks against brute force: requantization against plain floor division,
// its inverse images against a scan of accumulators, and the interval step against every
// accumulator of random inputs in the box (exact at the corners it picks).
#include "certifier/core/qsemantics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace nncert {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t d) { return a / d - (a % d != 0 && a < 0); }

// DESIGN §3.2 as written: clamp(s > 0 ? floor((acc + 2^(s-1)) / 2^s) : acc * 2^-s, lb, ub).
std::int64_t oracle(std::int64_t acc, int s, std::int64_t lb, std::int64_t ub) {
  const std::int64_t v = s > 0 ? floor_div(acc + (std::int64_t{1} << (s - 1)), std::int64_t{1} << s)
                               : acc * (std::int64_t{1} << -s);
  return std::clamp(v, lb, ub);
}

TEST(QSemantics, RequantizationAndItsInverseImages) {
  std::mt19937_64 rng(1);
  auto uniform = [&](std::int64_t a, std::int64_t b) { return std::uniform_int_distribution<std::int64_t>(a, b)(rng); };
  for (int trial = 0; trial < 200; ++trial) {
    QRequant rq;
    rq.s = static_cast<int>(uniform(-4, 8));
    rq.lb = uniform(-20, 5);
    rq.ub = rq.lb + uniform(1, 30);
    const std::int64_t window = 4000;
    for (std::int64_t acc = -window; acc <= window; ++acc)
      ASSERT_EQ(rq.apply(acc), oracle(acc, rq.s, rq.lb, rq.ub)) << "s " << rq.s << " acc " << acc;
    for (std::int64_t v = rq.lb + 1; v <= rq.ub - 1; ++v) {
      std::int64_t first = window + 1, last = -window - 1;  // smallest acc reaching >= v, largest <= v
      for (std::int64_t acc = -window; acc <= window; ++acc) {
        if (rq.apply(acc) >= v) first = std::min(first, acc);
        if (rq.apply(acc) <= v) last = std::max(last, acc);
      }
      if (first > -window && first <= window) {
        EXPECT_EQ(rq.min_acc_reaching(v), first) << "s " << rq.s << " v " << v;
      }
      if (last >= -window && last < window) {
        EXPECT_EQ(rq.max_acc_below(v), last) << "s " << rq.s << " v " << v;
      }
    }
  }
}

TEST(QSemantics, IntervalStepEnclosesEveryAccumulatorAndIsAttained) {
  std::mt19937_64 rng(2);
  auto uniform = [&](std::int64_t a, std::int64_t b) { return std::uniform_int_distribution<std::int64_t>(a, b)(rng); };
  for (int trial = 0; trial < 100; ++trial) {
    QLayer layer;
    layer.inputs = static_cast<std::size_t>(uniform(1, 6));
    layer.outputs = 1;
    for (std::size_t k = 0; k < layer.inputs; ++k) layer.W.push_back(uniform(0, 2) ? uniform(-100, 100) : 0);
    layer.b = {uniform(-50, 50)};
    QRequant rq;
    rq.bias_shift = static_cast<int>(uniform(0, 4));
    std::vector<std::int64_t> lo(layer.inputs), hi(layer.inputs);
    for (std::size_t k = 0; k < layer.inputs; ++k) {
      lo[k] = uniform(-10, 10);
      hi[k] = lo[k] + uniform(0, 10);
    }
    i128 partial = 0;
    const AccRange r = accumulator_range(layer, rq, 0, lo, hi, &partial);
    i128 seen_lo = r.hi, seen_hi = r.lo, seen_partial = 0;
    // Random points plus every corner (2^inputs <= 64): the range must hold them all and be hit.
    for (int p = 0; p < 200 + (1 << layer.inputs); ++p) {
      std::vector<std::int64_t> x(layer.inputs);
      for (std::size_t k = 0; k < layer.inputs; ++k)
        x[k] = p < (1 << layer.inputs) ? ((p >> k) & 1 ? hi[k] : lo[k]) : uniform(lo[k], hi[k]);
      i128 acc = i128{layer.b[0]} * (i128{1} << rq.bias_shift);
      seen_partial = std::max(seen_partial, acc < 0 ? -acc : acc);
      for (std::size_t k = 0; k < layer.inputs; ++k) {
        if (layer.W[k] == 0) continue;  // the kernels skip zero weights
        const i128 term = i128{layer.W[k]} * x[k];
        acc += term;
        seen_partial = std::max({seen_partial, term < 0 ? -term : term, acc < 0 ? -acc : acc});
      }
      EXPECT_EQ(static_cast<std::int64_t>(acc), accumulator(layer, rq, 0, x.data()));
      seen_lo = std::min(seen_lo, acc);
      seen_hi = std::max(seen_hi, acc);
    }
    EXPECT_TRUE(seen_lo == r.lo && seen_hi == r.hi) << "trial " << trial;
    EXPECT_GE(partial, seen_partial) << "trial " << trial;
  }
}

}  // namespace
}  // namespace nncert
