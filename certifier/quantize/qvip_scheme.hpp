// The quantization scheme of QVIP (Zhang et al., ASE'22, §5 and its artefact): input
// <unsigned,8,8> on the raw pixel p (real value p/256), weights <signed,Q,Q-1>, biases
// <signed,Q,Q-2>, hidden outputs <unsigned,Q,Q-2>, output layer <signed,Q,Q-2>, for Q in 4..10.
#pragma once

#include "certifier/quantize/quant_plan.hpp"

namespace nncert {

// Throws InputError unless 4 <= bits <= 10 and the folded network is Dense (ReLU Dense)*.
QuantPlan qvip_plan(const Network& folded, int bits);

}  // namespace nncert
