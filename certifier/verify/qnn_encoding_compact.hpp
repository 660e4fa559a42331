// The compact exact ILP encoding of a quantized network (issue 6, "compact"): per unstable neuron
// one integer q with 2^s q <= acc + 2^(s-1) <= 2^s q + 2^s - 1 (s > 0; q = acc * 2^-s for s <= 0),
// then y = clamp(q, lb, hi) with at most two binaries, each dropped when the bounds show that side
// of the clamp inactive. Stable neurons (one possible value) are substituted as constants, every
// coefficient is an integer, and no epsilon is needed (DESIGN §3.2, §4).
#pragma once

#include "certifier/verify/qnn_ilp.hpp"

namespace nncert {

QIlp encode_compact(const QQuery& query);

// The network part alone, for callers that state their own output conditions (the LinearProperty
// search, qnn_counterexample_search): the region's inputs (ilp.inputs) and every neuron, returning
// each output integer as an expression over the variables (a constant when the bounds fix it).
// `bounds` must be sound for the region.
std::vector<QAffine> encode_compact_network(QIlp& ilp, const QNetwork& net, const QInputRegion& region,
                                            const QBounds& bounds);

}  // namespace nncert
