#include "certifier/verify/deeppoly.hpp"

#include "certifier/verify/relu_relaxation.hpp"

namespace nncert {

namespace {

using Relax = ReluRelaxation;

// Lower bounds of the rows of (Lam x + c) over the box, widened outward.
Vector concretise_lower(const Matrix& Lam, const Vector& c, const Box& box) {
  const Vector v = Lam.cwiseMax(0.0) * box.lo + Lam.cwiseMin(0.0) * box.hi + c;
  const Vector mag = Lam.cwiseAbs() * box.lo.cwiseAbs().cwiseMax(box.hi.cwiseAbs()) + c.cwiseAbs();
  return v - (kRelWiden * mag.array() + kAbsWiden).matrix();
}

// Back-substitutes the stacked expressions [L; U] (over the ReLU outputs of layer `from`, with
// constants cl, cu) down to the input. Returns {lower bounds of L rows, upper bounds of U rows}.
// When `record` is given, stores L's coefficients on every hidden layer before relaxing it, and
// the final input-level L and constant.
struct Backsub {
  Vector lo, hi;
  Matrix x_coef_lo;
  Vector x_const_lo;
  std::vector<Matrix> relu_coef_lo;
};

Backsub back_substitute(const ReluChain& chain, const std::vector<Relax>& rel, int from, Matrix L, Vector cl,
                        Matrix U, Vector cu, const Box& box, bool record) {
  Backsub out;
  if (record) out.relu_coef_lo.resize(static_cast<std::size_t>(from) + 1);
  const Eigen::Index m = L.rows();
  for (int j = from; j >= 0; --j) {
    const Relax& r = rel[static_cast<std::size_t>(j)];
    if (record) out.relu_coef_lo[static_cast<std::size_t>(j)] = L;
    // Relax a_j in terms of z_j: lower bound uses the lower relaxation for positive coefficients.
    // Relax column by column; stably inactive neurons (both slopes 0) drop out of the product.
    std::vector<Eigen::Index> live;
    for (Eigen::Index c = 0; c < L.cols(); ++c)
      if (r.lo_slope[c] != 0 || r.up_slope[c] != 0) live.push_back(c);
    const auto k = static_cast<Eigen::Index>(live.size());
    const Dense& layer = chain.layers[static_cast<std::size_t>(j)];
    Matrix S(2 * m, k), Wl(k, layer.W.cols());
    Vector bl(k);
    for (Eigen::Index t = 0; t < k; ++t) {
      const Eigen::Index c = live[static_cast<std::size_t>(t)];
      const double lo = r.lo_slope[c], up = r.up_slope[c], off = r.up_off[c];
      if (lo == up && off == 0) {  // stably active: exact
        S.col(t).head(m) = L.col(c);
        S.col(t).tail(m) = U.col(c);
      } else {
        const auto lc = L.col(c).array(), uc = U.col(c).array();
        S.col(t).head(m) = lc.max(0.0) * lo + lc.min(0.0) * up;
        S.col(t).tail(m) = uc.max(0.0) * up + uc.min(0.0) * lo;
        cl += (lc.min(0.0) * off).matrix();
        cu += (uc.max(0.0) * off).matrix();
      }
      Wl.row(t) = layer.W.row(c);
      bl[t] = layer.b[c];
    }
    // Substitute z_j = W_j a_{j-1} + b_j (a_{-1} = x).
    cl += S.topRows(m) * bl;
    cu += S.bottomRows(m) * bl;
    const Matrix SW = S * Wl;
    L = SW.topRows(m);
    U = SW.bottomRows(m);
  }
  out.lo = concretise_lower(L, cl, box);
  out.hi = -concretise_lower(-U, -cu, box);
  if (record) {
    out.x_coef_lo = std::move(L);
    out.x_const_lo = std::move(cl);
  }
  return out;
}

}  // namespace

DeepPolySpec spec_of(const Conjunction& c, std::size_t num_outputs) {
  DeepPolySpec s{Matrix::Zero(static_cast<Eigen::Index>(c.size()), static_cast<Eigen::Index>(num_outputs)),
                 Vector::Zero(static_cast<Eigen::Index>(c.size()))};
  for (std::size_t i = 0; i < c.size(); ++i) {
    s.C.row(static_cast<Eigen::Index>(i)) = c[i].a.transpose();
    s.d[static_cast<Eigen::Index>(i)] = -c[i].b;
  }
  return s;
}

DeepPolyResult deeppoly(const ReluChain& chain, const Box& box, const DeepPolySpec* spec, const ReluSplits* splits) {
  DeepPolyResult res;
  const std::size_t depth = chain.layers.size();
  // Per hidden layer, the area-minimising relaxation and the one with the lower line parallel to
  // the chord (a >= u/(u-l) z, CROWN's choice); bounds keep the better of the two row by row.
  std::vector<Relax> rel, par;
  Bounds a{box.lo, box.hi};  // bounds of the previous layer's ReLU outputs (or the input)
  for (std::size_t l = 0; l < depth; ++l) {
    const Dense& layer = chain.layers[l];
    Bounds z = affine_interval(layer, a);  // IBP step from the already tightened bounds
    if (l > 0) {
      // Back-substitute only rows whose phase IBP cannot decide (hidden layers) or all rows
      // (the output layer): a stable ReLU's relaxation is exact whatever its bounds.
      std::vector<Eigen::Index> rows;
      const bool last = l + 1 == depth;
      for (Eigen::Index i = 0; i < z.lo.size(); ++i)
        if (last || (z.lo[i] < 0 && z.hi[i] > 0)) rows.push_back(i);
      if (!rows.empty()) {
        const auto m = static_cast<Eigen::Index>(rows.size());
        Matrix Wr(m, layer.W.cols());
        Vector br(m);
        for (Eigen::Index k = 0; k < m; ++k) {
          Wr.row(k) = layer.W.row(rows[static_cast<std::size_t>(k)]);
          br[k] = layer.b[rows[static_cast<std::size_t>(k)]];
        }
        const Backsub bs = back_substitute(chain, rel, static_cast<int>(l) - 1, Wr, br, Wr, br, box, false);
        const Backsub alt = back_substitute(chain, par, static_cast<int>(l) - 1, Wr, br, Wr, br, box, false);
        for (Eigen::Index k = 0; k < m; ++k) {
          const Eigen::Index i = rows[static_cast<std::size_t>(k)];
          z.lo[i] = std::max({z.lo[i], bs.lo[k], alt.lo[k]});
          z.hi[i] = std::min({z.hi[i], bs.hi[k], alt.hi[k]});
        }
      }
    }
    if (l + 1 < depth && splits && l < splits->size() && !(*splits)[l].empty()) {
      const auto& s = (*splits)[l];
      for (Eigen::Index i = 0; i < z.lo.size(); ++i) {
        if (s[static_cast<std::size_t>(i)] > 0) z.lo[i] = std::max(z.lo[i], 0.0);
        if (s[static_cast<std::size_t>(i)] < 0) z.hi[i] = std::min(z.hi[i], 0.0);
      }
    }
    if (((z.lo.array() > z.hi.array())).any()) res.infeasible = true;
    res.pre.push_back(z);
    if (res.infeasible) return res;
    if (l + 1 < depth) {
      rel.push_back(relu_relaxation(z));
      par.push_back(relu_relaxation(z, true));
      a = {z.lo.cwiseMax(0.0), z.hi.cwiseMax(0.0)};
    }
  }
  if (spec) {
    const Dense& last = chain.layers.back();
    const Matrix CW = spec->C * last.W;
    const Vector cb = spec->C * last.b + spec->d;
    if (depth == 1) {
      res.spec_x_coef = CW;
      res.spec_x_const = cb;
      res.spec_lo = concretise_lower(CW, cb, box);
    } else {
      Backsub bs = back_substitute(chain, rel, static_cast<int>(depth) - 2, CW, cb, CW, cb, box, true);
      // The specification rows are few: also try the lower relaxation parallel to the chord
      // (a >= u/(u-l) z, CROWN's choice) and keep, row by row, whichever bound is higher. Both are
      // sound relaxations, so the maximum is too.
      Backsub alt = back_substitute(chain, par, static_cast<int>(depth) - 2, CW, cb, CW, cb, box, true);
      for (Eigen::Index r = 0; r < bs.lo.size(); ++r) {
        if (!(alt.lo[r] > bs.lo[r])) continue;
        bs.lo[r] = alt.lo[r];
        bs.x_coef_lo.row(r) = alt.x_coef_lo.row(r);
        bs.x_const_lo[r] = alt.x_const_lo[r];
        for (std::size_t l = 0; l < bs.relu_coef_lo.size(); ++l) bs.relu_coef_lo[l].row(r) = alt.relu_coef_lo[l].row(r);
      }
      res.spec_lo = bs.lo;
      res.spec_x_coef = std::move(bs.x_coef_lo);
      res.spec_x_const = std::move(bs.x_const_lo);
      res.spec_relu_coef = std::move(bs.relu_coef_lo);
    }
    // Never looser than the interval bound of C y + d over the output bounds.
    res.spec_lo = res.spec_lo.cwiseMax(interval_lower(spec->C, spec->d, res.pre.back()));
  }
  return res;
}

}  // namespace nncert
