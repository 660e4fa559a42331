#include "certifier/verify/qnn_verifier.hpp"

#include "certifier/core/error.hpp"
#include "certifier/verify/qnn_attack.hpp"
#include "certifier/verify/qnn_bounds.hpp"
#include "certifier/verify/qnn_encoding_compact.hpp"
#include "certifier/verify/qnn_encoding_qvip.hpp"
#include "certifier/verify/qnn_portfolio.hpp"
#include "certifier/verify/qnn_smt.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

namespace nncert {

QEncoding parse_qencoding(const std::string& s) {
  if (s == "compact") return QEncoding::Compact;
  if (s == "qvip") return QEncoding::Qvip;
  if (s == "smt") return QEncoding::Smt;
  if (s == "portfolio") return QEncoding::Portfolio;
  throw InputError("--encoding", "'" + s + "'", "expected compact, qvip, smt or portfolio");
}

std::string to_string(QEncoding e) {
  switch (e) {
    case QEncoding::Compact: return "compact";
    case QEncoding::Qvip: return "qvip";
    case QEncoding::Smt: return "smt";
    case QEncoding::Portfolio: return "portfolio";
  }
  return "?";
}

std::string to_string(QVerdict v) {
  switch (v) {
    case QVerdict::Verified: return "verified";
    case QVerdict::Falsified: return "falsified";
    case QVerdict::Unknown: return "unknown";
  }
  return "?";
}

QAnswer solve_query(const QQuery& query, QEncoding encoding, MilpBackend backend, const QSolveOptions& options,
                    std::optional<MilpProblem>* program) {
  if (encoding == QEncoding::Portfolio) throw InternalError("solve_query: the portfolio races whole tasks, not leaves");
  if (encoding == QEncoding::Smt) return solve_smt(query, options);
  QIlp ilp = encoding == QEncoding::Compact ? encode_compact(query) : encode_qvip(query);
  const auto solver = make_milp_solver(backend);
  QAnswer a = solve_ilp(ilp, *solver, options);
  if (program && !ilp.trivially_infeasible) *program = std::move(ilp.problem);
  return a;
}

namespace {

using Clock = std::chrono::steady_clock;

struct Context {
  const QNetwork& net;
  const QProperty& property;
  const QVerifyOptions& options;
  Clock::time_point start;
  QVerifyResult& result;

  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start).count(); }
  // Remaining time of the task (0 = unlimited); negative when exhausted.
  double remaining() const { return options.timeout_s > 0 ? options.timeout_s - elapsed() : 0; }
  bool stopped() const { return options.stop && options.stop->load(); }
  bool out_of_time() const { return stopped() || (options.timeout_s > 0 && remaining() <= 0); }
  QSolveOptions solve_options(double timeout_s) const {
    QSolveOptions so;
    so.threads = options.threads;
    so.timeout_s = timeout_s;
    so.stop = options.stop;
    return so;
  }
  // One leaf query on the task's core, counted and (keep_queries) kept.
  QAnswer solve(const QQuery& q, const QSolveOptions& so) {
    std::optional<MilpProblem> program;
    QAnswer a = solve_query(q, options.encoding, options.backend, so, options.keep_queries ? &program : nullptr);
    ++result.solver_calls;
    if (options.keep_queries && a.status != QAnswerStatus::Unknown)
      result.queries.push_back({core(), a.status, std::move(program)});
    return a;
  }
  std::string core() const {
    return to_string(options.encoding) + (options.encoding == QEncoding::Smt ? "/z3" : "/" + to_string(options.backend));
  }
};

QBounds compute_bounds(const Context& ctx, const QProperty& p, const QBounds* known) {
  return ctx.options.bounds == QBoundsKind::Symbolic ? symbolic_bounds(ctx.net, p.region, known)
                                                     : interval_bounds(ctx.net, p.region, known);
}

// Upper bound of c . y: the back-substituted one, or for interval bounds (QVIP's §3.5, used by
// the faithful qvip and smt baselines) just the output ranges.
std::int64_t row_bound(const Context& ctx, const QProperty& p, const QBounds& b, const std::vector<std::int64_t>& c) {
  if (ctx.options.bounds == QBoundsKind::Symbolic) return output_row_upper_bound(ctx.net, p.region, b, c);
  std::int64_t s = 0;
  for (std::size_t i = 0; i < c.size(); ++i) s += c[i] * (c[i] >= 0 ? b.back()[i].y_hi : b.back()[i].y_lo);
  return s;
}

