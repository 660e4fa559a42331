#include "certifier/verify/milp_encoding.hpp"

#include "certifier/core/error.hpp"
#include "certifier/verify/attack.hpp"
#include "certifier/verify/deeppoly.hpp"

#include <sstream>

namespace nncert {

MilpEncoding encode_relu_chain(const ReluChain& chain, const Box& box, const std::vector<Bounds>& pre) {
  MilpEncoding enc;
  MilpProblem& P = enc.problem;
  // Each activation is a variable or the constant 0 (a stably inactive ReLU).
  std::vector<std::optional<std::size_t>> prev;
  for (Eigen::Index i = 0; i < box.lo.size(); ++i) {
    enc.x_vars.push_back(P.add_var(box.lo[i], box.hi[i]));
    prev.push_back(enc.x_vars.back());
  }
  const std::size_t depth = chain.layers.size();
  for (std::size_t l = 0; l < depth; ++l) {
    const Dense& layer = chain.layers[l];
    const Bounds& z = pre[l];
    std::vector<std::optional<std::size_t>> next(static_cast<std::size_t>(layer.b.size()));
    for (Eigen::Index j = 0; j < layer.b.size(); ++j) {
      std::vector<std::pair<std::size_t, double>> wz;  // W_j . a_prev (variable part)
      for (Eigen::Index i = 0; i < layer.W.cols(); ++i)
        if (prev[static_cast<std::size_t>(i)] && layer.W(j, i) != 0)
          wz.push_back({*prev[static_cast<std::size_t>(i)], layer.W(j, i)});
      const double b = layer.b[j], L = z.lo[j], U = z.hi[j];
      auto minus = [](std::vector<std::pair<std::size_t, double>> t) {
        for (auto& e : t) e.second = -e.second;
        return t;
      };
      if (l + 1 == depth) {  // output: y = W a + b
        const std::size_t y = P.add_var(L, U);
        auto row = minus(wz);
        row.push_back({y, 1.0});
        P.add_row(row, b, b);
        enc.y_vars.push_back(y);
        next[static_cast<std::size_t>(j)] = y;
        continue;
      }
      if (U <= 0) continue;  // stably inactive: a = 0
      if (L >= 0) {          // stably active: a = z
        const std::size_t a = P.add_var(L, U);
        auto row = minus(wz);
        row.push_back({a, 1.0});
        P.add_row(row, b, b);
        next[static_cast<std::size_t>(j)] = a;
        continue;
      }
      const std::size_t a = P.add_var(0.0, U);
      const std::size_t d = P.add_var(0.0, 1.0, VarKind::Binary);
      ++enc.binaries;
      auto ge = minus(wz);  // a - W a_prev >= b          (a >= z)
      ge.push_back({a, 1.0});
      P.add_row(ge, b, std::numeric_limits<double>::infinity());
      P.add_row({{a, 1.0}, {d, -U}}, -std::numeric_limits<double>::infinity(), 0.0);  // a <= U d
      auto le = minus(wz);  // a - W a_prev - L d <= b - L   (a <= z - L (1 - d))
      le.push_back({a, 1.0});
      le.push_back({d, -L});
      P.add_row(le, -std::numeric_limits<double>::infinity(), b - L);
      next[static_cast<std::size_t>(j)] = a;
    }
    prev = std::move(next);
  }
  return enc;
}

std::vector<Bounds> tighten_bounds_lp(const ReluChain& chain, const Box& box, std::vector<Bounds> pre,
                                      MilpSolver& solver, std::chrono::steady_clock::time_point deadline) {
  // Layer 0 is affine in the box: its DeepPoly bounds are already exact. The last layer's bounds
  // only bound the output variables, so tightening stops at the last hidden layer.
  for (std::size_t l = 1; l + 1 < chain.layers.size(); ++l) {
    ReluChain head;
    head.layers.assign(chain.layers.begin(), chain.layers.begin() + static_cast<std::ptrdiff_t>(l + 1));
    MilpEncoding enc = encode_relu_chain(head, box, std::vector<Bounds>(pre.begin(), pre.begin() + static_cast<std::ptrdiff_t>(l + 1)));
    for (MilpVar& v : enc.problem.vars) v.kind = VarKind::Continuous;
    Bounds& z = pre[l];
    for (Eigen::Index j = 0; j < z.lo.size(); ++j) {
      if (z.lo[j] >= 0 || z.hi[j] <= 0) continue;  // stable already
      for (const bool maximize : {false, true}) {
        MilpOptions mo;
        mo.time_limit_s = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
        if (mo.time_limit_s <= 0) return pre;
        MilpProblem lp = enc.problem;
        lp.maximize = maximize;
        lp.vars[enc.y_vars[static_cast<std::size_t>(j)]].objective = 1;
        const MilpResult r = solver.solve(lp, mo);
        if (r.status != MilpStatus::Optimal) continue;
        const double v = maximize ? std::max(r.objective, r.bound) : std::min(r.objective, r.bound);
        const double slack = 1e-6 * (1 + std::abs(v));
        if (maximize)
          z.hi[j] = std::min(z.hi[j], v + slack);
        else
          z.lo[j] = std::max(z.lo[j], v - slack);
      }
    }
  }
  return pre;
}

MilpCheck milp_check(const Network& net, const ReluChain& chain, const Property& p, std::size_t ci, std::size_t k,
                     MilpBackend backend, std::chrono::steady_clock::time_point deadline, int threads) {
  MilpCheck out;
  const EigenSingleThread single;
  const Box& box = p.cases[ci].box;
  const Conjunction& conj = p.cases[ci].unsafe[k];
  const DeepPolySpec spec = spec_of(conj, chain.output_size());
  const DeepPolyResult dp = deeppoly(chain, box, &spec);
  if (dp.infeasible || (spec.C.rows() > 0 && dp.spec_lo.maxCoeff() > 0)) {
    out.verdict = MilpVerdict::Verified;
    out.detail = "refuted by DeepPoly bounds before MILP";
    return out;
  }
  const auto solver = make_milp_solver(backend);
  for (double margin : {0.0, 1e-6}) {
    MilpEncoding enc = encode_relu_chain(chain, box, dp.pre);
    out.binaries = enc.binaries;
    for (const OutputConstraint& c : conj) {
      std::vector<std::pair<std::size_t, double>> row;
      for (Eigen::Index j = 0; j < c.a.size(); ++j)
        if (c.a[j] != 0) row.push_back({enc.y_vars[static_cast<std::size_t>(j)], c.a[j]});
      enc.problem.add_row(row, -std::numeric_limits<double>::infinity(), c.b - margin);
    }
    MilpOptions mo;
    mo.time_limit_s = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    if (mo.time_limit_s <= 0) return out;
    mo.threads = threads;
    mo.stop_at_first_solution = true;
    const MilpResult r = solver->solve(enc.problem, mo);
    std::ostringstream detail;
    detail << to_string(backend) << " " << to_string(r.status) << ", " << enc.binaries
           << " binaries, primal tolerance 1e-9";
    out.detail = detail.str();
    if (r.status == MilpStatus::Infeasible) {
      // With a margin the infeasibility only says the region is reachable at most within 1e-6
      // of its boundary (the witness there did not replay): not a proof.
      out.verdict = margin == 0 ? MilpVerdict::Verified : MilpVerdict::Unknown;
      if (margin != 0) out.detail += "; reachable only within 1e-6 of the unsafe boundary";
      return out;
    }
    if (r.status == MilpStatus::Timeout || !r.has_solution) {
      if (r.status == MilpStatus::Error) out.detail += ": " + r.message;
      return out;
    }
    Vector x(static_cast<Eigen::Index>(enc.x_vars.size()));
    for (std::size_t i = 0; i < enc.x_vars.size(); ++i)
      x[static_cast<Eigen::Index>(i)] = std::clamp(r.x[enc.x_vars[i]], box.lo[static_cast<Eigen::Index>(i)],
                                                   box.hi[static_cast<Eigen::Index>(i)]);
    if (auto cex = replay(net, p, x)) {
      out.verdict = MilpVerdict::Falsified;
      out.counterexample = std::move(cex);
      return out;
    }
    // Polish: a few gradient steps from the witness often move it strictly inside the region.
    if (auto cex = pgd(net, chain, p, ci, k, Matrix(x), 20)) {
      out.verdict = MilpVerdict::Falsified;
      out.counterexample = std::move(cex);
      return out;
    }
    if (margin != 0)
      throw InternalError("MILP witness for " + p.name + " does not replay on the concrete network (" + out.detail +
                          ")");
  }
  return out;
}

}  // namespace nncert
