#include "certifier/verify/qnn_counterexample_search.hpp"

#include "certifier/core/error.hpp"
#include "certifier/verify/qnn_bounds.hpp"
#include "certifier/verify/qnn_encoding_compact.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>

namespace nncert {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kInf = std::numeric_limits<double>::infinity();

double seconds_left(Clock::time_point deadline) {
  return std::chrono::duration<double>(deadline - Clock::now()).count();
}

// round(2^F x) before the clamp: the grid point x rounds to, inside the grid or not.
double unclamped_grid(double x, int frac) { return std::floor(std::ldexp(x, frac) + 0.5); }

std::vector<std::int64_t> grid_point(const QNetwork& net, const Vector& x) {
  std::vector<std::int64_t> r(static_cast<std::size_t>(x.size()));
  for (Eigen::Index i = 0; i < x.size(); ++i) r[static_cast<std::size_t>(i)] = quantize_value(x[i], net.cx);
  return r;
}

std::string input_name(std::size_t copy, std::size_t i) { return (copy ? "Xp_" : "X_") + std::to_string(i); }

// The counterexamples so far; distinct means another grid point (of some copy).
class Collector {
 public:
  Collector(const QNetwork& net, const LinearProperty& p, std::size_t limit) : net_(net), p_(p), limit_(limit) {}

  bool full() const { return found.size() >= limit_; }

  // Replays x; keeps it when it is a counterexample on a grid point not kept before. Returns
  // true when it is a counterexample.
  bool offer(const std::vector<Vector>& x) {
    auto cex = qreplay(net_, p_, x);
    if (!cex) return false;
    std::vector<std::int64_t> key;
    for (const Vector& xk : x) {
      const auto r = grid_point(net_, xk);
      key.insert(key.end(), r.begin(), r.end());
    }
    if (!seen_.insert(std::move(key)).second) return true;
    if (!full()) found.push_back(std::move(*cex));
    return true;
  }

  std::vector<LinearCounterexample> found;
  std::vector<std::vector<Vector>> near_misses;

