// DeepPoly's linear ReLU relaxation on a pre-activation box [l, u]:
// lo_slope z <= relu(z) <= up_slope z + up_off, shared by DeepPoly and DeepAbstract's lifting.
#pragma once

#include "certifier/verify/interval.hpp"

namespace nncert {

struct ReluRelaxation {
  Vector lo_slope, up_slope, up_off;
};

// The upper line is the chord. The lower line is the area-minimising 0 or identity, or with
// `parallel` the line parallel to the chord (CROWN's choice); stable neurons are exact.
ReluRelaxation relu_relaxation(const Bounds& z, bool parallel = false);

}  // namespace nncert
