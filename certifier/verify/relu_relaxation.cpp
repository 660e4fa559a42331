#include "certifier/verify/relu_relaxation.hpp"

namespace nncert {

ReluRelaxation relu_relaxation(const Bounds& z, bool parallel) {
  const Eigen::Index n = z.lo.size();
  ReluRelaxation r{Vector::Zero(n), Vector::Zero(n), Vector::Zero(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const double l = z.lo[i], u = z.hi[i];
    if (u <= 0) continue;
    if (l >= 0) {
      r.lo_slope[i] = r.up_slope[i] = 1.0;
      continue;
    }
    const double s = u / (u - l);
    r.up_slope[i] = s;
    // The chord's offset -l u / (u - l), nudged up so rounding cannot put it below relu on [l, u].
    r.up_off[i] = -l * s * (1 + 1e-12) + kAbsWiden;
    r.lo_slope[i] = parallel ? s : (u > -l ? 1.0 : 0.0);
  }
  return r;
}

}  // namespace nncert
