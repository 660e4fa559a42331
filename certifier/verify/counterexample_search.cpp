#include "certifier/verify/counterexample_search.hpp"

#include "certifier/core/error.hpp"
#include "certifier/verify/bab.hpp"
#include "certifier/verify/deeppoly.hpp"
#include "certifier/verify/milp_encoding.hpp"
#include "certifier/verify/relu_chain.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <sstream>

namespace nncert {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kInf = std::numeric_limits<double>::infinity();

double seconds_left(Clock::time_point deadline) {
  return std::chrono::duration<double>(deadline - Clock::now()).count();
}

Clock::time_point seconds_from_now(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// The search's state: the counterexamples so far and the rule that keeps them distinct.
class Collector {
 public:
  Collector(const Network& net, const LinearProperty& p, std::size_t limit) : net_(net), p_(p), limit_(limit) {}

  bool full() const { return found.size() >= limit_; }

  // Replays x; keeps it when it is a counterexample at least 1e-3 of the box width (in some
  // coordinate) away from every one kept so far. Returns true when it is a counterexample.
  bool offer(const std::vector<Vector>& x) {
    auto cex = replay(net_, p_, x);
    if (!cex) return false;
    const LinearCase& c = p_.cases[cex->case_index];
    for (const LinearCounterexample& old : found) {
      double d = 0;
      for (std::size_t k = 0; k < p_.copies; ++k) {
        const Vector width = (c.box[k].hi - c.box[k].lo).cwiseMax(1e-12);
        d = std::max(d, ((old.point.x[k] - x[k]).cwiseAbs().array() / width.array()).maxCoeff());
      }
      if (d <= 1e-3) return true;
    }
    if (!full()) found.push_back(std::move(*cex));
    return true;
  }

  std::vector<LinearCounterexample> found;
  std::vector<std::vector<Vector>> near_misses;

 private:
  const Network& net_;
  const LinearProperty& p_;
  std::size_t limit_;
};

// x with the chain's outputs (the folded network: the fast path; hits are replayed on the real one).
Assignment chain_assignment(const ReluChain& chain, const std::vector<Vector>& x) {
  Assignment a{x, {}};
  for (const Vector& xi : x) a.y.push_back(evaluate(chain, Matrix(xi)).col(0));
  return a;
}

// Gradient of y_coef . chain(x) with respect to x (ReLU derivative 0 at 0).
Vector input_gradient(const ReluChain& chain, const Vector& x, const Vector& y_coef) {
  std::vector<Vector> pre;
  Vector a = x;
  for (std::size_t l = 0; l < chain.depth(); ++l) {
    pre.push_back(chain.layers[l].W * a + chain.layers[l].b);
    a = l + 1 < chain.depth() ? Vector(pre.back().cwiseMax(0.0)) : pre.back();
  }
  Vector g = y_coef;
  for (std::size_t l = chain.depth(); l-- > 0;) {
    if (l + 1 < chain.depth()) g = g.cwiseProduct((pre[l].array() > 0).cast<double>().matrix());
    g = chain.layers[l].W.transpose() * g;
  }
  return g;
}

// Signed-gradient descent on the case margin from x, inside the box, integer inputs fixed.
void descend(const ReluChain& chain, const LinearProperty& p, const LinearCase& c, std::vector<Vector> x,
             Collector& out, int steps) {
  for (int s = 0; s < steps && !out.full(); ++s) {
    const Assignment a = chain_assignment(chain, x);
    const CaseMargin m = case_margin(c, a);
    if (!m.atom) return;
    if (m.value <= 0 && in_precondition(p, c, x) && out.offer(x)) return;
    const LinearAtom* worst = m.atom;
    const double step = 0.1 * std::pow(0.9, s);
    for (std::size_t k = 0; k < p.copies; ++k) {
      Vector gy = Vector::Zero(static_cast<Eigen::Index>(p.num_outputs));
      Vector gx = Vector::Zero(static_cast<Eigen::Index>(p.num_inputs));
      for (const auto& [v, coef] : worst->terms)
        if (v.copy == k) (v.output ? gy : gx)[static_cast<Eigen::Index>(v.index)] += coef;
      gx += input_gradient(chain, x[k], gy);
      for (Eigen::Index i = 0; i < gx.size(); ++i) {
        if (p.integer[k][static_cast<std::size_t>(i)] || gx[i] == 0) continue;
        const double width = c.box[k].hi[i] - c.box[k].lo[i];
        x[k][i] = std::clamp(x[k][i] - step * width * (gx[i] > 0 ? 1.0 : -1.0), c.box[k].lo[i], c.box[k].hi[i]);
      }
    }
  }
}

// Random points of each case, then gradient descent from the ones closest to its region.
void attack_cases(const ReluChain& chain, const LinearProperty& p, const SearchOptions& o, std::mt19937_64& rng,
                  Collector& out) {
  for (const LinearCase& c : p.cases) {
    std::vector<std::pair<double, std::vector<Vector>>> near;
    for (std::size_t s = 0; s < o.random_samples && !out.full(); ++s) {
      std::vector<Vector> x = sample_case_box(p, c, rng);
      if (!in_precondition(p, c, x)) continue;
      const double m = case_margin(c, chain_assignment(chain, x)).value;
      if (m <= 0 && out.offer(x)) continue;
      near.push_back({m, std::move(x)});
      if (Clock::now() > o.deadline) return;
    }
    std::sort(near.begin(), near.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t s = 0; s < std::min<std::size_t>(near.size(), 8) && !out.full(); ++s)
      descend(chain, p, c, near[s].second, out, 40);
  }
}

// Gaussian steps (5% of the box width) around every counterexample found, to fill up to C.
void expand(const LinearProperty& p, const SearchOptions& o, std::mt19937_64& rng, Collector& out) {
  std::normal_distribution<double> n(0.0, 0.05);
  const std::vector<LinearCounterexample> seeds = out.found;
  for (std::size_t t = 0; t < 40 * o.max_counterexamples && !out.full() && !seeds.empty(); ++t) {
    const LinearCounterexample& s = seeds[t % seeds.size()];
    const LinearCase& c = p.cases[s.case_index];
    std::vector<Vector> x = s.point.x;
    for (std::size_t k = 0; k < p.copies; ++k)
      for (Eigen::Index i = 0; i < x[k].size(); ++i)
        if (!p.integer[k][static_cast<std::size_t>(i)])
          x[k][i] = std::clamp(x[k][i] + n(rng) * (c.box[k].hi[i] - c.box[k].lo[i]), c.box[k].lo[i], c.box[k].hi[i]);
    if (in_precondition(p, c, x)) out.offer(x);
  }
}

// One case over K copies: big-M encoding of each copy on its box, integer inputs as integer
// variables, the case's input atoms, and its input and output atoms tightened by `margin`.
struct CaseEncoding {
  MilpProblem problem;
  std::vector<std::vector<std::size_t>> x_vars;  // [copy][input]
  std::size_t binaries = 0;
};

// Pre-activation bounds per input box, DeepPoly then LP-tightened, computed once per box: the
// cases of a property usually share their boxes (P1's seven cases have one) and every case is
// encoded at two margins.
class BoundsCache {
 public:
  BoundsCache(const ReluChain& chain, MilpBackend backend, Clock::time_point deadline)
      : chain_(chain), solver_(make_milp_solver(backend)), deadline_(deadline) {}

  std::vector<Bounds> get(const Box& box) {
    for (const auto& [b, pre] : cache_)
      if (b.lo == box.lo && b.hi == box.hi) return pre;
    cache_.emplace_back(box, tighten_bounds_lp(chain_, box, deeppoly(chain_, box).pre, *solver_, deadline_));
    return cache_.back().second;
  }

 private:
  const ReluChain& chain_;
  std::unique_ptr<MilpSolver> solver_;
  Clock::time_point deadline_;
  std::vector<std::pair<Box, std::vector<Bounds>>> cache_;
};

CaseEncoding encode_case(const ReluChain& chain, const LinearProperty& p, const LinearCase& c, double margin,
                         BoundsCache& bounds) {
  CaseEncoding out;
  std::vector<std::vector<std::size_t>> y_vars;
  for (std::size_t k = 0; k < p.copies; ++k) {
    MilpEncoding e = encode_relu_chain(chain, c.box[k], bounds.get(c.box[k]));
    const std::size_t offset = out.problem.append(std::move(e.problem));
    auto shift = [offset](std::vector<std::size_t> v) {
      for (auto& i : v) i += offset;
      return v;
    };
    out.x_vars.push_back(shift(e.x_vars));
    y_vars.push_back(shift(e.y_vars));
    out.binaries += e.binaries;
    for (std::size_t i = 0; i < p.num_inputs; ++i)
      if (p.integer[k][i]) {
        MilpVar& v = out.problem.vars[out.x_vars[k][i]];
        v.kind = v.lo == 0 && v.hi == 1 ? VarKind::Binary : VarKind::Integer;
      }
  }
  auto add_atom = [&](const LinearAtom& atom, double tighten) {
    std::vector<std::pair<std::size_t, double>> row;
    for (const auto& [v, coef] : atom.terms)
      row.push_back({(v.output ? y_vars : out.x_vars)[v.copy][v.index], coef});
    out.problem.add_row(std::move(row), -kInf, atom.rhs - tighten);
  };
  for (const LinearAtom& atom : c.inputs) add_atom(atom, margin);  // witnesses off the input atoms' boundary too
  for (const LinearAtom& atom : c.outputs) add_atom(atom, margin);
  return out;
}

// Excludes the witness's neighbourhood from the case, so the next solve gives a distinct one:
// another pattern of the 0/1 inputs, or some continuous input at least `radius` of its box width
// away (one indicator per direction, big-M = the width). Integer inputs with wider ranges only
// take part through the continuous rule.
bool exclude_neighbourhood(CaseEncoding& e, const LinearProperty& p, const LinearCase& c, const std::vector<double>& sol,
                           double radius) {
  std::vector<std::pair<std::size_t, double>> any;  // sum of the indicators >= 1
  std::vector<std::pair<std::size_t, double>> pattern;
  double ones = 0;
  for (std::size_t k = 0; k < e.x_vars.size(); ++k)
    for (std::size_t i = 0; i < e.x_vars[k].size(); ++i) {
      const std::size_t v = e.x_vars[k][i];
      const auto ii = static_cast<Eigen::Index>(i);
      if (e.problem.vars[v].kind == VarKind::Binary) {
        const bool one = sol[v] > 0.5;
        pattern.push_back({v, one ? -1.0 : 1.0});
        ones += one;
        continue;
      }
      const double lo = c.box[k].lo[ii], hi = c.box[k].hi[ii], w = hi - lo, r = radius * w;
      if (w <= 0 || p.integer[k][i]) continue;
      if (sol[v] - r >= lo) {  // x <= x* - r, or the indicator is off
        const std::size_t z = e.problem.add_var(0, 1, VarKind::Binary);
        e.problem.add_row({{v, 1.0}, {z, w}}, -kInf, sol[v] - r + w);
        any.push_back({z, 1.0});
      }
      if (sol[v] + r <= hi) {  // x >= x* + r
        const std::size_t z = e.problem.add_var(0, 1, VarKind::Binary);
        e.problem.add_row({{v, 1.0}, {z, -w}}, sol[v] + r - w, kInf);
        any.push_back({z, 1.0});
      }
    }
  if (!pattern.empty()) {  // z <= (number of 0/1 inputs that differ from the witness)
    const std::size_t z = e.problem.add_var(0, 1, VarKind::Binary);
    pattern.push_back({z, -1.0});
    e.problem.add_row(std::move(pattern), -ones, kInf);
    any.push_back({z, 1.0});
  }
  if (any.empty()) return false;  // a single point: nothing else is left in the case
  e.problem.add_row(std::move(any), 1.0, kInf);
  return true;
}

struct CaseOutcome {
  bool proved = false;  // the case's region is unreachable (MILP infeasible, no cuts added)
  bool by_deeppoly = false;
  std::string detail;
};

// The case is unreachable when, on some copy's box, an atom over that copy's outputs alone is
// violated everywhere by DeepPoly's sound bounds (integer inputs relaxed to their box): no MILP.
bool refuted_by_deeppoly(const ReluChain& chain, const LinearProperty& p, const LinearCase& c) {
  for (std::size_t k = 0; k < p.copies; ++k) {
    Conjunction conj;
    for (const LinearAtom& atom : c.outputs) {
      OutputConstraint oc{Vector::Zero(static_cast<Eigen::Index>(p.num_outputs)), atom.rhs};
      bool own = true;
      for (const auto& [v, coef] : atom.terms) {
        own = own && v.output && v.copy == k;
        if (own) oc.a[static_cast<Eigen::Index>(v.index)] += coef;
      }
      if (own) conj.push_back(std::move(oc));
    }
    if (conj.empty()) continue;
    const DeepPolySpec spec = spec_of(conj, p.num_outputs);
    const DeepPolyResult dp = deeppoly(chain, c.box[k], &spec);
    if (dp.infeasible || dp.spec_lo.maxCoeff() > 0) return true;
  }
  return false;
}

// MILP for one case: first with a 1e-6 margin inside the region (a witness then replays despite
// solver tolerances), then, if that is infeasible, at the region itself to decide the case.
CaseOutcome milp_case(const ReluChain& chain, const LinearProperty& p, std::size_t ci, const SearchOptions& o,
                      BoundsCache& bounds, Collector& out, SearchResult& stats) {
  CaseOutcome r;
  if (refuted_by_deeppoly(chain, p, p.cases[ci])) {
    r.proved = r.by_deeppoly = true;
    r.detail = "refuted by DeepPoly bounds";
    return r;
  }
  const auto solver = make_milp_solver(o.backend);
  // The proof is the solve at the region itself (margin 0); its witnesses may sit on the boundary
  // and not replay, so counterexamples are sought 1e-6 inside. With none known yet the case is
  // probably safe: prove first (one solve), and look inside only if the proof finds a witness.
  const bool prove_first = out.found.empty();
  const std::vector<double> margins = prove_first ? std::vector<double>{0.0, 1e-6} : std::vector<double>{1e-6, 0.0};
  for (std::size_t round = 0; round < margins.size(); ++round) {
    const double margin = margins[round];
    const bool last = round + 1 == margins.size();
    CaseEncoding e = encode_case(chain, p, p.cases[ci], margin, bounds);
    stats.binaries = std::max(stats.binaries, e.binaries);
    bool cut = false;
    while (!out.full()) {
      MilpOptions mo;
      mo.time_limit_s = seconds_left(o.deadline);
      if (mo.time_limit_s <= 0) return r;
      // Once there is a counterexample (this case's or another's) the verdict is settled: more of
      // them are a convenience, so each further solve (harder with every cut) gets a short budget.
      if (cut || !out.found.empty()) mo.time_limit_s = std::min(mo.time_limit_s, o.extra_solve_seconds);
      mo.threads = o.threads;
      mo.stop_at_first_solution = true;
      const auto t0 = Clock::now();
      const MilpResult m = solver->solve(e.problem, mo);
      stats.milp_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      ++stats.milp_solves;
      std::ostringstream d;
      d << to_string(o.backend) << " " << to_string(m.status) << ", " << e.binaries << " binaries, primal tolerance 1e-9";
      r.detail = d.str();
      if (m.status == MilpStatus::Infeasible) {
        r.proved = !cut && margin == 0;
        if (cut || margin == 0 || last) return r;  // patterns exhausted, proved, or nothing inside
        break;                                     // nothing 1e-6 inside: decide at the region itself
      }
      if (!m.has_solution) return r;
      std::vector<Vector> x;
      for (std::size_t k = 0; k < p.copies; ++k) {
        Vector v(static_cast<Eigen::Index>(p.num_inputs));
        for (std::size_t i = 0; i < p.num_inputs; ++i) {
          const auto ii = static_cast<Eigen::Index>(i);
          v[ii] = std::clamp(m.x[e.x_vars[k][i]], p.cases[ci].box[k].lo[ii], p.cases[ci].box[k].hi[ii]);
          if (p.integer[k][i]) v[ii] = std::round(v[ii]);
        }
        x.push_back(std::move(v));
      }
      if (!out.offer(x)) {
        r.detail += "; the witness does not replay (within the solver tolerance of the region's boundary)";
        out.near_misses.push_back(x);
        if (margin == 0 && !last && !cut) break;  // a boundary witness: look 1e-6 inside instead
        return r;
      }
      if (!exclude_neighbourhood(e, p, p.cases[ci], m.x, 0.05)) return r;
      cut = true;
    }
    if (out.full()) return r;
  }
  return r;
}

// Case `ci` proved by branch and bound (DeepPoly bounds, ReLU splits) on the relaxation where
// integer inputs range over their real interval: sound for the case, and often far cheaper than
// the MILP; a relaxed counterexample proves nothing, so the MILP decides then (or on a timeout).
// BaB on case `ci` of a box property for at most `seconds` (and never past the search's deadline).
BabResult bab_for(const Network& net, const ReluChain& chain, const Property& property, std::size_t ci, double seconds,
                  const SearchOptions& o) {
  BabOptions bo;
  bo.deadline = std::min(o.deadline, seconds_from_now(seconds));
  bo.threads = o.threads;
  return bab(net, chain, property, ci, 0, bo);
}

bool proved_relaxed(const Network& net, const ReluChain& chain, const Property& relaxed, std::size_t ci,
                    const SearchOptions& o) {
  if (!(o.relaxed_bab_seconds > 0)) return false;
  return bab_for(net, chain, relaxed, ci, o.relaxed_bab_seconds, o).status == BabStatus::Verified;
}

// Case `ci` of a one-copy property with integer inputs, decided by splitting the integer inputs
// (branch and bound over input parts) once the whole-box MILP has had its share of the time.
// Each part goes to a short BaB on its relaxation (the part's integer inputs not yet fixed range
// over their real interval): a proof proves the part; a relaxed counterexample names the integer
// input to split next (the most fractional). A part with every integer input fixed goes to the
// MILP at once, with bounds tightened for that part: fixing the integer inputs shrinks the box
// every big-M is computed over.
struct SplitContext {
  const Network& net;
  const ReluChain& chain;
  const LinearProperty& p;
  const Property& relaxed;  // to_box_property(p, true)
  std::size_t ci;
  const SearchOptions& o;
};

// The unfixed integer input to split: the most fractional coordinate of a relaxed counterexample,
// else the one whose first-layer weights times width move the pre-activations most.
std::optional<Eigen::Index> split_dimension(const SplitContext& s, const Box& part, const Counterexample* relaxed_cex) {
  std::optional<Eigen::Index> best;
  double best_score = -1;
  const Matrix& W = s.chain.layers.front().W;
  for (std::size_t i = 0; i < s.p.num_inputs; ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    if (!s.p.integer[0][i] || part.hi[ii] - part.lo[ii] < 0.5) continue;
    const double frac = relaxed_cex ? std::abs(relaxed_cex->x[ii] - std::round(relaxed_cex->x[ii])) : 0;
    const double score = 1e6 * frac + W.col(ii).cwiseAbs().sum() * (part.hi[ii] - part.lo[ii]);
    if (score > best_score) best_score = score, best = ii;
  }
  return best;
}

// The part with every integer input fixed, decided by the MILP.
CaseOutcome fixed_part_milp(const SplitContext& s, const Box& part, BoundsCache& bounds, Collector& out,
                            SearchResult& stats) {
  LinearProperty one = s.p;
  one.cases = {s.p.cases[s.ci]};
  one.cases[0].box[0] = part;
  return milp_case(s.chain, one, 0, s.o, bounds, out, stats);
}

CaseOutcome split_case(const SplitContext& s, BoundsCache& bounds, Collector& out, SearchResult& stats) {
  CaseOutcome r;
  std::vector<Box> parts{s.p.cases[s.ci].box[0]};
  std::size_t by_bab = 0, by_milp = 0;
  while (!parts.empty()) {
    if (seconds_left(s.o.deadline) <= 0 || out.full()) return r;
    const Box part = std::move(parts.back());
    parts.pop_back();
    Property sub = s.relaxed;
    sub.cases[s.ci].box = part;
    const BabResult b = bab_for(s.net, s.chain, sub, s.ci, 0.05, s.o);
    if (b.status == BabStatus::Verified) {
      ++by_bab;
      continue;
    }
    if (b.counterexample && out.offer({b.counterexample->x})) return r;  // exact (or lucky): replayed
    const auto d = split_dimension(s, part, b.counterexample ? &*b.counterexample : nullptr);
    if (!d) {
      const CaseOutcome m = fixed_part_milp(s, part, bounds, out, stats);
      if (!m.proved) {
        r.detail = "integer split, a part with every integer input fixed: " + m.detail;
        return r;
      }
      ++by_milp;
      continue;
    }
    Box low = part, high = part;
    const double cut = std::floor((part.lo[*d] + part.hi[*d]) / 2);
    low.hi[*d] = cut;
    high.lo[*d] = cut + 1;
    parts.push_back(std::move(high));
    parts.push_back(std::move(low));
  }
  r.proved = true;
  std::ostringstream d;
  d << "integer inputs split: " << by_bab << " parts proved by BaB, " << by_milp << " by MILP";
  r.detail = d.str();
  return r;
}

// A two-copy case whose copies are linked by one output atom alone, A0(x, y) + A1(x', y') <= rhs
// (the CEGIS paper's P2): it is unreachable iff min A0 + min A1 > rhs, and each minimum is over one
// copy. So the case splits into two one-copy properties at thresholds t0 + t1 = rhs, "A0 <= t0
// unreachable" and "A1 <= t1 unreachable", each decided by the one-copy search (with its integer
// split). Sampled minima place the thresholds halfway inside the observed slack; a witness
// below a threshold lowers that copy's minimum and moves both, until they prove the case or the
// minima meet (a counterexample pair). Twice the work of one copy instead of a MILP with twice
// the binaries.
struct SeparableCopies {
  LinearAtom part[2];  // the atom's terms of each copy, renamed to copy 0
  double rhs = 0;
};

std::optional<SeparableCopies> separable(const LinearProperty& p, const LinearCase& c) {
  if (p.copies != 2 || !c.inputs.empty() || c.outputs.size() != 1) return std::nullopt;
  SeparableCopies s;
  s.rhs = c.outputs[0].rhs;
  for (auto [v, coef] : c.outputs[0].terms) {
    const std::size_t k = v.copy;
    v.copy = 0;
    s.part[k].terms.push_back({v, coef});
  }
  if (s.part[0].terms.empty() || s.part[1].terms.empty()) return std::nullopt;
  return s;
}

double copy_value(const Network& net, const LinearAtom& part, const Vector& x) {
  return lhs(part, Assignment{{x}, {evaluate(net, x)}});
}

CaseOutcome separable_case(const Network& net, const LinearProperty& p, std::size_t ci, const SeparableCopies& sc,
                           const SearchOptions& o, std::mt19937_64& rng, Collector& out) {
  const LinearCase& c = p.cases[ci];
  CaseOutcome r;
  double low[2] = {kInf, kInf};  // least value of each part seen so far, at `arg`
  Vector arg[2];
  for (std::size_t s = 0; s < std::max<std::size_t>(o.random_samples, 100); ++s) {
    const std::vector<Vector> x = sample_case_box(p, c, rng);
    for (std::size_t k = 0; k < 2; ++k)
      if (const double v = copy_value(net, sc.part[k], x[k]); v < low[k]) low[k] = v, arg[k] = x[k];
  }
  SearchOptions one = o;
  one.max_counterexamples = 1;
  for (int round = 0; round < 16; ++round) {
    const double slack = low[0] + low[1] - sc.rhs;
    if (slack <= 0) {
      if (out.offer({arg[0], arg[1]})) r.detail = "copies' minima meet";
      return r;
    }
    bool proved = true;
    for (std::size_t k = 0; k < 2 && proved; ++k) {
      LinearProperty sub;
      sub.name = p.name + " (copy " + std::to_string(k) + ")";
      sub.num_inputs = p.num_inputs;
      sub.num_outputs = p.num_outputs;
      sub.integer = {p.integer[k]};
      LinearAtom atom = sc.part[k];
      atom.rhs = low[k] - slack / 2;
      sub.cases = {LinearCase{{c.box[k]}, {}, {atom}}};
      const SearchResult sr = find_counterexamples(net, sub, one);
      if (sr.verdict == Verdict::Unknown) {
        r.detail = "copy " + std::to_string(k) + " below " + std::to_string(atom.rhs) + ": " + sr.detail;
        return r;
      }
      if (sr.verdict == Verdict::Falsified) {
        const Vector& x = sr.counterexamples.front().point.x[0];
        low[k] = std::min(low[k], copy_value(net, sc.part[k], x));
        arg[k] = x;
        proved = false;
      }
    }
    if (proved) {
      r.proved = true;
      r.detail = "copies separated at their minima " + std::to_string(low[0]) + " and " + std::to_string(low[1]) +
                 " (slack " + std::to_string(slack) + ")";
      return r;
    }
  }
  r.detail = "copies not separated in 16 rounds";
  return r;
}

}  // namespace

SearchResult find_counterexamples(const Network& net, const LinearProperty& p, const SearchOptions& o) {
  const auto t0 = Clock::now();
  if (p.num_inputs != net.input_size || p.num_outputs != output_size(net))
    throw InputError(p.name, "declare-const",
                     "the property has " + std::to_string(p.num_inputs) + " inputs and " +
                         std::to_string(p.num_outputs) + " outputs, the network " + std::to_string(net.input_size) +
                         " and " + std::to_string(output_size(net)));
  const EigenSingleThread single;
  const ReluChain chain = to_relu_chain(net);
  SearchResult res;
  Collector out(net, p, std::max<std::size_t>(1, o.max_counterexamples));
  std::mt19937_64 rng(o.seed);
  if (o.attack) attack_cases(chain, p, o, rng, out);
  bool all_proved = true;
  std::size_t by_deeppoly = 0;
  std::size_t by_bab = 0, by_separation = 0;
  std::string last_milp;
  BoundsCache bounds(chain, o.backend, o.deadline);
  const std::optional<Property> relaxed = to_box_property(p, true);
  for (std::size_t ci = 0; ci < p.cases.size() && !out.full(); ++ci) {
    if (relaxed && out.found.empty() && proved_relaxed(net, chain, *relaxed, ci, o)) {
      ++by_bab;
      continue;
    }
    // With no counterexample known the case is probably safe: a proof is wanted, and splitting
    // the integer inputs finds one where the whole-box MILP stalls. Once counterexamples are
    // known, the MILP with exclusion cuts collects more of them faster.
    // With no counterexample known the case is probably safe and a proof is wanted: when the
    // whole-box MILP stalls, splitting the integer inputs may find one.
    const bool split = relaxed && p.any_integer() && out.found.empty() && o.whole_box_share < 1;
    SearchOptions whole_box = o;
    if (split) whole_box.deadline = seconds_from_now(o.whole_box_share * seconds_left(o.deadline));
    if (const auto sc = separable(p, p.cases[ci]); sc && out.found.empty() && o.separate_copies) {
      const CaseOutcome c = separable_case(net, p, ci, *sc, o, rng, out);
      if (c.proved) {
        ++by_separation;
        continue;
      }
    }
    CaseOutcome c = milp_case(chain, p, ci, whole_box, bounds, out, res);
    if (split && !c.proved && out.found.empty()) {
      c = split_case({net, chain, p, *relaxed, ci, o}, bounds, out, res);
      if (!out.found.empty() && !out.full()) c = milp_case(chain, p, ci, o, bounds, out, res);  // more, with cuts
    }
    all_proved = all_proved && c.proved;
    by_deeppoly += c.by_deeppoly;
    if (!c.by_deeppoly) last_milp = c.detail;
    if (!c.proved) res.detail = "case " + std::to_string(ci) + ": " + c.detail;
  }
  if (all_proved && out.found.empty()) {
    std::ostringstream d;
    d << p.cases.size() << " cases unreachable: " << by_deeppoly << " by DeepPoly bounds, " << by_bab
      << " by BaB with integer inputs relaxed, " << by_separation << " by separating the copies, "
      << p.cases.size() - by_deeppoly - by_bab - by_separation << " by MILP"
      << (last_milp.empty() ? "" : " (" + last_milp + ")");
    res.detail = d.str();
  }
  if (!out.found.empty()) expand(p, o, rng, out);
  res.counterexamples = std::move(out.found);
  for (const auto& x : out.near_misses) res.near_misses.push_back(evaluate_copies(net, x));
  if (!res.counterexamples.empty())
    res.verdict = Verdict::Falsified;
  else
    res.verdict = all_proved ? Verdict::Verified : Verdict::Unknown;
  res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return res;
}

}  // namespace nncert
