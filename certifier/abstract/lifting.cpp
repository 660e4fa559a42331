#include "certifier/abstract/lifting.hpp"

#include "certifier/core/error.hpp"
#include "certifier/verify/relu_relaxation.hpp"

#include <chrono>

namespace nncert {

namespace {

Bounds relu(const Bounds& b) { return {b.lo.cwiseMax(0.0), b.hi.cwiseMax(0.0)}; }

// ReLU(a + d) - ReLU(a) for a in [al, au], d in [dl, du]: increasing in d, and monotone in a
// (increasing when d >= 0, decreasing when d < 0), so the extremes sit at corners. Widened
// outward for the rounding of the two subtractions.
double relu_diff(double a, double d) { return std::max(a + d, 0.0) - std::max(a, 0.0); }
double widen(double a, double d) { return kRelWiden * (std::abs(a) + std::abs(d)) + kAbsWiden; }

using Relax = ReluRelaxation;

// Lower bounds of the rows of L . relu(h_from) + c, substituting the chain's layers from down to
// `stop` with the relaxations `rel` (rel[j] relaxes layer j's ReLU) and concretising what is left
// over `last`: the input box when stop == 0, else the bounds of relu(h_{stop-1}). Widened outward
// like DeepPoly's own concretisation.
Vector lower_through(const ReluChain& chain, const std::vector<Relax>& rel, int from, int stop, Matrix L, Vector c,
                     const Box& last) {
  for (int j = from; j >= stop; --j) {
    const Relax& r = rel[static_cast<std::size_t>(j)];
    const Dense& layer = chain.layers[static_cast<std::size_t>(j)];
    // Positive coefficients take the lower line, negative ones the upper line.
    const Matrix Lp = L.cwiseMax(0.0), Ln = L.cwiseMin(0.0);
    c += Ln * r.up_off;
    const Matrix S = Lp * r.lo_slope.asDiagonal() + Ln * r.up_slope.asDiagonal();
    c += S * layer.b;
    L = S * layer.W;
  }
  const Vector v = L.cwiseMax(0.0) * last.lo + L.cwiseMin(0.0) * last.hi + c;
  const Vector mag = L.cwiseAbs() * last.lo.cwiseAbs().cwiseMax(last.hi.cwiseAbs()) + c.cwiseAbs();
  return v - (kRelWiden * mag.array() + kAbsWiden).matrix();
}

Box post_box(const std::vector<Bounds>& pre, int stop, const Box& box) {
  if (stop == 0) return box;
  const Bounds& b = pre[static_cast<std::size_t>(stop) - 1];
  return {b.lo.cwiseMax(0.0), b.hi.cwiseMax(0.0)};
}

// Both lower relaxations over the whole depth, the better bound row by row.
Vector best_lower_through(const ReluChain& chain, const std::vector<Bounds>& pre, int from, const Matrix& L,
                          const Vector& c, const Box& box) {
  std::vector<Relax> area, par;
  for (int j = 0; j <= from; ++j) {
    area.push_back(relu_relaxation(pre[static_cast<std::size_t>(j)], false));
    par.push_back(relu_relaxation(pre[static_cast<std::size_t>(j)], true));
  }
  return lower_through(chain, area, from, 0, L, c, box).cwiseMax(lower_through(chain, par, from, 0, L, c, box));
}

}  // namespace

Vector backsub_lower(const ReluChain& chain, const std::vector<Bounds>& pre, const Matrix& C, const Vector& d,
                     const Box& box) {
  if (pre.size() != chain.depth()) throw InternalError("backsub_lower: one bounds entry per layer expected");
  const Dense& last = chain.layers.back();
  return best_lower_through(chain, pre, static_cast<int>(chain.depth()) - 2, C * last.W, C * last.b + d, box);
}

std::vector<Vector> representative_eps(const AbstractionMap& map, const std::vector<Vector>& eps) {
  std::vector<Vector> out;
  for (std::size_t h = 0; h < map.rep.size(); ++h) {
    const auto idx = abstract_index(map.rep[h]);
    Vector e = Vector::Zero(static_cast<Eigen::Index>(kept_neurons(map.rep[h]).size()));
    for (std::size_t m = 0; m < idx.size(); ++m)
      e[static_cast<Eigen::Index>(idx[m])] = std::max(e[static_cast<Eigen::Index>(idx[m])], eps[h][static_cast<Eigen::Index>(m)]);
    out.push_back(e);
  }
  return out;
}

std::vector<Bounds> lift_theorem3(const ReluChain& abstract, const std::vector<Vector>& rep_eps,
                                  const std::vector<Bounds>& abstract_pre) {
  if (abstract_pre.size() != abstract.depth() || rep_eps.size() + 1 != abstract.depth())
    throw InternalError("lift_theorem3: bounds/eps do not match the network depth");
  std::vector<Bounds> out;
  Vector delta = Vector::Zero(static_cast<Eigen::Index>(abstract.input_size));
  for (std::size_t l = 0; l < abstract.depth(); ++l) {
    if (l > 0) delta += rep_eps[l - 1];
    delta = abstract.layers[l].W.cwiseAbs() * delta;
    Bounds b{abstract_pre[l].lo - delta, abstract_pre[l].hi + delta};
    out.push_back(b);
  }
  return out;
}

LiftedBounds lift_bounds(const ReluChain& original, const AbstractionMap& map, const ReluChain& abstract, const Box& box,
                         const std::vector<Bounds>& abstract_pre, int refine) {
  check_map(original, map);
  if (abstract_pre.size() != original.depth() || abstract.depth() != original.depth())
    throw InternalError("lift_bounds: abstract network/bounds do not match the original's depth");
  LiftedBounds out;
  Bounds err_prev{Vector::Zero(static_cast<Eigen::Index>(original.input_size)),
                  Vector::Zero(static_cast<Eigen::Index>(original.input_size))};
  Bounds abs_post_prev{box.lo, box.hi};
  Bounds post_prev{box.lo, box.hi};  // lifted bounds of the original's previous ReLU outputs
  for (std::size_t l = 0; l < original.depth(); ++l) {
    const Dense& d = original.layers[l];
    const bool hidden = l + 1 < original.depth();
    // Error carried in from the previous layer through the original incoming rows.
    Bounds dh = affine_interval(Dense{d.W, Vector::Zero(d.b.size())}, err_prev);
    std::vector<std::size_t> rep, idx;
    if (hidden) {
      rep = map.rep[l];
      idx = abstract_index(rep);
      // Members differ from their representative in their own (merged) incoming row.
      const Matrix M = merge_columns(d.W, l > 0 ? &map.rep[l - 1] : nullptr);
      Dense diff{Matrix(M.rows(), M.cols()), Vector(d.b.size())};
      bool any = false;
      for (std::size_t n = 0; n < rep.size(); ++n) {
        const auto ni = static_cast<Eigen::Index>(n), ri = static_cast<Eigen::Index>(rep[n]);
        diff.W.row(ni) = M.row(ni) - M.row(ri);
        diff.b[ni] = d.b[ni] - d.b[ri];
        any = any || rep[n] != n;
      }
      if (any) {
        const Bounds db = affine_interval(diff, abs_post_prev);
        dh.lo += db.lo;
        dh.hi += db.hi;
      }
    } else {
      idx.resize(static_cast<std::size_t>(d.b.size()));
      for (std::size_t n = 0; n < idx.size(); ++n) idx[n] = n;
    }
    const Bounds& ap = abstract_pre[l];
    const auto n_out = static_cast<Eigen::Index>(idx.size());
    Bounds pre{Vector(n_out), Vector(n_out)};
    Bounds err{Vector(n_out), Vector(n_out)};
    // Two sound bounds on each original pre-activation: abstract bounds + error, and one
    // interval step of the original itself; both hold, so their intersection does.
    const Bounds step = affine_interval(d, post_prev);
    for (Eigen::Index n = 0; n < n_out; ++n) {
      const auto a = static_cast<Eigen::Index>(idx[static_cast<std::size_t>(n)]);
      const double al = ap.lo[a], au = ap.hi[a], dl = dh.lo[n], du = dh.hi[n];
      pre.lo[n] = std::max(al + dl - widen(al, dl), step.lo[n]);
      pre.hi[n] = std::min(au + du + widen(au, du), step.hi[n]);
    }
    if (refine > 0 && hidden && l > 0) {
      // DeepPoly on the original, but only for the neurons the lifting leaves unstable.
      std::vector<Eigen::Index> rows;
      for (Eigen::Index n = 0; n < n_out; ++n)
        if (pre.lo[n] < 0 && pre.hi[n] > 0) rows.push_back(n);
      if (!rows.empty()) {
        const auto m = static_cast<Eigen::Index>(rows.size());
        Matrix Wr(m, d.W.cols());
        Vector br(m);
        for (Eigen::Index k = 0; k < m; ++k) {
          Wr.row(k) = d.W.row(rows[static_cast<std::size_t>(k)]);
          br[k] = d.b[rows[static_cast<std::size_t>(k)]];
        }
        // Lower and upper bounds in one pass (rows W and -W), DeepPoly's area-minimising
        // relaxation only, back-substituted at most `refine` layers deep.
        const int from = static_cast<int>(l) - 1, stop = std::max(0, from + 1 - refine);
        Matrix L(2 * m, Wr.cols());
        L << Wr, -Wr;
        Vector c(2 * m);
        c << br, -br;
        std::vector<Relax> rel;
        for (int j = 0; j <= from; ++j) rel.push_back(relu_relaxation(out.pre[static_cast<std::size_t>(j)]));
        const Vector both = lower_through(original, rel, from, stop, L, c, post_box(out.pre, stop, box));
        const Vector lo = both.head(m), hi = -both.tail(m);
        for (Eigen::Index k = 0; k < m; ++k) {
          const Eigen::Index n = rows[static_cast<std::size_t>(k)];
          pre.lo[n] = std::max(pre.lo[n], lo[k]);
          pre.hi[n] = std::min(pre.hi[n], hi[k]);
        }
        out.refined += rows.size();
      }
    }
    if (hidden) {
      // The error is also bounded by the difference of the two ReLU ranges.
      for (Eigen::Index n = 0; n < n_out; ++n) {
        const auto a = static_cast<Eigen::Index>(idx[static_cast<std::size_t>(n)]);
        const double al = ap.lo[a], au = ap.hi[a], dl = dh.lo[n], du = dh.hi[n];
        const double zl = std::max(pre.lo[n], 0.0), zu = std::max(pre.hi[n], 0.0);
        const double rl = std::max(al, 0.0), ru = std::max(au, 0.0);
        const double lo = dl < 0 ? relu_diff(au, dl) - widen(au, dl) : relu_diff(al, dl) - widen(al, dl);
        const double hi = du >= 0 ? relu_diff(au, du) + widen(au, du) : relu_diff(al, du) + widen(al, du);
        err.lo[n] = std::max(lo, zl - ru - widen(zl, ru));
        err.hi[n] = std::min(hi, zu - rl + widen(zu, rl));
        out.unstable += pre.lo[n] < 0 && pre.hi[n] > 0;
      }
    }
    out.pre.push_back(pre);
    if (hidden) {
      out.err.push_back(err);
      err_prev = err;
      abs_post_prev = relu(ap);
      post_prev = relu(pre);
    } else {
      out.out_err = dh;
    }
  }
  return out;
}

DeepPolySpec margin_spec(std::size_t outputs, int label) {
  if (label < 0 || static_cast<std::size_t>(label) >= outputs) throw InputError("robustness", "label", "out of range");
  DeepPolySpec s{Matrix::Zero(static_cast<Eigen::Index>(outputs - 1), static_cast<Eigen::Index>(outputs)),
                 Vector::Zero(static_cast<Eigen::Index>(outputs - 1))};
  Eigen::Index row = 0;
  for (std::size_t j = 0; j < outputs; ++j) {
    if (static_cast<int>(j) == label) continue;
    s.C(row, label) = 1;
    s.C(row, static_cast<Eigen::Index>(j)) = -1;
    ++row;
  }
  return s;
}

LiftedRobustness lift_robustness(const ReluChain& original, const AbstractionMap& map, const ReluChain& abstract,
                                 const Box& box, int label, const LiftOptions& options) {
  using Clock = std::chrono::steady_clock;
  LiftedRobustness r;
  const DeepPolySpec spec = margin_spec(original.output_size(), label);
  const auto t0 = Clock::now();
  const DeepPolyResult dp = deeppoly(abstract, box, &spec);
  const auto t1 = Clock::now();
  r.deeppoly_seconds = std::chrono::duration<double>(t1 - t0).count();
  if (dp.infeasible) throw InternalError("DeepPoly reported an empty box without splits");
  r.abstract_margin = dp.spec_lo;
  r.abstract_pre = dp.pre;
  r.abstract_robust = (dp.spec_lo.array() > 0).all();
  if (r.abstract_robust) {
    // Cheapest first, stop as soon as every margin is positive: each stage's margin is a sound
    // lower bound, so keeping the maximum is too.
    auto margins = [&](const LiftedBounds& lb, bool backsub, int stage) {
      // y_label - y_j = (y~_label - y~_j) + (W_label - W_j) . e over the last hidden layer.
      const Dense& last = original.layers.back();
      const Bounds e = original.depth() > 1 ? lb.err.back()
                                            : Bounds{Vector::Zero(static_cast<Eigen::Index>(original.input_size)),
                                                     Vector::Zero(static_cast<Eigen::Index>(original.input_size))};
      const Bounds me = affine_interval(Dense{spec.C * last.W, Vector::Zero(spec.C.rows())}, e);
      Vector m = dp.spec_lo + me.lo;
      for (Eigen::Index i = 0; i < m.size(); ++i) m[i] -= widen(dp.spec_lo[i], me.lo[i]);
      if (r.lifted_margin.size() == m.size()) m = m.cwiseMax(r.lifted_margin);
      if ((m.array() > 0).all()) {
        r.stage = stage == 1 ? 0 : stage;
      } else if (backsub) {
        m = m.cwiseMax(backsub_lower(original, lb.pre, spec.C, spec.d, box));
        if ((m.array() > 0).all()) r.stage = stage;
      }
      r.lifted_margin = m;
      r.unstable = lb.unstable;
      r.refined = lb.refined;
      r.lifted = (m.array() > 0).all();
    };
    margins(lift_bounds(original, map, abstract, box, dp.pre, 0), options.backsub_margin, 1);
    if (!r.lifted && options.refine) margins(lift_bounds(original, map, abstract, box, dp.pre, 2), true, 2);
    if (!r.lifted && options.refine && original.depth() > 4)
      margins(lift_bounds(original, map, abstract, box, dp.pre, static_cast<int>(original.depth())), true, 3);
  } else {
    r.lifted_margin = Vector::Constant(dp.spec_lo.size(), -std::numeric_limits<double>::infinity());
  }
  r.lift_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return r;
}

}  // namespace nncert