// Can the bounds alone rule disjunct d out?
bool excluded_by_bounds(const Context& ctx, const QProperty& p, const QBounds& b, std::size_t d) {
  for (const QOutputRow& row : p.unsafe[d])
    if (row_bound(ctx, p, b, row.c) < row.rhs) return true;
  return false;
}

// A solver witness becomes a verdict only after replay on the reference evaluator.
void accept_witness(Context& ctx, const std::vector<std::int64_t>& x, const std::string& by) {
  if (!replays(ctx.net, ctx.property, x))
    throw InternalError("QNN verification: the " + by + " witness does not replay on the reference evaluator");
  ctx.result.verdict = QVerdict::Falsified;
  ctx.result.counterexample = x;
  ctx.result.decided_by = by;
}

enum class Leaf { Proven, Falsified, Open };

// Input-split branch-and-bound on one disjunct set: bounds per branch, the core at the leaves.
Leaf solve_branch(Context& ctx, const QProperty& p, const std::vector<std::size_t>& disjuncts, int depth,
                  const QBounds* root_bounds = nullptr) {
  if (ctx.out_of_time()) return Leaf::Open;
  const QBounds b = root_bounds ? *root_bounds : compute_bounds(ctx, p, nullptr);
  std::vector<std::size_t> live;
  for (std::size_t d : disjuncts)
    if (!excluded_by_bounds(ctx, p, b, d)) live.push_back(d);
  if (live.empty()) return Leaf::Proven;
  const double rem = ctx.remaining();
  QSolveOptions so = ctx.solve_options(rem);
  if (depth < ctx.options.split_depth && ctx.options.leaf_timeout_s > 0)
    so.timeout_s = rem > 0 ? std::min(rem, ctx.options.leaf_timeout_s) : ctx.options.leaf_timeout_s;
  // Split the input whose box width times first-layer weight mass is largest.
  const QLayer& l0 = ctx.net.layers[0];
  std::size_t best = 0;
  double best_score = -1;
  for (std::size_t i = 0; i < ctx.net.input_size; ++i) {
    if (p.region.lo[i] == p.region.hi[i]) continue;
    double mass = 0;
    for (std::size_t j = 0; j < l0.outputs; ++j) mass += std::abs(static_cast<double>(l0.weight(j, i)));
    const double score = mass * static_cast<double>(p.region.hi[i] - p.region.lo[i]);
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  const bool splittable = best_score >= 0;
  if (!ctx.options.eager_split || depth >= ctx.options.split_depth || !splittable) {
    const QQuery q{&ctx.net, &p, &b, live};
    const QAnswer a = ctx.solve(q, so);
    if (a.status == QAnswerStatus::Counterexample) {
      accept_witness(ctx, a.witness, ctx.core());
      return Leaf::Falsified;
    }
    if (a.status == QAnswerStatus::NoCounterexample) return Leaf::Proven;
    if (ctx.result.detail.empty()) ctx.result.detail = a.detail;
  }
  if (depth >= ctx.options.split_depth || ctx.out_of_time()) return Leaf::Open;
  if (!splittable) return Leaf::Open;
  const std::int64_t mid = p.region.lo[best] + (p.region.hi[best] - p.region.lo[best]) / 2;
  bool open = false;
  for (int side = 0; side < 2; ++side) {
    QProperty child = p;
    (side == 0 ? child.region.hi[best] : child.region.lo[best]) = side == 0 ? mid : mid + 1;
    const Leaf r = solve_branch(ctx, child, live, depth + 1);
    if (r == Leaf::Falsified) return r;
    open = open || r == Leaf::Open;
  }
  return open ? Leaf::Open : Leaf::Proven;
}

// The output neuron to split on: for a one-row disjunct whose row involves exactly two open
// outputs, the one with the negative coefficient (the class that must stay ahead).
std::optional<std::size_t> output_to_split(const Context& ctx, const QProperty& p, const QBounds& b, std::size_t d) {
  if (ctx.options.encoding != QEncoding::Compact || !ctx.options.output_split || p.unsafe[d].size() != 1) return std::nullopt;
  const QOutputRow& row = p.unsafe[d][0];
  std::vector<std::size_t> open;
  for (std::size_t i = 0; i < row.c.size(); ++i)
    if (row.c[i] != 0 && !b.back()[i].stable()) open.push_back(i);
  if (open.size() != 2) return std::nullopt;
  if (row.c[open[0]] < 0) return open[0];
  if (row.c[open[1]] < 0) return open[1];
  return std::nullopt;
}

Leaf solve_output_split(Context& ctx, const QProperty& p, std::size_t d, const QBounds& b, std::size_t g) {
  const std::size_t last = ctx.net.layers.size() - 1;
  const QRequant rq = requant(ctx.net, last);
  bool open = false;
  for (std::int64_t t = b[last][g].y_hi; t >= b[last][g].y_lo; --t) {
    if (ctx.out_of_time()) return Leaf::Open;
    QBounds known = b;
    QNeuronBounds& nb = known[last][g];
    nb.acc_lo = std::max(nb.acc_lo, rq.min_acc_reaching(t));
    nb.acc_hi = std::min(nb.acc_hi, rq.max_acc_below(t));
    if (nb.acc_lo > nb.acc_hi) continue;
    const QBounds bt = compute_bounds(ctx, p, &known);
    if (infeasible(ctx.net, bt) || excluded_by_bounds(ctx, p, bt, d)) continue;
    QQuery q{&ctx.net, &p, &bt, {d}};
    q.split_bounds = true;
    const QAnswer a = ctx.solve(q, ctx.solve_options(ctx.remaining()));
    if (a.status == QAnswerStatus::Counterexample) {
      accept_witness(ctx, a.witness, ctx.core() + "+output-split");
      return Leaf::Falsified;
    }
    if (a.status == QAnswerStatus::Unknown) {
      open = true;
      if (ctx.result.detail.empty()) ctx.result.detail = a.detail;
    }
  }
  return open ? Leaf::Open : Leaf::Proven;
}

}  // namespace

