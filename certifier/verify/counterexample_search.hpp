// The complete check of a LinearProperty (one or two copies, integer inputs) that the CEGIS loop
// runs every iteration: up to C distinct counterexamples, or a proof that none exists (Zavatteri
// et al. ECAI'24 §3 use Gurobi's solution pool; CBC has none, so each witness's neighbourhood is
// cut off before the next solve: another 0/1 pattern, or 5% of the box width away in some input).
//
// Order: random sampling + projected gradient steps on the case margin (cheap, finds most
// counterexamples of an unrepaired network), then the big-M MILP over K copies of the network
// (MIPVerify encoding with DeepPoly bounds, milp_encoding). Every counterexample is replayed on
// the concrete network; "verified" means every case's MILP is infeasible.
#pragma once

#include "certifier/verify/linear_property.hpp"
#include "certifier/verify/milp_solver.hpp"
#include "certifier/verify/verifier.hpp"

#include <chrono>
#include <cstdint>
#include <vector>

namespace nncert {

struct SearchOptions {
  std::size_t max_counterexamples = 50;  // C
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  MilpBackend backend = MilpBackend::Cbc;
  int threads = 1;
  std::uint64_t seed = 0;
  std::size_t random_samples = 4000;  // per case, before any MILP (0 = straight to the MILP)
  bool attack = true;
  double extra_solve_seconds = 2;  // budget of each MILP solve once any counterexample is known
  // Per case, before its MILP while no counterexample is known: branch and bound on the property
  // with integer inputs relaxed (a proof of it is a proof; 0 = straight to the MILP).
  double relaxed_bab_seconds = 1;
  // One-copy properties with integer inputs, no counterexample known: the share of the remaining
  // time the whole-box MILP gets per case before the case is split on its integer inputs (BaB on
  // the parts, the MILP on parts with all of them fixed); 1 = never split.
  double whole_box_share = 0.5;
  // Two-copy cases linked by one output atom only: decided as two one-copy properties.
  bool separate_copies = true;
};

struct SearchResult {
  Verdict verdict = Verdict::Unknown;  // Falsified iff counterexamples is non-empty
  std::vector<LinearCounterexample> counterexamples;  // distinct, each replayed on the network
  // MILP witnesses that do not replay (within the solver's tolerance of the region's boundary):
  // not counterexamples, so the verdict is Unknown, but points a repair may push away from it.
  std::vector<Assignment> near_misses;
  std::size_t milp_solves = 0, binaries = 0;
  double seconds = 0, milp_seconds = 0;
  std::string detail;  // what settled it (solver status and tolerance for a proof)
};

// Throws InputError when the property's dimensions do not match the network.
SearchResult find_counterexamples(const Network& net, const LinearProperty& property, const SearchOptions& options);

}  // namespace nncert
