#include "certifier/verify/deeppoly_batch.hpp"

#include "certifier/verify/relu_relaxation.hpp"

namespace nncert {

namespace {

// One hidden layer's relaxations, one column per domain. Lower slope 0 is DeepPoly's
// area-minimising choice, 1 the line parallel to the chord (CROWN's); as in deeppoly(), every row
// is bounded with both and keeps the better bound.
struct LayerRelax {
  Matrix lo[2], up, off;             // neurons x domains
  std::vector<Eigen::Index> live;    // neurons active in some domain (others drop out of every product)
};

LayerRelax relax_layer(const Matrix& zlo, const Matrix& zhi) {
  LayerRelax r;
  const Eigen::Index n = zlo.rows(), B = zlo.cols();
  r.lo[0] = r.lo[1] = r.up = r.off = Matrix::Zero(n, B);
  for (Eigen::Index b = 0; b < B; ++b)
    for (const bool parallel : {false, true}) {
      const ReluRelaxation rr = relu_relaxation(Bounds{zlo.col(b), zhi.col(b)}, parallel);
      r.lo[parallel ? 1 : 0].col(b) = rr.lo_slope;
      r.up.col(b) = rr.up_slope;
      r.off.col(b) = rr.up_off;
    }
  for (Eigen::Index i = 0; i < n; ++i)
    if ((r.up.row(i).array() != 0).any() || (r.lo[0].row(i).array() != 0).any()) r.live.push_back(i);
  return r;
}

// Linear lower bounds lam . a_from + c to back-substitute, in blocks of rows that share a domain
// and a lower relaxation. An upper bound is the negated lower bound of the negated row.
struct Block {
  Eigen::Index start, size, domain;
  int variant;
};

struct Rows {
  Matrix lam;
  Vector c;
  std::vector<Block> blocks;

