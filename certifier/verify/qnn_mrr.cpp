#include "certifier/verify/qnn_mrr.hpp"

#include "certifier/core/error.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>

namespace nncert {

std::int64_t distance(QNorm norm, const std::vector<std::int64_t>& centre, const std::vector<std::int64_t>& x) {
  std::int64_t d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::int64_t a = std::abs(x[i] - centre[i]);
    d = norm == QNorm::Linf ? std::max(d, a) : norm == QNorm::L1 ? d + a : d + (a != 0);
  }
  return d;
}

QMrrResult max_robust_radius(const QNetwork& net, const std::vector<std::int64_t>& centre, const QMrrOptions& o,
                             std::optional<std::size_t> label) {
  const auto start = std::chrono::steady_clock::now();
  if (o.start < 1 || o.step < 1) throw InputError("mrr", "--start/--step", "expected positive integers");
  const std::int64_t span = net.cx.hi() - net.cx.lo(), n = static_cast<std::int64_t>(net.input_size);
  const std::int64_t max_radius = o.norm == QNorm::Linf ? span : o.norm == QNorm::L1 ? span * n : n;
  if (!label) label = predict(net, centre);
  QMrrResult res;
  std::map<std::int64_t, QVerdict> cache;
  std::int64_t proven = 0;  // largest radius proven robust
  // VERIFYR with reuse: radii at or beyond a known counterexample's distance are non-robust, radii
  // at or below a proven one are robust.
  auto verify_r = [&](std::int64_t r) -> QVerdict {
    r = std::min(r, max_radius);
    if (res.non_robust_at && r >= *res.non_robust_at) return QVerdict::Falsified;
    if (r <= proven) return QVerdict::Verified;
    if (const auto it = cache.find(r); it != cache.end()) return it->second;
    const QProperty p = classification_property(net, ball_region(net, centre, o.norm, r), label);
    const QVerifyResult v = verify_qnn(net, p, o.verify);
    res.calls.emplace_back(r, v.verdict);
    cache[r] = v.verdict;
    if (v.verdict == QVerdict::Verified) proven = std::max(proven, r);
    if (v.verdict == QVerdict::Falsified) {
      const std::int64_t d = distance(o.norm, centre, v.counterexample);
      if (!res.non_robust_at || d < *res.non_robust_at) {
        res.non_robust_at = d;
        res.counterexample = v.counterexample;
      }
    }
    if (v.verdict == QVerdict::Unknown) res.exact = false;
    return v.verdict;
  };
  // An unknown radius is treated as not robust for the search; the answer is then only a lower bound.
  auto robust = [&](std::int64_t r) { return verify_r(r) == QVerdict::Verified; };

  if (max_radius == 0 || !robust(1)) {
    res.radius = 0;
  } else {
    // GETRANGE: r_lb robust, r_ub not (or beyond the grid).
    std::int64_t lo = 1, hi = std::max<std::int64_t>(o.start, 2);
    while (hi <= max_radius && robust(hi)) {
      lo = hi;
      hi += o.step;
    }
    if (hi > max_radius) {
      if (robust(max_radius)) {
        lo = max_radius;
        hi = max_radius + 1;
      } else {
        hi = max_radius;
      }
    }
    if (res.non_robust_at) hi = std::min(hi, *res.non_robust_at);
    // GETMRR: binary search on (lo, hi).
    while (hi > lo + 1) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (robust(mid)) {
        lo = mid;
      } else {
        hi = mid;
        if (res.non_robust_at) hi = std::min(hi, std::max(*res.non_robust_at, lo + 1));
      }
    }
    res.radius = lo;
  }
  if (res.exact && res.radius < max_radius && !(res.non_robust_at && *res.non_robust_at == res.radius + 1))
    res.exact = cache.count(res.radius + 1) && cache[res.radius + 1] == QVerdict::Falsified;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace nncert
