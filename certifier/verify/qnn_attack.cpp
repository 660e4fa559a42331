#include "certifier/verify/qnn_attack.hpp"

#include "certifier/verify/qnn_bounds.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

namespace nncert {

std::int64_t unsafe_margin(const QProperty& p, const std::vector<std::int64_t>& y) {
  std::int64_t best = std::numeric_limits<std::int64_t>::min();
  for (const auto& conj : p.unsafe) {
    std::int64_t worst = std::numeric_limits<std::int64_t>::max();
    for (const QOutputRow& row : conj) {
      std::int64_t v = -row.rhs;
      for (std::size_t i = 0; i < row.c.size(); ++i) v += row.c[i] * y[i];
      worst = std::min(worst, v);
    }
    best = std::max(best, worst);
  }
  return best;
}

namespace {

// The network with layer 0's accumulators cached, so moving one input costs one column.
class IncrementalEval {
 public:
  IncrementalEval(const QNetwork& net) : net_(net), rq0_(requant(net, 0)) {}

  void reset(const std::vector<std::int64_t>& x) {
    const QLayer& l0 = net_.layers[0];
    acc_.assign(l0.outputs, 0);
    for (std::size_t j = 0; j < l0.outputs; ++j) acc_[j] = accumulator(l0, rq0_, j, x.data());
  }
  // Output of the network with input i moved by delta (without committing).
  std::vector<std::int64_t> output(std::size_t i, std::int64_t delta) const {
    const QLayer& l0 = net_.layers[0];
    std::vector<std::int64_t> y(l0.outputs);
    for (std::size_t j = 0; j < l0.outputs; ++j) y[j] = rq0_.apply(acc_[j] + l0.weight(j, i) * delta);
    for (std::size_t l = 1; l < net_.layers.size(); ++l) {
      const QLayer& layer = net_.layers[l];
      const QRequant rq = requant(net_, l);
      std::vector<std::int64_t> next(layer.outputs);
      for (std::size_t j = 0; j < layer.outputs; ++j) next[j] = rq.apply(accumulator(layer, rq, j, y.data()));
      y = std::move(next);
    }
    return y;
  }
  void commit(std::size_t i, std::int64_t delta) {
    const QLayer& l0 = net_.layers[0];
    for (std::size_t j = 0; j < l0.outputs; ++j) acc_[j] += l0.weight(j, i) * delta;
  }

 private:
  const QNetwork& net_;
  QRequant rq0_;
  std::vector<std::int64_t> acc_;
};

// Budget used by x in the region's norm (0 for a plain box).
std::int64_t used(const QInputRegion& r, const std::vector<std::int64_t>& x) {
  if (!r.has_budget()) return 0;
  std::int64_t u = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    u += r.norm == QNorm::L1 ? std::abs(x[i] - r.centre[i]) : (x[i] != r.centre[i] ? 1 : 0);
  return u;
}

}  // namespace

std::optional<std::vector<std::int64_t>> attack(const QNetwork& net, const QProperty& p, const QAttackOptions& options) {
  const QInputRegion& region = p.region;
  const std::size_t n = net.input_size;
  if (net.layers.empty() || p.unsafe.empty()) return std::nullopt;
  std::mt19937_64 rng(options.seed);
  IncrementalEval eval(net);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);

  for (int start = 0; start <= options.restarts; ++start) {
    std::vector<std::int64_t> x = region.centre.empty() ? region.lo : region.centre;
    if (start > 0) {
      // A random corner-ish point of the box: each coordinate to an end or kept.
      for (std::size_t i = 0; i < n; ++i) {
        const int c = std::uniform_int_distribution<int>(0, 2)(rng);
        x[i] = c == 0 ? region.lo[i] : c == 1 ? region.hi[i] : x[i];
      }
      if (!contains(region, x)) x = region.centre.empty() ? region.lo : region.centre;
    }
    eval.reset(x);
    std::int64_t margin = unsafe_margin(p, evaluate(net, x));
    std::int64_t budget_used = used(region, x);
    for (int sweep = 0; sweep < options.sweeps && margin < 0; ++sweep) {
      std::shuffle(order.begin(), order.end(), rng);
      bool improved = false;
      for (std::size_t i : order) {
        if (region.lo[i] == region.hi[i]) continue;
        std::int64_t best_delta = 0, best_margin = margin;
        for (std::int64_t target : {region.lo[i], region.hi[i], x[i] - 1, x[i] + 1}) {
          if (target < region.lo[i] || target > region.hi[i] || target == x[i]) continue;
          if (region.has_budget()) {
            const std::int64_t before = region.norm == QNorm::L1 ? std::abs(x[i] - region.centre[i]) : x[i] != region.centre[i];
            const std::int64_t after = region.norm == QNorm::L1 ? std::abs(target - region.centre[i]) : target != region.centre[i];
            if (budget_used - before + after > region.radius) continue;
          }
          const std::int64_t m = unsafe_margin(p, eval.output(i, target - x[i]));
          if (m > best_margin) {
            best_margin = m;
            best_delta = target - x[i];
          }
        }
        if (best_delta != 0) {
          if (region.has_budget()) {
            const std::int64_t t = x[i] + best_delta;
            budget_used += (region.norm == QNorm::L1 ? std::abs(t - region.centre[i]) - std::abs(x[i] - region.centre[i])
                                                     : (t != region.centre[i]) - (x[i] != region.centre[i]));
          }
          eval.commit(i, best_delta);
          x[i] += best_delta;
          margin = best_margin;
          improved = true;
          if (margin >= 0) break;
        }
      }
      if (!improved) break;
    }
    if (margin >= 0 && replays(net, p, x)) return x;
  }
  return std::nullopt;
}

}  // namespace nncert