  Rows(Eigen::Index rows, Eigen::Index cols) : lam(rows, cols), c(rows) {}
  void add(const Eigen::Ref<const Matrix>& coef, const Eigen::Ref<const Vector>& constant, Eigen::Index d, int v) {
    const Eigen::Index start = blocks.empty() ? 0 : blocks.back().start + blocks.back().size;
    lam.middleRows(start, coef.rows()) = coef;
    c.segment(start, coef.rows()) = constant;
    blocks.push_back({start, coef.rows(), d, v});
  }
};

// Lower bounds of every row over its domain's box (columns of box_lo/box_hi), widened outward by
// kRelWiden * (magnitude of the terms) + kAbsWiden exactly as deeppoly()'s concretisation.
Vector concretise_rows(const Rows& rows, const Matrix& box_lo, const Matrix& box_hi) {
  Vector out(rows.lam.rows());
  for (const Block& b : rows.blocks) {
    const auto L = rows.lam.middleRows(b.start, b.size);
    const auto c = rows.c.segment(b.start, b.size);
    const auto lo = box_lo.col(b.domain), hi = box_hi.col(b.domain);
    const Vector v = L.cwiseMax(0.0) * lo + L.cwiseMin(0.0) * hi + c;
    const Vector mag = L.cwiseAbs() * lo.cwiseAbs().cwiseMax(hi.cwiseAbs()) + c.cwiseAbs();
    out.segment(b.start, b.size) = v - (kRelWiden * mag.array() + kAbsWiden).matrix();
  }
  return out;
}

// Substitutes the rows (over the ReLU outputs of layer `from`) down to the input: at every layer
// each block's columns are scaled by its own domain's slopes, then one product with the layer's
// weights moves all rows of all domains down together. With `alpha` (per hidden layer, neurons x
// domains) unstable neurons take those lower slopes instead of the block's variant; with `trace`,
// each layer's coefficients before relaxing are kept (for the gradient).
void back_substitute(const ReluChain& chain, const std::vector<LayerRelax>& rel, int from, Rows& rows,
                     const std::vector<Matrix>* alpha = nullptr, std::vector<Matrix>* trace = nullptr) {
  const Eigen::Index R = rows.lam.rows();
  if (trace) trace->assign(static_cast<std::size_t>(from) + 1, Matrix());
  for (int j = from; j >= 0; --j) {
    const auto sj = static_cast<std::size_t>(j);
    const LayerRelax& r = rel[sj];
    const Dense& layer = chain.layers[sj];
    if (trace) (*trace)[sj] = rows.lam;
    const auto k = static_cast<Eigen::Index>(r.live.size());
    const Matrix Lk = rows.lam(Eigen::all, r.live);
    Matrix S(R, k);
    Vector lo(k), up(k), off(k);
    for (const Block& b : rows.blocks) {
      for (Eigen::Index t = 0; t < k; ++t) {
        const Eigen::Index col = r.live[static_cast<std::size_t>(t)];
        const bool free = alpha && r.off(col, b.domain) > 0;  // unstable: any lower slope in [0, 1] is sound
        lo[t] = free ? (*alpha)[sj](col, b.domain) : r.lo[b.variant](col, b.domain);
        up[t] = r.up(col, b.domain);
        off[t] = r.off(col, b.domain);
      }
      const auto L = Lk.middleRows(b.start, b.size);
      S.middleRows(b.start, b.size) = L.cwiseMax(0.0) * lo.asDiagonal() + L.cwiseMin(0.0) * up.asDiagonal();
      rows.c.segment(b.start, b.size) += L.cwiseMin(0.0) * off;
    }
    rows.c += S * layer.b(r.live);
    rows.lam = S * layer.W(r.live, Eigen::all);
  }
}

// IBP step for every domain (columns), as affine_interval().
void interval_step(const Dense& layer, const Matrix& alo, const Matrix& ahi, Matrix& zlo, Matrix& zhi) {
  const Matrix c = (ahi + alo) / 2, r = (ahi - alo) / 2;
  const Matrix absW = layer.W.cwiseAbs();
  const Matrix mid = (layer.W * c).colwise() + layer.b;
  const Matrix rad = absW * r;
  const Matrix mag = (absW * alo.cwiseAbs().cwiseMax(ahi.cwiseAbs())).colwise() + layer.b.cwiseAbs();
  const Matrix widen = (kRelWiden * mag.array() + kAbsWiden).matrix();
  zlo = mid - rad - widen;
  zhi = mid + rad + widen;
}

// The domains of one call: their boxes (columns), which are infeasible (their bounds stop where
// deeppoly()'s do), and the relaxations of the hidden layers reached so far.
struct Batch {
  const ReluChain& chain;
  Matrix box_lo, box_hi;
  std::vector<bool> dead;
  std::vector<LayerRelax> rel;
};

// Tightens the IBP bounds of layer l by back-substitution: only rows whose phase IBP cannot decide
// (hidden layers) or all rows (the output layer), as in deeppoly().
void tighten(const Batch& bt, std::size_t l, Matrix& zlo, Matrix& zhi) {
  const Dense& layer = bt.chain.layers[l];
  const bool last = l + 1 == bt.chain.depth();
  std::vector<std::vector<Eigen::Index>> sel(static_cast<std::size_t>(zlo.cols()));
  Eigen::Index total = 0;
  for (Eigen::Index b = 0; b < zlo.cols(); ++b) {
    if (bt.dead[static_cast<std::size_t>(b)]) continue;
    for (Eigen::Index i = 0; i < zlo.rows(); ++i)
      if (last || (zlo(i, b) < 0 && zhi(i, b) > 0)) sel[static_cast<std::size_t>(b)].push_back(i);
    total += 4 * static_cast<Eigen::Index>(sel[static_cast<std::size_t>(b)].size());
  }
  if (total == 0) return;
  // Per domain two blocks (both relaxations), each the selected rows and then their negations.
  Rows rows(total, layer.W.cols());
  for (Eigen::Index b = 0; b < zlo.cols(); ++b) {
    const auto& s = sel[static_cast<std::size_t>(b)];
    if (s.empty()) continue;
    const auto u = static_cast<Eigen::Index>(s.size());
    Matrix coef(2 * u, layer.W.cols());
    Vector c(2 * u);
    coef.topRows(u) = layer.W(s, Eigen::all);
    coef.bottomRows(u) = -coef.topRows(u);
    c.head(u) = layer.b(s);
    c.tail(u) = -c.head(u);
    for (const int v : {0, 1}) rows.add(coef, c, b, v);
  }
  back_substitute(bt.chain, bt.rel, static_cast<int>(l) - 1, rows);
  const Vector lo = concretise_rows(rows, bt.box_lo, bt.box_hi);
  for (std::size_t q = 0; q < rows.blocks.size(); q += 2) {
    const Block& v0 = rows.blocks[q];
    const Block& v1 = rows.blocks[q + 1];
    const auto& s = sel[static_cast<std::size_t>(v0.domain)];
    const auto u = static_cast<Eigen::Index>(s.size());
    for (Eigen::Index t = 0; t < u; ++t) {
      const Eigen::Index i = s[static_cast<std::size_t>(t)], b = v0.domain;
      zlo(i, b) = std::max({zlo(i, b), lo[v0.start + t], lo[v1.start + t]});
      zhi(i, b) = std::min({zhi(i, b), -lo[v0.start + u + t], -lo[v1.start + u + t]});
    }
  }
}

// The spec rows C W_last a + (C b_last + d) of every live domain, `variants` per domain (0: area-
// minimising lower slopes, 1: chord-parallel; only 0 when alpha overrides the unstable ones).
Rows spec_rows(const Batch& bt, const DeepPolySpec& spec, int variants, std::vector<Eigen::Index>& domains) {
  const Dense& last = bt.chain.layers.back();
  const Matrix CW = spec.C * last.W;
  const Vector cb = spec.C * last.b + spec.d;
  domains.clear();
  for (Eigen::Index b = 0; b < bt.box_lo.cols(); ++b)
    if (!bt.dead[static_cast<std::size_t>(b)]) domains.push_back(b);
  Rows rows(static_cast<Eigen::Index>(domains.size()) * variants * CW.rows(), CW.cols());
  for (const Eigen::Index b : domains)
    for (int v = 0; v < variants; ++v) rows.add(CW, cb, b, v);
  return rows;
}

// Keeps, row by row, the better of the result's bound and row `src` of `rows` (with its bound lo).
void keep_better(DeepPolyResult& d, Eigen::Index r, const Rows& rows, Eigen::Index src, double lo) {
  if (!(lo > d.spec_lo[r])) return;
  d.spec_lo[r] = lo;
  d.spec_x_coef.row(r) = rows.lam.row(src);
  d.spec_x_const[r] = rows.c[src];
}

// DeepPoly on the spec rows: both relaxations, the better one row by row (recording its input-level
// linear bound). Returns, per domain, the variant of its best row (alpha-CROWN's default start).
std::vector<int> spec_bounds(const Batch& bt, const DeepPolySpec& spec, std::vector<DeepPolyResult>& res) {
  const Eigen::Index m = spec.C.rows();
  const int variants = bt.chain.depth() == 1 ? 1 : 2;
  std::vector<Eigen::Index> domains;
  Rows rows = spec_rows(bt, spec, variants, domains);
  std::vector<int> best_variant(res.size(), 0);
  if (domains.empty()) return best_variant;
  if (bt.chain.depth() > 1) back_substitute(bt.chain, bt.rel, static_cast<int>(bt.chain.depth()) - 2, rows);
  const Vector lo = concretise_rows(rows, bt.box_lo, bt.box_hi);
  for (std::size_t q = 0; q < domains.size(); ++q) {
    DeepPolyResult& d = res[static_cast<std::size_t>(domains[q])];
    const auto base = static_cast<Eigen::Index>(q) * variants * m;
    d.spec_lo = Vector::Constant(m, -std::numeric_limits<double>::infinity());
    d.spec_x_coef.resize(m, rows.lam.cols());
    d.spec_x_const.resize(m);
    for (int v = 0; v < variants; ++v)
      for (Eigen::Index r = 0; r < m; ++r) keep_better(d, r, rows, base + v * m + r, lo[base + v * m + r]);
    Eigen::Index top = 0;
    if (m > 0 && variants == 2) {
      d.spec_lo.maxCoeff(&top);
      best_variant[static_cast<std::size_t>(domains[q])] = lo[base + m + top] > lo[base + top] ? 1 : 0;
    }
  }
  return best_variant;
}

// Per hidden layer, the lower slopes (neurons x domains) to start alpha-CROWN from: a box's warm
// start when it has one of the right size, else DeepPoly's slopes of its best row's variant.
std::vector<Matrix> initial_alpha(const Batch& bt, const AlphaCrown& ac, const std::vector<int>& best_variant) {
  std::vector<Matrix> alpha;
  std::size_t total = 0;
  for (const LayerRelax& r : bt.rel) total += static_cast<std::size_t>(r.up.rows());
  for (const LayerRelax& r : bt.rel) alpha.push_back(Matrix(r.up.rows(), r.up.cols()));
  for (Eigen::Index b = 0; b < bt.box_lo.cols(); ++b) {
    const auto sb = static_cast<std::size_t>(b);
    const bool warm = sb < ac.slopes.size() && ac.slopes[sb].size() == total;
    std::size_t at = 0;
    for (std::size_t j = 0; j < bt.rel.size(); ++j)
      for (Eigen::Index i = 0; i < alpha[j].rows(); ++i, ++at)
        alpha[j](i, b) = warm ? std::clamp(static_cast<double>(ac.slopes[sb][at]), 0.0, 1.0)
                              : bt.rel[j].lo[best_variant[sb]](i, b);
  }
  return alpha;
}

// Gradient of the bound of each row (one per domain, `domain` of each row) with respect to the lower slopes,
// by reverse-mode differentiation of back_substitute() from its trace (coefficients per layer)
// and final coefficients `lam_x`.
std::vector<Matrix> alpha_gradient(const Batch& bt, const std::vector<Matrix>& alpha,
                                   const std::vector<Eigen::Index>& domain, const std::vector<Matrix>& trace,
                                   const Matrix& lam_x) {
  const Eigen::Index R = lam_x.rows();
  Matrix G(R, lam_x.cols());  // d bound / d coefficients at the current layer
  for (Eigen::Index i = 0; i < R; ++i) {
    const Eigen::Index d = domain[static_cast<std::size_t>(i)];
    for (Eigen::Index c = 0; c < G.cols(); ++c) G(i, c) = lam_x(i, c) > 0 ? bt.box_lo(c, d) : bt.box_hi(c, d);
  }
  std::vector<Matrix> grad(alpha.size());
  for (std::size_t j = 0; j < trace.size(); ++j) {
    const Dense& layer = bt.chain.layers[j];
    const LayerRelax& r = bt.rel[j];
    const Matrix gs = (G * layer.W.transpose()).rowwise() + layer.b.transpose();  // d bound / d S_j
    const Matrix& lam = trace[j];
    grad[j] = Matrix::Zero(alpha[j].rows(), alpha[j].cols());
    G.resize(R, lam.cols());
    for (Eigen::Index i = 0; i < R; ++i) {
      const Eigen::Index d = domain[static_cast<std::size_t>(i)];
      for (Eigen::Index c = 0; c < lam.cols(); ++c) {
        const double l = lam(i, c);
        if (l > 0) {
          const bool free = r.off(c, d) > 0;
          G(i, c) = (free ? alpha[j](c, d) : r.lo[0](c, d)) * gs(i, c);
          if (free) grad[j](c, d) += l * gs(i, c);
        } else {
          G(i, c) = r.up(c, d) * gs(i, c) + r.off(c, d);
        }
      }
    }
  }
  return grad;
}

// alpha-CROWN on the spec rows: projected sign-gradient ascent of each domain's best row's bound
// over the unstable lower slopes. Every iterate is a sound relaxation (any slope in [0, 1] is), so
// each row keeps the best bound any iterate gave it, and the result is never looser than DeepPoly.
// The recorded linear bound stays DeepPoly's (still valid below every point): split dimensions and
// candidate points chosen from the optimised coefficients cost ACAS Xu BaB 2-3x more domains.
void optimise_alpha(const Batch& bt, const DeepPolySpec& spec, const std::vector<int>& best_variant, AlphaCrown& ac,
                    std::vector<DeepPolyResult>& res) {
  const Eigen::Index m = spec.C.rows();
  std::vector<Eigen::Index> domains;
  const Rows base = spec_rows(bt, spec, 1, domains);
  ac.slopes.resize(res.size());
  if (domains.empty() || m == 0 || bt.rel.empty()) return;
  std::vector<Matrix> alpha = initial_alpha(bt, ac, best_variant), best_alpha = alpha;
  std::vector<double> best(res.size(), -std::numeric_limits<double>::infinity());
  const int from = static_cast<int>(bt.chain.depth()) - 2;
  for (int t = 0; t <= ac.steps; ++t) {
    Rows rows = base;
    std::vector<Matrix> trace;
    back_substitute(bt.chain, bt.rel, from, rows, &alpha, &trace);
    const Vector lo = concretise_rows(rows, bt.box_lo, bt.box_hi);
    // Each domain's objective: its best row under these slopes.
    std::vector<Matrix> top_trace;
    for (const Matrix& tr : trace) top_trace.emplace_back(static_cast<Eigen::Index>(domains.size()), tr.cols());
    Matrix top_x(static_cast<Eigen::Index>(domains.size()), rows.lam.cols());
    for (std::size_t q = 0; q < domains.size(); ++q) {
      const Eigen::Index b = domains[q], first = static_cast<Eigen::Index>(q) * m;
      DeepPolyResult& d = res[static_cast<std::size_t>(b)];
      Eigen::Index r_top = 0;
      lo.segment(first, m).maxCoeff(&r_top);
      for (Eigen::Index r = 0; r < m; ++r) d.spec_lo[r] = std::max(d.spec_lo[r], lo[first + r]);
      if (lo[first + r_top] > best[static_cast<std::size_t>(b)]) {
        best[static_cast<std::size_t>(b)] = lo[first + r_top];
        for (std::size_t j = 0; j < alpha.size(); ++j) best_alpha[j].col(b) = alpha[j].col(b);
      }
      top_x.row(static_cast<Eigen::Index>(q)) = rows.lam.row(first + r_top);
      for (std::size_t j = 0; j < trace.size(); ++j) top_trace[j].row(static_cast<Eigen::Index>(q)) = trace[j].row(first + r_top);
    }
    if (t == ac.steps) break;
    const std::vector<Matrix> grad = alpha_gradient(bt, alpha, domains, top_trace, top_x);
    const double step = 0.2 * std::pow(0.6, t);
    for (std::size_t j = 0; j < alpha.size(); ++j)
      alpha[j] = (alpha[j].array() + step * grad[j].array().sign()).cwiseMax(0.0).cwiseMin(1.0).matrix();
  }
  for (const Eigen::Index b : domains) {
    std::vector<float>& out = ac.slopes[static_cast<std::size_t>(b)];
    out.clear();
    for (const Matrix& a : best_alpha)
      for (Eigen::Index i = 0; i < a.rows(); ++i) out.push_back(static_cast<float>(a(i, b)));
  }
}

}  // namespace

std::vector<DeepPolyResult> deeppoly_batch(const ReluChain& chain, const std::vector<Box>& boxes,
                                           const DeepPolySpec* spec, AlphaCrown* alpha) {
  const auto B = static_cast<Eigen::Index>(boxes.size());
  const auto n0 = static_cast<Eigen::Index>(chain.input_size);
  std::vector<DeepPolyResult> res(boxes.size());
  if (B == 0) return res;
  Batch bt{chain, Matrix(n0, B), Matrix(n0, B), std::vector<bool>(boxes.size(), false), {}};
  for (Eigen::Index b = 0; b < B; ++b) {
    bt.box_lo.col(b) = boxes[static_cast<std::size_t>(b)].lo;
    bt.box_hi.col(b) = boxes[static_cast<std::size_t>(b)].hi;
  }
  Matrix alo = bt.box_lo, ahi = bt.box_hi, zlo, zhi;
  for (std::size_t l = 0; l < chain.depth(); ++l) {
    interval_step(chain.layers[l], alo, ahi, zlo, zhi);
    if (l > 0) tighten(bt, l, zlo, zhi);
    for (Eigen::Index b = 0; b < B; ++b) {
      const auto sb = static_cast<std::size_t>(b);
      if (bt.dead[sb]) continue;
      res[sb].pre.push_back(Bounds{zlo.col(b), zhi.col(b)});
      if ((zlo.col(b).array() > zhi.col(b).array()).any()) bt.dead[sb] = res[sb].infeasible = true;
    }
    if (l + 1 < chain.depth()) {
      bt.rel.push_back(relax_layer(zlo, zhi));
      alo = zlo.cwiseMax(0.0);
      ahi = zhi.cwiseMax(0.0);
    }
  }
  if (!spec) return res;
  const std::vector<int> best_variant = spec_bounds(bt, *spec, res);
  if (alpha && alpha->steps > 0) optimise_alpha(bt, *spec, best_variant, *alpha, res);
  // Never looser than the interval bound of C y + d over the output bounds.
  for (std::size_t b = 0; b < res.size(); ++b)
    if (!bt.dead[b]) res[b].spec_lo = res[b].spec_lo.cwiseMax(interval_lower(spec->C, spec->d, res[b].pre.back()));
  return res;
}

}  // namespace nncert