 private:
  const QNetwork& net_;
  const LinearProperty& p_;
  std::size_t limit_;
  std::set<std::vector<std::int64_t>> seen_;
};

// How far the QNetwork's outputs at x are from the case's output region: max over its output
// atoms of lhs - rhs (<= 0 inside; -infinity without output atoms).
double case_margin(const QNetwork& net, const LinearCase& c, const std::vector<Vector>& x) {
  return case_margin(c, evaluate_qcopies(net, x)).value;
}

// Greedy coordinate descent on the case margin over the grid: each input moves by an eighth of
// its box, then a 32nd, then one grid step (integer inputs by 1), while the precondition holds.
void descend(const QNetwork& net, const LinearProperty& p, const LinearCase& c, std::vector<Vector> x, Collector& out) {
  double m = case_margin(net, c, x);
  const double grid_step = std::ldexp(1.0, -net.cx.frac);
  for (double fraction : {1.0 / 8, 1.0 / 32, 0.0})
    for (int sweep = 0; sweep < 4 && !out.full(); ++sweep) {
      bool moved = false;
      for (std::size_t k = 0; k < p.copies; ++k)
        for (std::size_t i = 0; i < p.num_inputs; ++i) {
          const auto ii = static_cast<Eigen::Index>(i);
          const double lo = c.box[k].lo[ii], hi = c.box[k].hi[ii];
          const double step = p.integer[k][i] ? 1.0 : std::max(grid_step, fraction * (hi - lo));
          for (double dir : {-1.0, 1.0}) {
            std::vector<Vector> y = x;
            y[k][ii] = std::clamp(x[k][ii] + dir * step, lo, hi);
            if (y[k][ii] == x[k][ii] || !in_precondition(p, c, y)) continue;
            const double my = case_margin(net, c, y);
            if (my >= m) continue;
            x = std::move(y);
            m = my;
            moved = true;
            if (m <= 0 && out.offer(x)) return;
          }
        }
      if (!moved) break;
    }
}

// The cheap attack: uniform points of each case's box, replayed; then descent from the 8 closest.
void sample_cases(const QNetwork& net, const LinearProperty& p, const SearchOptions& o, std::mt19937_64& rng,
                  Collector& out) {
  for (const LinearCase& c : p.cases) {
    std::vector<std::pair<double, std::vector<Vector>>> near;
    for (std::size_t s = 0; s < o.random_samples && !out.full(); ++s) {
      std::vector<Vector> x = sample_case_box(p, c, rng);
      if (!in_precondition(p, c, x)) continue;
      const double m = case_margin(net, c, x);
      if (m <= 0 && out.offer(x)) continue;
      near.push_back({m, std::move(x)});
      if (s % 256 == 255 && Clock::now() > o.deadline) return;
    }
    std::sort(near.begin(), near.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t s = 0; s < std::min<std::size_t>(near.size(), 8) && !out.full(); ++s) descend(net, p, c, near[s].second, out);
  }
}

// One case over K copies: the compact ILP of each copy on the case's grid box, a real x per input
// tied to its grid variable r by the rounding cell, and the case's atoms tightened by `margin`
// (the cell's upper end too, so that a witness rounds to its r unambiguously).
struct QCaseEncoding {
  MilpProblem problem;
  std::vector<std::vector<std::size_t>> x_vars, r_vars;  // [copy][input]
  std::size_t binaries = 0;
  bool infeasible = false;  // a constant row is violated: the case is unreachable
};

// Appends one copy's network encoding; returns its outputs over the combined problem's variables.
std::vector<QAffine> add_copy(QCaseEncoding& e, const QNetwork& net, const Box& box, const std::vector<bool>& integer,
                              double margin) {
  QInputRegion region;
  for (Eigen::Index i = 0; i < box.lo.size(); ++i) {
    region.lo.push_back(static_cast<std::int64_t>(unclamped_grid(box.lo[i], net.cx.frac)));
    region.hi.push_back(static_cast<std::int64_t>(unclamped_grid(box.hi[i], net.cx.frac)));
  }
  const QBounds bounds = symbolic_bounds(net, region);
  QIlp ilp;
  std::vector<QAffine> outputs = encode_compact_network(ilp, net, region, bounds);
  e.infeasible = e.infeasible || ilp.trivially_infeasible;
  const std::size_t offset = e.problem.append(std::move(ilp.problem));
  for (auto& v : e.problem.vars) v.objective = 0;
  e.binaries += ilp.binaries;
  for (QAffine& y : outputs)
    for (auto& t : y.terms) t.first += offset;
  const double scale = std::ldexp(1.0, net.cx.frac);
  std::vector<std::size_t> xs, rs;
  for (std::size_t i = 0; i < region.lo.size(); ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    const double lo = box.lo[ii], hi = box.hi[ii];
    const VarKind kind = !integer[i] ? VarKind::Continuous : lo == 0 && hi == 1 ? VarKind::Binary : VarKind::Integer;
    const std::size_t x = e.problem.add_var(integer[i] ? std::ceil(lo) : lo, integer[i] ? std::floor(hi) : hi, kind);
    const std::size_t r = ilp.inputs[i] + offset;
    // -1/2 <= 2^F x - r < 1/2: round(2^F x) = r; closed (a superset) unless tightened.
    e.problem.add_row({{x, scale}, {r, -1.0}}, -0.5, margin > 0 ? 0.5 - margin : 0.5);
    xs.push_back(x);
    rs.push_back(r);
  }
  e.x_vars.push_back(std::move(xs));
  e.r_vars.push_back(std::move(rs));
  return outputs;
}

QCaseEncoding encode_qcase(const QNetwork& net, const LinearProperty& p, const LinearCase& c, double margin) {
  QCaseEncoding e;
  std::vector<std::vector<QAffine>> y;
  for (std::size_t k = 0; k < p.copies; ++k) y.push_back(add_copy(e, net, c.box[k], p.integer[k], margin));
  const double y_scale = std::ldexp(1.0, -net.layers.back().cy.frac);
  auto add_atom = [&](const LinearAtom& atom, bool objective) {
    std::map<std::size_t, double> terms;
    double constant = 0;
    for (const auto& [v, coef] : atom.terms) {
      if (!v.output) {
        terms[e.x_vars[v.copy][v.index]] += coef;
        continue;
      }
      const QAffine& out = y[v.copy][v.index];
      constant += coef * y_scale * static_cast<double>(out.constant);
      for (const auto& [var, ic] : out.terms) terms[var] += coef * y_scale * static_cast<double>(ic);
    }
    const double rhs = atom.rhs - margin - constant;
    std::vector<std::pair<std::size_t, double>> row;
    for (const auto& [var, coef] : terms)
      if (coef != 0) {
        row.push_back({var, coef});
        if (objective) e.problem.vars[var].objective += coef;  // toward the unsafe side
      }
    if (row.empty()) {
      e.infeasible = e.infeasible || rhs < 0;
      return;
    }
    e.problem.add_row(std::move(row), -kInf, rhs);
  };
  for (const LinearAtom& atom : c.inputs) add_atom(atom, false);
  for (const LinearAtom& atom : c.outputs) add_atom(atom, true);
  e.problem.maximize = false;
  return e;
}

// Cuts the witness's grid point (and its neighbourhood) off the case: another pattern of the 0/1
// inputs, or some grid input at least max(1, 5% of its grid range) away (one indicator per
// direction, big-M = the range). False when nothing else is left to cut to.
bool exclude_grid_point(QCaseEncoding& e, const std::vector<double>& sol) {
  std::vector<std::pair<std::size_t, double>> any, pattern;
  double ones = 0;
  for (std::size_t k = 0; k < e.x_vars.size(); ++k)
    for (std::size_t i = 0; i < e.x_vars[k].size(); ++i) {
      const std::size_t xv = e.x_vars[k][i], rv = e.r_vars[k][i];
      if (e.problem.vars[xv].kind == VarKind::Binary) {
        const bool one = sol[xv] > 0.5;
        pattern.push_back({xv, one ? -1.0 : 1.0});
        ones += one;
        continue;
      }
      const double lo = e.problem.vars[rv].lo, hi = e.problem.vars[rv].hi, w = hi - lo;
      if (w <= 0) continue;
      const double g = std::round(sol[rv]), rad = std::max(1.0, std::floor(0.05 * w));
      if (g - rad >= lo) {  // r <= g - rad, or the indicator is off
        const std::size_t z = e.problem.add_var(0, 1, VarKind::Binary);
        e.problem.add_row({{rv, 1.0}, {z, w}}, -kInf, g - rad + w);
        any.push_back({z, 1.0});
      }
      if (g + rad <= hi) {  // r >= g + rad
        const std::size_t z = e.problem.add_var(0, 1, VarKind::Binary);
        e.problem.add_row({{rv, 1.0}, {z, -w}}, g + rad - w, kInf);
        any.push_back({z, 1.0});
      }
    }
  if (!pattern.empty()) {  // z <= (number of 0/1 inputs that differ from the witness)
    const std::size_t z = e.problem.add_var(0, 1, VarKind::Binary);
    pattern.push_back({z, -1.0});
    e.problem.add_row(std::move(pattern), -ones, kInf);
    any.push_back({z, 1.0});
  }
  if (any.empty()) return false;
  e.problem.add_row(std::move(any), 1.0, kInf);
  return true;
}

// The real inputs of a solver point: x clamped to the box (integers rounded); where q(x) is not
// the solver's grid point (x within tolerance of a cell's edge), x moved onto the cell's side.
std::vector<Vector> witness_inputs(const QCaseEncoding& e, const QNetwork& net, const LinearProperty& p,
                                   const LinearCase& c, const std::vector<double>& sol) {
  std::vector<Vector> x;
  for (std::size_t k = 0; k < p.copies; ++k) {
    Vector v(static_cast<Eigen::Index>(p.num_inputs));
    for (std::size_t i = 0; i < p.num_inputs; ++i) {
      const auto ii = static_cast<Eigen::Index>(i);
      const double lo = c.box[k].lo[ii], hi = c.box[k].hi[ii];
      v[ii] = std::clamp(sol[e.x_vars[k][i]], lo, hi);
      if (p.integer[k][i]) {
        v[ii] = std::round(v[ii]);
        continue;
      }
      const auto r = static_cast<std::int64_t>(std::llround(sol[e.r_vars[k][i]]));
      if (quantize_value(v[ii], net.cx) == r) continue;
      // Within the solver's tolerance of the cell's edge: onto the edge's inner side.
      const double rr = static_cast<double>(r);
      const double cell_lo = std::ldexp(rr - 0.5, -net.cx.frac);
      const double cell_hi = std::nextafter(std::ldexp(rr + 0.5, -net.cx.frac), -kInf);
      v[ii] = std::clamp(std::clamp(v[ii], cell_lo, cell_hi), lo, hi);
      if (quantize_value(v[ii], net.cx) != r) v[ii] = std::clamp(std::ldexp(rr, -net.cx.frac), lo, hi);
    }
    x.push_back(std::move(v));
  }
  return x;
}

struct CaseOutcome {
  bool proved = false;  // the case's ILP (closed cells, exact atoms) is infeasible, no cuts added
  std::string detail;
};

struct SearchContext {
  const QNetwork& net;
  const LinearProperty& p;
  const SearchOptions& o;
  Collector& out;
  SearchResult& stats;
};

// The ILP of one case: first exact (closed cells, margin 0: infeasible is a proof); a witness that
// does not replay (on a cell's or the region's edge) switches to a 1e-6 margin inside.
CaseOutcome ilp_case(SearchContext& ctx, std::size_t ci) {
  CaseOutcome r;
  const LinearCase& c = ctx.p.cases[ci];
  const auto solver = make_milp_solver(ctx.o.backend);
  for (double margin : {0.0, 1e-6}) {
    QCaseEncoding e = encode_qcase(ctx.net, ctx.p, c, margin);
    ctx.stats.binaries = std::max(ctx.stats.binaries, e.binaries);
    if (e.infeasible) {
      r.proved = margin == 0;
      r.detail = "unreachable by the bounds";
      return r;
    }
    bool cut = false;
    while (!ctx.out.full()) {
      MilpOptions mo;
      mo.time_limit_s = seconds_left(ctx.o.deadline);
      if (mo.time_limit_s <= 0) return r;
      if (cut || !ctx.out.found.empty()) mo.time_limit_s = std::min(mo.time_limit_s, ctx.o.extra_solve_seconds);
      mo.threads = ctx.o.threads;
      mo.stop_at_first_solution = true;
      const auto t0 = Clock::now();
      const MilpResult m = solver->solve(e.problem, mo);
      ctx.stats.milp_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      ++ctx.stats.milp_solves;
      std::ostringstream d;
      d << "compact ILP, " << to_string(ctx.o.backend) << " " << to_string(m.status) << ", " << e.binaries
        << " binaries, primal tolerance 1e-9";
      r.detail = d.str();
      if (m.status == MilpStatus::Infeasible) {
        r.proved = margin == 0 && !cut;
        return r;
      }
      if (!m.has_solution) return r;
      const std::vector<Vector> x = witness_inputs(e, ctx.net, ctx.p, c, m.x);
      if (!ctx.out.offer(x)) {
        r.detail += "; the witness does not replay (on the edge of a rounding cell or of the region)";
        ctx.out.near_misses.push_back(x);
        break;
      }
      if (!exclude_grid_point(e, m.x)) return r;
      cut = true;
    }
    if (ctx.out.full()) return r;
  }
  return r;
}

}  // namespace