QVerifyResult verify_qnn(const QNetwork& net, const QProperty& property, const QVerifyOptions& options) {
  if (options.encoding == QEncoding::Portfolio) return verify_qnn_portfolio(net, property, options);
  QVerifyResult result;
  Context ctx{net, property, options, Clock::now(), result};
  auto finish = [&]() -> QVerifyResult {
    result.seconds = ctx.elapsed();
    return result;
  };
  if (property.unsafe.empty()) {
    result.verdict = QVerdict::Verified;
    result.decided_by = "trivial";
    return finish();
  }
  if (!property.region.centre.empty() && replays(net, property, property.region.centre)) {
    accept_witness(ctx, property.region.centre, "centre");
    return finish();
  }
  const QBounds b = compute_bounds(ctx, property, nullptr);
  result.unstable_neurons = unstable_count(b);
  // Most threatening disjuncts first: a counterexample ends the task early.
  std::vector<std::pair<std::int64_t, std::size_t>> live;
  for (std::size_t d = 0; d < property.unsafe.size(); ++d) {
    std::int64_t slack = INT64_MAX;
    for (const QOutputRow& row : property.unsafe[d])
      slack = std::min(slack, row_bound(ctx, property, b, row.c) - row.rhs);
    if (slack >= 0) live.emplace_back(slack, d);
  }
  std::sort(live.begin(), live.end(), std::greater<>());
  result.disjuncts_open = live.size();
  if (live.empty()) {
    result.verdict = QVerdict::Verified;
    result.decided_by = "bounds";
    return finish();
  }
  // Attacks only where the bounds leave room: most robust tasks never pay for them.
  if (options.attack && !net.layers.empty()) {
    QAttackOptions ao;
    ao.seed = options.seed;
    if (const auto x = attack(net, property, ao)) {
      accept_witness(ctx, *x, "attack");
      return finish();
    }
  }
  std::vector<std::vector<std::size_t>> groups;
  if (options.per_disjunct) {
    for (const auto& [slack, d] : live) groups.push_back({d});
  } else {
    groups.emplace_back();
    for (const auto& [slack, d] : live) groups.back().push_back(d);
  }
  bool open = false;
  for (const auto& group : groups) {
    const auto g = group.size() == 1 ? output_to_split(ctx, property, b, group[0]) : std::nullopt;
    const Leaf r = g ? solve_output_split(ctx, property, group[0], b, *g) : solve_branch(ctx, property, group, 0, &b);
    if (r == Leaf::Falsified) return finish();
    if (r == Leaf::Open) {
      open = true;
      if (ctx.out_of_time()) break;
    }
  }
  if (open) {
    result.verdict = QVerdict::Unknown;
    if (ctx.stopped()) result.detail = "interrupted";
    else if (ctx.out_of_time()) result.detail = "timeout" + (result.detail.empty() ? "" : " (" + result.detail + ")");
  } else {
    result.verdict = QVerdict::Verified;
  }
  result.decided_by = ctx.core();
  return finish();
}

}  // namespace nncert
