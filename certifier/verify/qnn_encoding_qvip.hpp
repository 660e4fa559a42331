// QVIP's ILP encoding (Zhang et al., ASE'22, §3.1-3.4) of a quantized network, faithfully: each
// neuron's requantize-and-clamp is a piecewise constant function with one Boolean per output value
// t (sum v_t = 1, y = sum t v_t, and the accumulator bracketed by the interval of the chosen t),
// with the interval simplification of §3.5: values a neuron can never reach get no Boolean and
// neurons with a single possible value are fixed. Integer coefficients only: each interval
// [t - 1/2, t + 1/2) of acc / 2^s is multiplied through by 2^s (DESIGN §4), so no epsilon; the
// open outer intervals use the accumulator bounds instead of QVIP's "extremely large M".
// Classification uses §3.4's Theta^c (one indicator per competing class, both directions).
#pragma once

#include "certifier/verify/qnn_ilp.hpp"

namespace nncert {

QIlp encode_qvip(const QQuery& query);

}  // namespace nncert