Assignment evaluate_qcopies(const QNetwork& net, const std::vector<Vector>& x) {
  Assignment a{x, {}};
  const double scale = std::ldexp(1.0, -net.layers.back().cy.frac);
  for (const Vector& xk : x) {
    const std::vector<std::int64_t> y = evaluate(net, grid_point(net, xk));
    Vector v(static_cast<Eigen::Index>(y.size()));
    for (std::size_t j = 0; j < y.size(); ++j) v[static_cast<Eigen::Index>(j)] = static_cast<double>(y[j]) * scale;
    a.y.push_back(std::move(v));
  }
  return a;
}

std::optional<LinearCounterexample> qreplay(const QNetwork& net, const LinearProperty& p, const std::vector<Vector>& x) {
  Assignment a = evaluate_qcopies(net, x);
  if (auto ci = violated_case(p, a)) return LinearCounterexample{std::move(a), *ci};
  return std::nullopt;
}

void check_qproperty(const QNetwork& net, const LinearProperty& p) {
  if (net.layers.empty()) throw InputError(p.name, "network", "the quantized network has no layers");
  if (p.num_inputs != net.input_size || p.num_outputs != output_size(net))
    throw InputError(p.name, "declare-const",
                     "the property has " + std::to_string(p.num_inputs) + " inputs and " +
                         std::to_string(p.num_outputs) + " outputs, the quantized network " +
                         std::to_string(net.input_size) + " and " + std::to_string(output_size(net)));
  const double lo = static_cast<double>(net.cx.lo()), hi = static_cast<double>(net.cx.hi());
  for (const LinearCase& c : p.cases)
    for (std::size_t k = 0; k < p.copies; ++k)
      for (std::size_t i = 0; i < p.num_inputs; ++i) {
        const auto ii = static_cast<Eigen::Index>(i);
        const double a = c.box[k].lo[ii], b = c.box[k].hi[ii];
        if (unclamped_grid(a, net.cx.frac) >= lo && unclamped_grid(b, net.cx.frac) <= hi) continue;
        std::ostringstream s;
        s << "its box [" << a << ", " << b << "] leaves the quantized input range [" << std::ldexp(lo, -net.cx.frac)
          << ", " << std::ldexp(hi, -net.cx.frac) << "] of " << to_string(net.cx);
        throw InputError(p.name, input_name(k, i), s.str());
      }
}

