#include "certifier/verify/bab.hpp"

#include "certifier/verify/attack.hpp"
#include "certifier/verify/deeppoly.hpp"
#include "certifier/verify/deeppoly_batch.hpp"

#include <omp.h>

namespace nncert {

namespace {

constexpr Eigen::Index kInputSplitMaxDim = 12;
constexpr int kDomainPgdSteps = 5;
// Domains per BaB step, and per batched bound call. The chunk is fixed (not derived from the
// thread count) so that every domain's bounds, hence the verdict, are the same on any machine. It
// is small on purpose: a batch multiplies by every neuron live in any of its domains, and on ACAS
// Xu (50-wide layers) 64 domains together made BaB 2-3x slower than one at a time, 4 faster.
constexpr std::size_t kBatch = 512;
constexpr std::size_t kChunk = 4;

// The one (box, conjunction) being decided, with everything every node needs.
struct Problem {
  const Network& net;
  const ReluChain& chain;
  const Property& property;
  std::size_t case_index, conj_index;
  const Conjunction& conj;
  DeepPolySpec spec;
  SplitMode mode;
  int alpha_steps;
};

struct Domain {
  Box box;
  ReluSplits splits;
  std::vector<float> alpha;  // alpha-CROWN slopes of the parent (input splits), the children's warm start
};

// What bounding and evaluating one domain found.
struct NodeOutcome {
  bool closed = false;
  std::optional<Counterexample> cex;
  Matrix candidates;  // concrete points tried (one per column)
  double margin = std::numeric_limits<double>::infinity();  // the best candidate's conjunction margin
  std::vector<Domain> children;
  bool stuck = false;  // open but cannot be split any further
};

// The row closest to refutation: the one the split and the candidates aim at.
Eigen::Index chosen_row(const DeepPolyResult& dp) {
  Eigen::Index row = 0;
  if (dp.spec_lo.size() > 0) dp.spec_lo.maxCoeff(&row);
  return row;
}

// Closes the domain when some spec row's lower bound is positive; otherwise tries the candidates
// (centre, and each row's linear-bound minimiser over the box) on the chain, replaying hits.
void bound_and_try(const Problem& pb, const Domain& d, const DeepPolyResult& dp, NodeOutcome& out) {
  if (dp.infeasible || (pb.spec.C.rows() > 0 && dp.spec_lo.maxCoeff() > 0)) {
    out.closed = true;
    return;
  }
  Matrix& X = out.candidates;
  X.resize(d.box.lo.size(), 1 + pb.spec.C.rows());
  X.col(0) = d.box.center();
  for (Eigen::Index r = 0; r < pb.spec.C.rows(); ++r)
    for (Eigen::Index i = 0; i < X.rows(); ++i) X(i, 1 + r) = dp.spec_x_coef(r, i) > 0 ? d.box.lo[i] : d.box.hi[i];
  const Vector m = conjunction_margins(pb.conj, evaluate(pb.chain, X));
  for (Eigen::Index s = 0; s < X.cols(); ++s) {
    out.margin = std::min(out.margin, m[s]);
    if (m[s] <= 1e-9)
      if ((out.cex = replay(pb.net, pb.property, X.col(s)))) return;
  }
}

void split_input(const DeepPolyResult& dp, const Domain& d, NodeOutcome& out) {
  const Vector width = d.box.hi - d.box.lo;
  Eigen::Index dim = 0;
  const Vector smear = dp.spec_x_coef.row(chosen_row(dp)).transpose().cwiseAbs().cwiseProduct(width) + 1e-9 * width;
  smear.maxCoeff(&dim);
  const double mid = d.box.lo[dim] + width[dim] / 2;
  if (!(width[dim] > 0) || mid == d.box.lo[dim]) {
    out.stuck = true;  // the box cannot be halved any further in double
    return;
  }
  for (int which = 0; which < 2; ++which) {
    Domain c = d;
    (which == 0 ? c.box.hi[dim] : c.box.lo[dim]) = mid;
    out.children.push_back(std::move(c));
  }
}

// ReLU split: the unstable neuron whose relaxation costs the chosen row's bound the most; false
// when every ReLU is fixed (the caller then splits the input).
bool split_relu(const Problem& pb, const DeepPolyResult& dp, const Domain& d, NodeOutcome& out) {
  const Eigen::Index row = chosen_row(dp);
  double best = 0;
  std::size_t bl = 0;
  Eigen::Index bj = -1;
  for (std::size_t l = 0; l + 1 < pb.chain.depth() && l < dp.spec_relu_coef.size(); ++l) {
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
  if (bj < 0) return false;
  for (const int side : {-1, 1}) {
    Domain c = d;
    if (c.splits.empty()) {
      c.splits.resize(pb.chain.depth() - 1);
      for (std::size_t l = 0; l + 1 < pb.chain.depth(); ++l)
        c.splits[l].assign(static_cast<std::size_t>(pb.chain.layers[l].b.size()), 0);
    }
    c.splits[bl][static_cast<std::size_t>(bj)] = static_cast<signed char>(side);
    out.children.push_back(std::move(c));
  }
  return true;
}

// Bounds, candidates and splits of one chunk of domains: one batched bound call for input splits,
// DeepPoly under each domain's ReLU splits otherwise.
void process_chunk(const Problem& pb, const Domain* domains, std::size_t n, NodeOutcome* outs) {
  std::vector<DeepPolyResult> dps;
  const bool input_mode = pb.mode == SplitMode::Input;
  AlphaCrown ac;
  if (input_mode) {
    std::vector<Box> boxes;
    ac.steps = pb.alpha_steps;
    for (std::size_t i = 0; i < n; ++i) {
      boxes.push_back(domains[i].box);
      ac.slopes.push_back(domains[i].alpha);
    }
    dps = deeppoly_batch(pb.chain, boxes, &pb.spec, &ac);
  } else {
    for (std::size_t i = 0; i < n; ++i)
      dps.push_back(deeppoly(pb.chain, domains[i].box, &pb.spec, domains[i].splits.empty() ? nullptr : &domains[i].splits));
  }
  for (std::size_t i = 0; i < n; ++i) {
    bound_and_try(pb, domains[i], dps[i], outs[i]);
    if (outs[i].closed || outs[i].cex) continue;
    if (input_mode || !split_relu(pb, dps[i], domains[i], outs[i])) split_input(dps[i], domains[i], outs[i]);
    if (input_mode && ac.steps > 0)
      for (Domain& c : outs[i].children) c.alpha = ac.slopes[i];
  }
}

}  // namespace

SplitMode resolve_split_mode(SplitMode mode, const ReluChain& chain) {
  if (mode != SplitMode::Auto) return mode;
  return static_cast<Eigen::Index>(chain.input_size) <= kInputSplitMaxDim ? SplitMode::Input : SplitMode::Relu;
}

BabResult bab(const Network& net, const ReluChain& chain, const Property& p, std::size_t ci, std::size_t k,
              const BabOptions& o) {
  BabResult res;
  res.mode = resolve_split_mode(o.mode, chain);
  const EigenSingleThread single;
  const Conjunction& conj = p.cases[ci].unsafe[k];
  const Problem pb{net, chain, p, ci, k, conj, spec_of(conj, chain.output_size()), res.mode, o.alpha_steps};
  const Box& box = p.cases[ci].box;
  res.nodes = 1;
  if (conj.empty()) {  // the whole box is unsafe; the centre replays unless the box is empty
    res.counterexample = replay(net, p, box.center());
    res.status = res.counterexample ? BabStatus::Falsified : BabStatus::Verified;
    return res;
  }
  res.nodes = 0;
  const bool input_mode = res.mode == SplitMode::Input;
  std::vector<Domain> stack{Domain{box, {}, {}}};
  const int threads = o.threads > 0 ? o.threads : omp_get_max_threads();
  bool stuck = false;  // some domain could not be split further: the answer can only be unknown
  while (!stack.empty()) {
    if (std::chrono::steady_clock::now() > o.deadline || res.nodes >= o.max_nodes) return res;
    // Depth-first batches: the deepest domains first keeps memory bounded.
    const std::size_t batch = std::min({stack.size(), input_mode ? kBatch : static_cast<std::size_t>(4 * threads), o.max_nodes - res.nodes});
    std::vector<Domain> work(std::make_move_iterator(stack.end() - static_cast<std::ptrdiff_t>(batch)),
                             std::make_move_iterator(stack.end()));
    stack.resize(stack.size() - batch);
    std::vector<NodeOutcome> outs(batch);
    const std::size_t chunk = input_mode ? kChunk : 1, chunks = (batch + chunk - 1) / chunk;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::size_t c = 0; c < chunks; ++c)
      process_chunk(pb, work.data() + c * chunk, std::min(chunk, batch - c * chunk), outs.data() + c * chunk);
    res.nodes += batch;
    std::size_t closest = batch;
    for (std::size_t i = 0; i < batch; ++i) {
      if (outs[i].cex) {
        res.status = BabStatus::Falsified;
        res.counterexample = std::move(outs[i].cex);
        return res;
      }
      if (!outs[i].closed && (closest == batch || outs[i].margin < outs[closest].margin)) closest = i;
    }
    // Falsifying properties often have thin unsafe regions that corners and centres miss long
    // after the attack gave up: a few PGD steps, but only in the open domain nearest to a hit.
    if (closest < batch)
      if (auto cex = pgd(net, chain, p, pb.case_index, pb.conj_index, outs[closest].candidates, kDomainPgdSteps, &work[closest].box)) {
        res.status = BabStatus::Falsified;
        res.counterexample = std::move(cex);
        return res;
      }
    for (NodeOutcome& out : outs) {
      stuck = stuck || out.stuck;
      for (Domain& c : out.children) stack.push_back(std::move(c));
    }
  }
  res.status = stuck ? BabStatus::Unknown : BabStatus::Verified;
  return res;
}

}  // namespace nncert
