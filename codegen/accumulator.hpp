// Which accumulator type makes the generated code exact (DESIGN §3.2): the certifier's proven
// bound (accumulator_bound, final sums over the whole input grid) plus what the C++ evaluation
// order adds — every partial sum, every single product, the rounding offset and the s <= 0
// scale-up must fit too, or signed overflow would be undefined behaviour.
#pragma once

#include "certifier/core/qnetwork.hpp"

#include <cstdint>

namespace nncert::codegen {

struct AccumulatorProof {
  std::int64_t final_bound = 0;    // accumulator_bound(net): max |acc| over the input grid
  std::int64_t partial_bound = 0;  // max |intermediate| in the generated evaluation order (saturating)
  bool fits_int32 = false;         // every intermediate < 2^31 and every shift amount < 31
  bool fits_int64 = false;
};

AccumulatorProof prove_accumulator(const QNetwork& net);

}  // namespace nncert::codegen
