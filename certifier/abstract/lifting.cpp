#include "certifier/abstract/lifting.hpp"

#include "certifier/core/error.hpp"

#include <chrono>

namespace nncert {

namespace {

Bounds relu(const Bounds& b) { return {b.lo.cwiseMax(0.0), b.hi.cwiseMax(0.0)}; }

// ReLU(a + d) - ReLU(a) for a in [al, au], d in [dl, du]: increasing in d, and monotone in a
// (increasing when d >= 0, decreasing when d < 0), so the extremes sit at corners. Widened
// outward for the rounding of the two subtractions.
double relu_diff(double a, double d) { return std::max(a + d, 0.0) - std::max(a, 0.0); }
double widen(double a, double d) { return kRelWiden * (std::abs(a) + std::abs(d)) + kAbsWiden; }

}  // namespace

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
                         const std::vector<Bounds>& abstract_pre) {
  check_map(original, map);
  if (abstract_pre.size() != original.depth() || abstract.depth() != original.depth())
    throw InternalError("lift_bounds: abstract network/bounds do not match the original's depth");
  LiftedBounds out;
  Bounds err_prev{Vector::Zero(static_cast<Eigen::Index>(original.input_size)),
                  Vector::Zero(static_cast<Eigen::Index>(original.input_size))};
  Bounds abs_post_prev{box.lo, box.hi};
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
    for (Eigen::Index n = 0; n < n_out; ++n) {
      const auto a = static_cast<Eigen::Index>(idx[static_cast<std::size_t>(n)]);
      const double al = ap.lo[a], au = ap.hi[a], dl = dh.lo[n], du = dh.hi[n];
      pre.lo[n] = al + dl - widen(al, dl);
      pre.hi[n] = au + du + widen(au, du);
      if (!hidden) continue;
      const double lo = dl < 0 ? relu_diff(au, dl) - widen(au, dl) : relu_diff(al, dl) - widen(al, dl);
      const double hi = du >= 0 ? relu_diff(au, du) + widen(au, du) : relu_diff(al, du) + widen(al, du);
      err.lo[n] = lo;
      err.hi[n] = hi;
    }
    out.pre.push_back(pre);
    if (hidden) {
      out.err.push_back(err);
      err_prev = err;
      abs_post_prev = relu(ap);
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
                                 const Box& box, int label) {
  using Clock = std::chrono::steady_clock;
  LiftedRobustness r;
  const DeepPolySpec spec = margin_spec(original.output_size(), label);
  const auto t0 = Clock::now();
  const DeepPolyResult dp = deeppoly(abstract, box, &spec);
  const auto t1 = Clock::now();
  r.deeppoly_seconds = std::chrono::duration<double>(t1 - t0).count();
  if (dp.infeasible) throw InternalError("DeepPoly reported an empty box without splits");
  r.abstract_margin = dp.spec_lo;
  r.abstract_robust = (dp.spec_lo.array() > 0).all();
  if (r.abstract_robust) {
    // y_label - y_j = (y~_label - y~_j) + (W_label - W_j) . e over the last hidden layer.
    const LiftedBounds lb = lift_bounds(original, map, abstract, box, dp.pre);
    const Dense& last = original.layers.back();
    const Bounds e = original.depth() > 1 ? lb.err.back()
                                          : Bounds{Vector::Zero(static_cast<Eigen::Index>(original.input_size)),
                                                   Vector::Zero(static_cast<Eigen::Index>(original.input_size))};
    const Bounds me = affine_interval(Dense{spec.C * last.W, Vector::Zero(spec.C.rows())}, e);
    r.lifted_margin = dp.spec_lo + me.lo;
    for (Eigen::Index i = 0; i < r.lifted_margin.size(); ++i)
      r.lifted_margin[i] -= widen(dp.spec_lo[i], me.lo[i]);
    r.lifted = (r.lifted_margin.array() > 0).all();
  } else {
    r.lifted_margin = Vector::Constant(dp.spec_lo.size(), -std::numeric_limits<double>::infinity());
  }
  r.lift_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return r;
}

}  // namespace nncert
