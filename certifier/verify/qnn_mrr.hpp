// Maximum robustness radius of a quantized network around an input: QVIP's Algorithm 1
// (Zhang et al., ASE'22, §4): check r = 1, grow [r_lb, r_ub] by StartR then Step until a radius
// is not robust, then binary search. Work is reused between radii: every verdict is cached, and a
// counterexample found at radius r lies at some distance d <= r, which bounds the MRR below d.
#pragma once

#include "certifier/verify/qnn_verifier.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace nncert {

struct QMrrOptions {
  std::int64_t start = 10, step = 10;
  QNorm norm = QNorm::Linf;
  QVerifyOptions verify;  // per radius
};

struct QMrrResult {
  std::int64_t radius = 0;    // robust at this radius (proven), and, when exact, not at radius + 1
  bool exact = true;          // false when some radius stayed unknown: radius is then a proven lower bound
  std::optional<std::int64_t> non_robust_at;       // smallest radius with a replayed counterexample
  std::vector<std::int64_t> counterexample;        // at distance non_robust_at
  std::vector<std::pair<std::int64_t, QVerdict>> calls;  // every radius verified, in order
  double seconds = 0;
};

// Distance of x from the centre in the norm (for reusing counterexamples across radii).
std::int64_t distance(QNorm norm, const std::vector<std::int64_t>& centre, const std::vector<std::int64_t>& x);

// `label` defaults to the class of the centre. The radius never exceeds what the grid allows.
QMrrResult max_robust_radius(const QNetwork& net, const std::vector<std::int64_t>& centre, const QMrrOptions& options,
                             std::optional<std::size_t> label = std::nullopt);

}  // namespace nncert
