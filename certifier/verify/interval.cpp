#include "certifier/verify/interval.hpp"

namespace nncert {

Bounds affine_interval(const Dense& layer, const Bounds& in) {
  const Vector c = (in.hi + in.lo) / 2, r = (in.hi - in.lo) / 2;
  const Matrix absW = layer.W.cwiseAbs();
  const Vector mid = layer.W * c + layer.b;
  const Vector rad = absW * r;
  const Vector mag = absW * in.lo.cwiseAbs().cwiseMax(in.hi.cwiseAbs()) + layer.b.cwiseAbs();
  const Vector widen = (kRelWiden * mag.array() + kAbsWiden).matrix();
  // c and r themselves carry rounding: r is rounded up relative to the true half-width by at
  // most one ulp, which the widening (relative to |x|) covers.
  return {mid - rad - widen, mid + rad + widen};
}

std::vector<Bounds> interval_bounds(const ReluChain& chain, const Box& box) {
  std::vector<Bounds> pre;
  Bounds a{box.lo, box.hi};
  for (std::size_t l = 0; l < chain.layers.size(); ++l) {
    pre.push_back(affine_interval(chain.layers[l], a));
    a = {pre.back().lo.cwiseMax(0.0), pre.back().hi.cwiseMax(0.0)};
  }
  return pre;
}

Vector interval_lower(const Matrix& C, const Vector& d, const Bounds& y) {
  const Matrix Cp = C.cwiseMax(0.0), Cn = C.cwiseMin(0.0);
  const Vector v = Cp * y.lo + Cn * y.hi + d;
  const Vector mag = C.cwiseAbs() * y.lo.cwiseAbs().cwiseMax(y.hi.cwiseAbs()) + d.cwiseAbs();
  return v - (kRelWiden * mag.array() + kAbsWiden).matrix();
}

}  // namespace nncert
