#include "certifier/repair/cegis.hpp"

#include "certifier/core/error.hpp"
#include "certifier/train/architecture.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

namespace nncert {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// New training pairs, appended to the data in one go per iteration.
struct Pairs {
  std::vector<Vector> x, y;
  void add(const Assignment& a) {
    for (std::size_t k = 0; k < a.x.size(); ++k) {
      x.push_back(a.x[k]);
      y.push_back(a.y[k]);
    }
  }
};

// Regression data get the repaired outputs as targets; classification data the label they rank
// first (the repaired logits keep the postcondition's margin, so the argmax is the intended one).
void append(Dataset& d, const Pairs& pairs) {
  if (pairs.x.empty()) return;
  const Eigen::Index n0 = d.X.cols(), n = static_cast<Eigen::Index>(pairs.x.size());
  d.X.conservativeResize(Eigen::NoChange, n0 + n);
  const bool regression = d.labels.empty();
  if (regression) d.targets.conservativeResize(static_cast<Eigen::Index>(pairs.y[0].size()), n0 + n);
  for (Eigen::Index i = 0; i < n; ++i) {
    d.X.col(n0 + i) = pairs.x[static_cast<std::size_t>(i)];
    if (regression)
      d.targets.col(n0 + i) = pairs.y[static_cast<std::size_t>(i)];
    else
      d.labels.push_back(static_cast<int>(argmax_first(pairs.y[static_cast<std::size_t>(i)])));
  }
  d.raw.reset();  // synthetic points have no integer form
}

// One training run on the (augmented) data, early stopping on `validation`.
Network fit(const Network& start, const Dataset& validation, const Dataset& train_set, const CegisConfig& c,
            const CegisHooks& hooks) {
  return train(start, train_set, &validation, c.train, {}, hooks.train).network;
}

void evaluate_into(CegisIteration& it, const Network& net, const CegisData& data, const CegisConfig& c) {
  it.validation_loss = evaluate_dataset(net, data.validation, c.train).loss;
  if (data.test) {
    const Evaluation e = evaluate_dataset(net, *data.test, c.train);
    it.test_loss = e.loss;
    if (!data.test->labels.empty()) it.test_accuracy = e.accuracy;
  }
}

std::string describe(const std::vector<Vector>& x) {
  std::ostringstream s;
  s.precision(9);
  for (std::size_t k = 0; k < x.size(); ++k) {
    s << (k ? " and x' = (" : "x = (");
    for (Eigen::Index i = 0; i < x[k].size(); ++i) s << (i ? ", " : "") << x[k][i];
    s << ")";
  }
  return s.str();
}

// Repaired counterexamples plus the samples around each, in the order they were found.
// The repair margin of round `round`: doubling from --margin up to --max-margin.
OutputRepairOptions round_options(const CegisConfig& c, std::size_t round) {
  OutputRepairOptions opts = c.repair;
  opts.margin = std::max(c.repair.margin, std::min(c.max_margin, c.repair.margin * std::pow(c.margin_growth, round)));
  return opts;
}

// Two copies: repairing each sampled pair on its own gives every point as many targets as it has
// partners. Instead each copy's points become rows labelled by the network, and one joint QP over
// all their pairs (data_repair) moves them consistently (MANNERS P2: one threshold for mop).
constexpr std::size_t kJointPointsPerCopy = 200;

double add_joint_region_samples(const Network& net, const LinearProperty& p, const OutputRepairOptions& opts,
                                std::size_t n, std::mt19937_64& rng, Pairs& pairs) {
  std::uniform_int_distribution<std::size_t> pick(0, p.cases.size() - 1);
  std::vector<Vector> xs;
  std::size_t inside = 0, violating = 0;
  for (std::size_t t = 0; t < std::min(n, kJointPointsPerCopy); ++t) {
    const LinearCase& lc = p.cases[pick(rng)];
    const std::vector<Vector> x = sample_case_box(p, lc, rng);
    if (!in_precondition(p, lc, x)) continue;
    ++inside;
    violating += violated_case(p, evaluate_copies(net, x)).has_value();
    xs.insert(xs.end(), x.begin(), x.end());
  }
  if (xs.empty()) return 0.0;
  Dataset d;
  d.X.resize(static_cast<Eigen::Index>(p.num_inputs), static_cast<Eigen::Index>(xs.size()));
  for (std::size_t i = 0; i < xs.size(); ++i) d.X.col(static_cast<Eigen::Index>(i)) = xs[i];
  d.targets = evaluate(net, d.X);
  repair_targets(p, d, opts);
  for (Eigen::Index i = 0; i < d.X.cols(); ++i) {
    pairs.x.push_back(d.X.col(i));
    pairs.y.push_back(d.targets.col(i));
  }
  return static_cast<double>(violating) / static_cast<double>(inside);
}

// Uniform points of the precondition with the network's outputs, repaired where they violate.
// Returns the fraction that violated: a Monte-Carlo estimate of how much of the region is unsafe.
double add_region_samples(const Network& net, const LinearProperty& p, const CegisConfig& c, std::size_t round,
                          bool regression, std::mt19937_64& rng, Pairs& pairs) {
  const OutputRepairOptions opts = round_options(c, round);
  if (p.copies > 1 && regression) return add_joint_region_samples(net, p, opts, c.region_samples, rng, pairs);
  std::uniform_int_distribution<std::size_t> pick(0, p.cases.size() - 1);
  std::size_t inside = 0, violating = 0;
  for (std::size_t t = 0; t < c.region_samples; ++t) {
    const LinearCase& lc = p.cases[pick(rng)];
    const std::vector<Vector> x = sample_case_box(p, lc, rng);
    if (!in_precondition(p, lc, x)) continue;
    Assignment a = evaluate_copies(net, x);
    ++inside;
    if (violated_case(p, a)) {
      ++violating;
      const auto fixed = repair_outputs(p, a, opts);
      if (!fixed) continue;  // reported when a counterexample needs it
      a.y = fixed->y;
    }
    pairs.add(a);
  }
  return inside ? static_cast<double>(violating) / static_cast<double>(inside) : 0.0;
}

Pairs repair_all(const LinearProperty& p, const std::vector<LinearCounterexample>& cexs, const CegisConfig& c,
                 std::size_t round, std::mt19937_64& rng) {
  const OutputRepairOptions opts = round_options(c, round);
  const std::vector<Box> domain = property_domain(p);
  Pairs pairs;
  for (const LinearCounterexample& cex : cexs) {
    const auto fixed = repair_outputs(p, cex.point, opts);
    if (!fixed)
      throw InputError(p.name, "postcondition",
                       "no outputs satisfy it at " + describe(cex.point.x) + ": nothing can repair this network");
    const Assignment repaired{cex.point.x, fixed->y};
    pairs.add(repaired);
    for (const Assignment& s : sample_around(p, domain, repaired, c.sampling, rng)) pairs.add(s);
  }
  return pairs;
}

// The data one run trains and early-stops on, growing every round.
struct RoundData {
  Dataset train, validation;
  std::mt19937_64 rng;

