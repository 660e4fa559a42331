#include "certifier/verify/verifier.hpp"

#include "certifier/core/error.hpp"
#include "certifier/verify/attack.hpp"
#include "certifier/verify/bab.hpp"
#include "certifier/verify/deeppoly.hpp"
#include "certifier/verify/interval.hpp"
#include "certifier/verify/milp_encoding.hpp"

#include <omp.h>

namespace nncert {

Method parse_method(const std::string& name) {
  if (name == "auto") return Method::Auto;
  if (name == "interval") return Method::Interval;
  if (name == "deeppoly") return Method::DeepPoly;
  if (name == "milp") return Method::Milp;
  if (name == "bab") return Method::Bab;
  throw InputError("--method", "'" + name + "'", "expected auto, interval, deeppoly, milp or bab");
}

std::string to_string(Method m) {
  switch (m) {
    case Method::Auto: return "auto";
    case Method::Interval: return "interval";
    case Method::DeepPoly: return "deeppoly";
    case Method::Milp: return "milp";
    case Method::Bab: return "bab";
  }
  return "auto";
}

std::string to_string(Verdict v) {
  switch (v) {
    case Verdict::Verified: return "verified";
    case Verdict::Falsified: return "falsified";
    case Verdict::Unknown: return "unknown";
  }
  return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

// Unstable ReLUs below which `auto` prefers one MILP over ReLU-split BaB for wide inputs.
constexpr std::size_t kMilpMaxUnstable = 200;

void check_dimensions(const ReluChain& chain, const Property& p) {
  for (const PropertyCase& c : p.cases) {
    if (static_cast<std::size_t>(c.box.lo.size()) != chain.input_size)
      throw InputError(p.name, "input box",
                       "has " + std::to_string(c.box.lo.size()) + " inputs, the network has " +
                           std::to_string(chain.input_size));
    if (!c.box.lo.allFinite() || !c.box.hi.allFinite() || (c.box.lo.array() > c.box.hi.array()).any())
      throw InputError(p.name, "input box", "needs finite bounds with lo <= hi");
    for (const Conjunction& conj : c.unsafe)
      for (const OutputConstraint& oc : conj)
        if (static_cast<std::size_t>(oc.a.size()) != chain.output_size() || !oc.a.allFinite() || !std::isfinite(oc.b))
          throw InputError(p.name, "output constraint",
                           "does not match the network's " + std::to_string(chain.output_size()) + " outputs");
  }
}

// Is the conjunction refuted by bounds alone (some row's lower bound > 0)?
bool refuted_by_bounds(const ReluChain& chain, const Box& box, const Conjunction& conj, bool use_deeppoly) {
  const DeepPolySpec spec = spec_of(conj, chain.output_size());
  if (use_deeppoly) {
    const DeepPolyResult dp = deeppoly(chain, box, &spec);
    return dp.infeasible || (spec.C.rows() > 0 && dp.spec_lo.maxCoeff() > 0);
  }
  const auto pre = interval_bounds(chain, box);
  return spec.C.rows() > 0 && interval_lower(spec.C, spec.d, pre.back()).maxCoeff() > 0;
}

std::size_t unstable_count(const ReluChain& chain, const Box& box) {
  const DeepPolyResult dp = deeppoly(chain, box);
  std::size_t n = 0;
  for (std::size_t l = 0; l + 1 < dp.pre.size(); ++l)
    n += static_cast<std::size_t>(((dp.pre[l].lo.array() < 0) && (dp.pre[l].hi.array() > 0)).count());
  return n;
}

}  // namespace

VerifyResult verify(const Network& net, const Property& p, const VerifyOptions& o) {
  const auto start = Clock::now();
  const EigenSingleThread single;
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                    std::min(o.timeout_s, 1e7)));
  const ReluChain chain = to_relu_chain(net);
  check_dimensions(chain, p);
  const int threads = o.threads > 0 ? o.threads : omp_get_max_threads();
  VerifyResult res;
  auto finish = [&](VerifyResult& r) -> VerifyResult {
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (r.verdict == Verdict::Falsified) {
      // The one gate every falsified verdict passes: replay on the concrete network.
      if (!r.counterexample || !replay(net, p, r.counterexample->x))
        throw InternalError("counterexample from " + r.method + " does not replay on the concrete network");
    }
    return r;
  };

  const bool bounds_only = o.method == Method::Interval || o.method == Method::DeepPoly;
  if (bounds_only) {
    res.method = to_string(o.method);
    bool all = true;
    for (const PropertyCase& c : p.cases)
      for (const Conjunction& conj : c.unsafe)
        all = all && refuted_by_bounds(chain, c.box, conj, o.method == Method::DeepPoly);
    res.verdict = all ? Verdict::Verified : Verdict::Unknown;
    if (!all) res.detail = "bounds too loose (incomplete method)";
    return finish(res);
  }

  if (o.attack) {
    AttackOptions ao;
    ao.seed = o.seed;
    ao.deadline = start + (deadline - start) / 10;
    if (auto cex = attack(net, chain, p, ao)) {
      res.verdict = Verdict::Falsified;
      res.counterexample = std::move(cex);
      res.method = "attack";
      return finish(res);
    }
  }

  // Complete phase, one (case, conjunction) at a time; cheap DeepPoly refutations first.
  std::vector<std::pair<std::size_t, std::size_t>> open;
  for (std::size_t ci = 0; ci < p.cases.size(); ++ci)
    for (std::size_t k = 0; k < p.cases[ci].unsafe.size(); ++k)
      if (!refuted_by_bounds(chain, p.cases[ci].box, p.cases[ci].unsafe[k], true)) open.push_back({ci, k});
  res.method = open.empty() ? "deeppoly" : to_string(o.method);
  bool unknown = false;
  for (std::size_t n = 0; n < open.size(); ++n) {
    const auto [ci, k] = open[n];
    if (Clock::now() > deadline) {
      res.timed_out = true;
      unknown = true;
      break;
    }
    // Share the remaining time evenly among the remaining problems, the last one gets the rest.
    const auto slice = (deadline - Clock::now()) / static_cast<long>(open.size() - n);
    const auto sub_deadline = Clock::now() + slice;
    bool use_milp = o.method == Method::Milp;
    if (o.method == Method::Auto)
      use_milp = resolve_split_mode(SplitMode::Auto, chain) == SplitMode::Relu && unstable_count(chain, p.cases[ci].box) <= kMilpMaxUnstable;
    if (use_milp) {
      const MilpCheck m = milp_check(net, chain, p, ci, k, o.milp_backend, sub_deadline, threads);
      res.method = "milp/" + to_string(o.milp_backend);
      res.detail = m.detail;
      if (m.verdict == MilpVerdict::Falsified) {
        res.verdict = Verdict::Falsified;
        res.counterexample = m.counterexample;
        return finish(res);
      }
      if (m.verdict == MilpVerdict::Unknown) {
        unknown = true;
        res.timed_out = Clock::now() >= sub_deadline;
      }
    } else {
      BabOptions bo;
      bo.deadline = sub_deadline;
      bo.threads = threads;
      const BabResult b = bab(net, chain, p, ci, k, bo);
      res.nodes += b.nodes;
      res.method = b.mode == SplitMode::Input ? "bab-input" : "bab-relu";
      if (b.status == BabStatus::Falsified) {
        res.verdict = Verdict::Falsified;
        res.counterexample = b.counterexample;
        return finish(res);
      }
      if (b.status == BabStatus::Unknown) {
        unknown = true;
        res.timed_out = Clock::now() >= sub_deadline;
      }
    }
    // An unknown sub-problem does not stop the others: a later one may still be falsified.
  }
  res.verdict = unknown ? Verdict::Unknown : Verdict::Verified;
  return finish(res);
}

}  // namespace nncert