SearchResult find_qnn_counterexamples(const QNetwork& net, const LinearProperty& p, const SearchOptions& o) {
  const auto t0 = Clock::now();
  check_qproperty(net, p);
  SearchResult res;
  Collector out(net, p, std::max<std::size_t>(1, o.max_counterexamples));
  std::mt19937_64 rng(o.seed);
  if (o.attack) sample_cases(net, p, o, rng, out);
  SearchContext ctx{net, p, o, out, res};
  bool all_proved = true;
  std::string last;
  for (std::size_t ci = 0; ci < p.cases.size() && !out.full(); ++ci) {
    const CaseOutcome c = ilp_case(ctx, ci);
    all_proved = all_proved && c.proved;
    last = c.detail;
    if (!c.proved) res.detail = "case " + std::to_string(ci) + ": " + c.detail;
  }
  if (all_proved && out.found.empty())
    res.detail = std::to_string(p.cases.size()) + " cases unreachable on the quantized network (" + last + ")";
  res.counterexamples = std::move(out.found);
  for (const auto& x : out.near_misses) res.near_misses.push_back(evaluate_qcopies(net, x));
  if (!res.counterexamples.empty())
    res.verdict = Verdict::Falsified;
  else
    res.verdict = all_proved ? Verdict::Verified : Verdict::Unknown;
  res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return res;
}

}  // namespace nncert