  // Repaired counterexamples, samples around them and (with region_samples) repaired points of
  // the region join the data; `region_violating` gets the region's unsafe share. Returns the
  // number of new pairs.
  std::size_t augment(const Network& net, const LinearProperty& p, const std::vector<LinearCounterexample>& cexs,
                      const CegisConfig& c, std::size_t round, std::optional<double>& region_violating) {
    Pairs pairs = repair_all(p, cexs, c, round, rng);
    if (c.region_samples)
      region_violating = add_region_samples(net, p, c, round, train.labels.empty(), rng, pairs);
    // Every tenth new pair validates instead of training: early stopping on the original
    // validation set alone rewards the epochs that fit its labels, which contradict the
    // property, and hands back the violating network (on MANNERS the loop then never moves).
    Pairs fit_pairs, held_out;
    for (std::size_t i = 0; i < pairs.x.size(); ++i) {
      Pairs& to = i % 10 == 9 ? held_out : fit_pairs;
      to.x.push_back(pairs.x[i]);
      to.y.push_back(pairs.y[i]);
    }
    append(train, fit_pairs);
    append(c.validate_on_repairs ? validation : train, held_out);
    return pairs.x.size();
  }
};

}  // namespace

Retrain parse_retrain(const std::string& name) {
  if (name == "scratch") return Retrain::Scratch;
  if (name == "finetune") return Retrain::Finetune;
  throw InputError("--retrain", name, "expected scratch or finetune");
}

