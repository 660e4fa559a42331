// Properties pre(x) => post(x, y) in linear real arithmetic over one or two copies of a network,
// with integer-valued inputs: what `nncert repair` certifies (the CEGIS paper's P1/P2, Zavatteri
// et al. ECAI'24 §3; two copies = relational properties). Read from nncert's VNN-LIB superset.
//
// As in VNN-LIB the file states the counterexample region, a union of cases: inputs in the
// case's box (and its other input-only atoms) whose outputs satisfy every output atom.
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/verify/property.hpp"
#include "formats/vnnlib.hpp"

#include <limits>
#include <optional>
#include <random>
#include <tuple>
#include <string>
#include <vector>

namespace nncert {

// One variable of the copies: input X_i / output Y_i of copy `copy` (0, or 1 for Xp_i / Yp_i).
struct PropertyVariable {
  std::size_t copy = 0;
  bool output = false;
  std::size_t index = 0;
  bool operator<(const PropertyVariable& o) const {
    return std::tie(copy, output, index) < std::tie(o.copy, o.output, o.index);
  }
};

// sum coef * variable <= rhs
struct LinearAtom {
  std::vector<std::pair<PropertyVariable, double>> terms;
  double rhs = 0;
  std::string position;  // "line:column" in the property file
};

// x (and x') together with y = net(x) (and y' = net(x')): one value per copy.
struct Assignment {
  std::vector<Vector> x, y;
};

// The counterexample region of one case: box per copy, the other input-only atoms, and the atoms
// over outputs (which may also mention inputs). An empty `outputs` means every output is unsafe.
struct LinearCase {
  std::vector<Box> box;             // one per copy
  std::vector<LinearAtom> inputs;   // input-only atoms that are not bounds of a single input
  std::vector<LinearAtom> outputs;  // atoms with at least one output term
};

struct LinearProperty {
  std::string name;
  std::size_t copies = 1, num_inputs = 0, num_outputs = 0;
  std::vector<std::vector<bool>> integer;  // [copy][input]: integer-valued input
  std::vector<LinearCase> cases;           // unsafe iff some case's region is reached

  bool any_integer() const;
};

// Splits every DNF term into box, input atoms and output atoms. Throws InputError (line:column)
// for indices beyond `num_inputs`/`num_outputs`, an input without a finite bound, an empty box,
// or an integer input whose bounds contain no integer.
LinearProperty linear_property_from_vnnlib(const VnnlibSpec& spec, const std::string& name);

// Value of the atom's left-hand side at `a`.
double lhs(const LinearAtom& atom, const Assignment& a);

// One copy's input lies in the case's box with its integer inputs integral (that copy's part of
// the precondition, before the atoms linking copies).
bool in_copy_box(const LinearProperty& p, const LinearCase& c, std::size_t copy, const Vector& x);

// x lies in the case's input region: box, integrality, input atoms (each within `slack`).
bool in_precondition(const LinearProperty& p, const LinearCase& c, const std::vector<Vector>& x, double slack = 0);

// A uniform point of the case's box, per copy (integer inputs uniform over their integers).
std::vector<Vector> sample_case_box(const LinearProperty& p, const LinearCase& c, std::mt19937_64& rng);

// How far `a` is from the case's output region: the max over its output atoms of lhs - rhs
// (<= 0 inside; -infinity for a case without output atoms, where every output is unsafe), and the
// atom attaining it (nullptr without output atoms). The search descends on it, repair's penalty
// pushes it above a margin.
struct CaseMargin {
  double value = -std::numeric_limits<double>::infinity();
  const LinearAtom* atom = nullptr;
};
CaseMargin case_margin(const LinearCase& c, const Assignment& a);

// Index of the first case whose whole region (input and output atoms) contains `a`, if any.
std::optional<std::size_t> violated_case(const LinearProperty& p, const Assignment& a);

// Evaluates every copy's x on the concrete (unfolded) network: the only source of verdicts.
Assignment evaluate_copies(const Network& net, const std::vector<Vector>& x);

// A counterexample: the concrete assignment and the case whose region it reaches.
struct LinearCounterexample {
  Assignment point;
  std::size_t case_index = 0;
};
std::optional<LinearCounterexample> replay(const Network& net, const LinearProperty& p, const std::vector<Vector>& x);

// The plain box property (VNN-LIB, local robustness) as a one-copy LinearProperty: a case per
// (box, conjunction). Cases of several properties over the same network concatenate.
LinearProperty linear_property(const Property& p, std::size_t num_inputs, std::size_t num_outputs);

// The one-copy property without integer inputs and without input terms in output atoms, in the
// form the plain float verifiers (BaB, DeepPoly) take; nullopt when it does not have that form.
// With `relax_integers`, integer inputs range over their whole real interval instead: the region
// only grows, so a proof of the relaxation proves the property (a counterexample may not replay).
std::optional<Property> to_box_property(const LinearProperty& p, bool relax_integers = false);

}  // namespace nncert
