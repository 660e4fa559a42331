#include "certifier/verify/bab.hpp"

#include "certifier/verify/attack.hpp"
#include "certifier/verify/deeppoly.hpp"

#include <omp.h>

namespace nncert {

namespace {

struct Domain {
  Box box;
  ReluSplits splits;
  int depth = 0;
};

struct NodeOutcome {
  bool closed = false;
  std::optional<Counterexample> cex;
  std::vector<Domain> children;
};

constexpr Eigen::Index kInputSplitMaxDim = 12;
constexpr int kDomainPgdSteps = 5;

Domain split_input(const Domain& d, Eigen::Index dim, int which) {
  Domain c = d;
  c.depth = d.depth + 1;
  const double mid = d.box.lo[dim] + (d.box.hi[dim] - d.box.lo[dim]) / 2;
  if (which == 0)
    c.box.hi[dim] = mid;
  else
    c.box.lo[dim] = mid;
  return c;
}

NodeOutcome process(const Network& net, const ReluChain& chain, const Property& p, std::size_t ci, std::size_t k,
                    const DeepPolySpec& spec, const Domain& d, bool input_mode) {
  NodeOutcome out;
  const Conjunction& conj = p.cases[ci].unsafe[k];
  const DeepPolyResult dp = deeppoly(chain, d.box, &spec, d.splits.empty() ? nullptr : &d.splits);
  if (dp.infeasible || (spec.C.rows() > 0 && dp.spec_lo.maxCoeff() > 0)) {
    out.closed = true;
    return out;
  }
  // The row we try to refute: the one closest to being refuted.
  Eigen::Index row = 0;
  if (spec.C.rows() > 0) dp.spec_lo.maxCoeff(&row);
  // Concrete candidates: the centre and the minimiser of each row's linear lower bound.
  Matrix X(d.box.lo.size(), 1 + spec.C.rows());
  X.col(0) = d.box.center();
  for (Eigen::Index r = 0; r < spec.C.rows(); ++r)
    for (Eigen::Index i = 0; i < X.rows(); ++i) X(i, 1 + r) = dp.spec_x_coef(r, i) > 0 ? d.box.lo[i] : d.box.hi[i];
  const Matrix Y = evaluate(chain, X);
  for (Eigen::Index s = 0; s < X.cols(); ++s)
    if (satisfies(conj, Y.col(s), 1e-9))
      if (auto cex = replay(net, p, X.col(s))) {
        out.cex = std::move(cex);
        return out;
      }
  if (conj.empty()) {  // the whole box is unsafe; the centre replays unless the box is empty
    out.cex = replay(net, p, d.box.center());
    out.closed = !out.cex.has_value();
    return out;
  }
  // A few PGD steps from those points inside this domain: falsifying properties often have thin
  // unsafe regions that the corners and centre of a domain miss long after the attack gave up.
  if (auto cex = pgd(net, chain, p, ci, k, X, kDomainPgdSteps, &d.box)) {
    out.cex = std::move(cex);
    return out;
  }
  if (!input_mode) {
    // ReLU split: the unstable neuron whose relaxation costs the chosen row's bound the most.
    double best = 0;
    std::size_t bl = 0;
    Eigen::Index bj = -1;
    for (std::size_t l = 0; l + 1 < chain.layers.size() && l < dp.spec_relu_coef.size(); ++l) {
      const Bounds& z = dp.pre[l];
      for (Eigen::Index j = 0; j < z.lo.size(); ++j) {
        if (!(z.lo[j] < 0 && z.hi[j] > 0)) continue;
        const double coef = dp.spec_relu_coef[l](row, j);
        const double score = std::abs(coef) * (-z.lo[j] * z.hi[j] / (z.hi[j] - z.lo[j])) + 1e-12 * (z.hi[j] - z.lo[j]);
        if (score > best) {
          best = score;
          bl = l;
          bj = j;
        }
      }
    }
    if (bj >= 0) {
      for (const int side : {-1, 1}) {
        Domain c = d;
        c.depth = d.depth + 1;
        if (c.splits.empty()) {
          c.splits.resize(chain.layers.size() - 1);
          for (std::size_t l = 0; l + 1 < chain.layers.size(); ++l)
            c.splits[l].assign(static_cast<std::size_t>(chain.layers[l].b.size()), 0);
        }
        c.splits[bl][static_cast<std::size_t>(bj)] = static_cast<signed char>(side);
        out.children.push_back(std::move(c));
      }
      return out;
    }
    // Every ReLU is fixed but the bound is still loose: fall through to an input split.
  }
  const Vector width = d.box.hi - d.box.lo;
  Eigen::Index dim = 0;
  const Vector smear = dp.spec_x_coef.row(row).transpose().cwiseAbs().cwiseProduct(width) + 1e-9 * width;
  smear.maxCoeff(&dim);
  if (!(width[dim] > 0) || d.box.lo[dim] + width[dim] / 2 == d.box.lo[dim]) {
    // The box cannot be halved any further in double: nothing left to split on.
    out.closed = false;
    out.children.clear();
    return out;
  }
  out.children.push_back(split_input(d, dim, 0));
  out.children.push_back(split_input(d, dim, 1));
  return out;
}

}  // namespace

BabResult bab(const Network& net, const ReluChain& chain, const Property& p, std::size_t ci, std::size_t k,
              const BabOptions& o) {
  BabResult res;
  const EigenSingleThread single;
  const Conjunction& conj = p.cases[ci].unsafe[k];
  const DeepPolySpec spec = spec_of(conj, chain.output_size());
  const bool input_mode =
      o.mode == SplitMode::Input || (o.mode == SplitMode::Auto && static_cast<Eigen::Index>(chain.input_size) <= kInputSplitMaxDim);
  std::vector<Domain> stack{Domain{p.cases[ci].box, {}, 0}};
  const int threads = o.threads > 0 ? o.threads : omp_get_max_threads();
  bool stuck = false;  // some domain could not be split further: the answer can only be unknown
  while (!stack.empty()) {
    if (std::chrono::steady_clock::now() > o.deadline || res.nodes >= o.max_nodes) return res;
    // Depth-first batches: the deepest domains first keeps memory bounded.
    const std::size_t batch = std::min<std::size_t>(stack.size(), static_cast<std::size_t>(4 * threads));
    std::vector<Domain> work(std::make_move_iterator(stack.end() - static_cast<std::ptrdiff_t>(batch)),
                             std::make_move_iterator(stack.end()));
    stack.resize(stack.size() - batch);
    std::vector<NodeOutcome> outs(batch);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::size_t i = 0; i < batch; ++i) outs[i] = process(net, chain, p, ci, k, spec, work[i], input_mode);
    res.nodes += batch;
    for (NodeOutcome& out : outs) {
      if (out.cex) {
        res.status = BabStatus::Falsified;
        res.counterexample = std::move(out.cex);
        return res;
      }
      if (!out.closed && out.children.empty()) stuck = true;
      for (Domain& c : out.children) stack.push_back(std::move(c));
    }
  }
  res.status = stuck ? BabStatus::Unknown : BabStatus::Verified;
  return res;
}

}  // namespace nncert
