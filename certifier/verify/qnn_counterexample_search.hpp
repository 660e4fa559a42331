// The CEGIS loop's check when the network that ships is the QNetwork (issue 14, `repair --bits`):
// up to C distinct counterexamples of a LinearProperty (one or two copies, integer inputs) on a
// quantized network, or a proof that none exists, with the exact compact ILP of the QNN semantics
// (qnn_encoding_compact, DESIGN §3.2) for every copy. Same options and result as the float search.
//
// Inputs: the QNetwork reads a real input x as r = quantize_value(x, cx) = clamp(round(2^Fx x))
// (DESIGN §3.2; `repair --bits` quantizes with input_divisor 2^Fx, so the float network and the
// QNetwork read the same x). That map is monotone, so a case's real box [a, b] reaches exactly the
// grid range [round(2^Fx a), round(2^Fx b)]; the box must lie inside the grid's range (no input
// saturates), else InputError. Each copy's ILP has a real variable x_i (integer for Int inputs) in
// the box tied to the grid variable r_i by 2^Fx x_i - 1/2 <= r_i <= 2^Fx x_i + 1/2 (the closed
// rounding cell: a superset, so an infeasible ILP is a proof), and the case's atoms range over x
// and the dequantized outputs y = y^ 2^-Fy of the last layer.
//
// Order: uniform samples of every case and greedy grid descent from the closest (cheap, every
// hit replayed), then per case the ILP, each witness cut off before the next solve (another 0/1
// pattern, or some grid input at least max(1, 5% of its grid range) away). A counterexample is a
// real x per copy; it counts only after replay: r = q(x) on the reference evaluator, dequantized,
// inside the case's region. Distinct = distinct r.
#pragma once

#include "certifier/core/qnetwork.hpp"
#include "certifier/verify/counterexample_search.hpp"
#include "certifier/verify/linear_property.hpp"

#include <optional>
#include <vector>

namespace nncert {

// x and the dequantized outputs of the QNetwork on q(x), per copy. InputError when some x leaves
// the input grid's range.
Assignment evaluate_qcopies(const QNetwork& net, const std::vector<Vector>& x);

// The QNetwork counterpart of replay(): the first case whose region (precondition included)
// x reaches, with its concrete assignment.
std::optional<LinearCounterexample> qreplay(const QNetwork& net, const LinearProperty& p, const std::vector<Vector>& x);

// InputError (one line) when the property does not fit the QNetwork: dimensions, or a case's box
// that leaves the input grid's range.
void check_qproperty(const QNetwork& net, const LinearProperty& p);

SearchResult find_qnn_counterexamples(const QNetwork& net, const LinearProperty& property, const SearchOptions& options);

}  // namespace nncert
