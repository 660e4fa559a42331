// Exact MILP encoding of a ReLU chain (Tjeng et al., "MIPVerify", ICLR'19): big-M constraints
// with M taken from DeepPoly bounds, stable ReLUs fixed (no binary), solved through MilpSolver.
#pragma once

#include "certifier/verify/interval.hpp"
#include "certifier/verify/milp_solver.hpp"
#include "certifier/verify/property.hpp"

#include <chrono>
#include <optional>

namespace nncert {

struct MilpEncoding {
  MilpProblem problem;
  std::vector<std::size_t> x_vars, y_vars;
  std::size_t binaries = 0;
};

// x in box; `pre` are sound pre-activation bounds of every layer over the box (DeepPoly).
MilpEncoding encode_relu_chain(const ReluChain& chain, const Box& box, const std::vector<Bounds>& pre);

// `pre` tightened layer by layer: each unstable neuron's pre-activation minimised and maximised
// by linear programming over the relaxed encoding (binaries continuous) of the layers before it,
// with the bounds tightened so far (MIPVerify's "LP" bounds, Tjeng et al. ICLR'19 §5). Fewer
// unstable ReLUs and smaller big-M constants make the exact MILP much faster. Every LP value is
// widened by 1e-6 (absolute and relative) for the LP solver's tolerance; a neuron whose LP does
// not finish by `deadline` keeps its DeepPoly bounds.
std::vector<Bounds> tighten_bounds_lp(const ReluChain& chain, const Box& box, std::vector<Bounds> pre,
                                      MilpSolver& solver, std::chrono::steady_clock::time_point deadline);

enum class MilpVerdict { Verified, Falsified, Unknown };

struct MilpCheck {
  MilpVerdict verdict = MilpVerdict::Unknown;
  std::optional<Counterexample> counterexample;  // replayed on the concrete network
  std::size_t binaries = 0;
  std::string detail;  // solver status, tolerance
};

// Is the unsafe conjunction `conj_index` of case `case_index` reachable? Infeasible = verified
// (up to the solver's primal feasibility tolerance 1e-9, stated in `detail`). A feasible point is
// replayed on `net`; if it sits on the region's boundary and does not replay, the query is repeated
// with a 1e-6 margin inside the region. Throws InternalError if a witness still fails to replay.
MilpCheck milp_check(const Network& net, const ReluChain& chain, const Property& property, std::size_t case_index,
                     std::size_t conj_index, MilpBackend backend, std::chrono::steady_clock::time_point deadline,
                     int threads);

}  // namespace nncert