std::string to_string(Retrain r) { return r == Retrain::Scratch ? "scratch" : "finetune"; }

CegisResult cegis(const Network& initial, const LinearProperty& p, const CegisData& data, const CegisConfig& c,
                  const CegisHooks& hooks) {
  const auto t0 = Clock::now();
  const auto deadline = std::isfinite(c.timeout_s)
                            ? t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(c.timeout_s))
                            : Clock::time_point::max();
  if (c.max_iterations == 0) throw InputError("--max-iterations", "0", "expected at least one iteration");
  if (!(c.timeout_s > 0)) throw InputError("--timeout", std::to_string(c.timeout_s), "expected a positive budget");
  RoundData sets{data.train, data.validation, std::mt19937_64(c.seed)};
  CegisResult res;
  if (c.repair_data) res.data_repair = repair_targets(p, sets.train, c.repair);
  std::optional<PropertyLoss> penalty;
  CegisHooks h = hooks;
  if (c.property_loss.weight > 0) {
    penalty.emplace(p, c.property_loss, c.seed ^ 0x9e3779b97f4a7c15ULL);
    h.train.penalty = [&](const Network& n, Network& grads) { return (*penalty)(n, grads); };
    h.train.validation_penalty = [&](const Network& n) { return penalty->validation(n); };
  }
  Network net = initial;
  double train_seconds = 0;
  if (c.train_first) {
    const auto tt = Clock::now();
    net = fit(initial, data.validation, sets.train, c, h);
    train_seconds = since(tt);
  }
  std::size_t best_count = std::numeric_limits<std::size_t>::max();
  for (std::size_t iteration = 0;; ++iteration) {
    CegisIteration it;
    it.iteration = iteration;
    it.train_seconds = train_seconds;
    it.training_size = sets.train.size();
    evaluate_into(it, net, data, c);
    SearchOptions so = c.search;
    so.deadline = std::min(so.deadline, deadline);
    so.seed = c.seed + iteration;
    const SearchResult found = c.check ? c.check(net, p, so) : find_counterexamples(net, p, so);
    it.verdict = found.verdict;
    it.counterexamples = found.counterexamples.size();
    it.verify_seconds = found.seconds;
    it.detail = found.detail;
    // Ties go to the later network: it has seen more repairs (C caps the count early on).
    const bool best = found.verdict == Verdict::Verified || found.counterexamples.size() <= best_count;
    if (best && found.verdict != Verdict::Unknown) {
      best_count = found.counterexamples.size();
      res.network = net;
      res.open = found.counterexamples;
      res.best_iteration = iteration;
    }
    if (found.verdict == Verdict::Verified) {
      res.certified = true;
      res.proof = found.detail;
    }
    // Near misses (witnesses on the boundary that do not replay) are repaired like counterexamples.
    std::vector<LinearCounterexample> to_repair = found.counterexamples;
    if (to_repair.empty())
      for (const Assignment& a : found.near_misses) to_repair.push_back({a, 0});
    const bool stop = res.certified || to_repair.empty() || iteration + 1 >= c.max_iterations ||
                      Clock::now() >= deadline;
    if (!stop) {
      const auto tr = Clock::now();
      if (penalty) penalty->anchor(to_repair);
      it.added = sets.augment(net, p, to_repair, c, iteration, it.region_violating);
      it.repair_seconds = since(tr);
    }
    res.history.push_back(it);
    if (hooks.on_iteration) hooks.on_iteration(it);
    if (stop) break;
    const auto tt = Clock::now();
    const Network start = c.retrain == Retrain::Scratch ? make_mlp(c.widths, c.batch_norm, c.seed + iteration + 1) : net;
    net = fit(start, sets.validation, sets.train, c, h);
    train_seconds = since(tt);
  }
  if (res.history.back().verdict == Verdict::Unknown && res.network.layers.empty()) res.network = net;
  res.seconds = since(t0);
  return res;
}

}  // namespace nncert
