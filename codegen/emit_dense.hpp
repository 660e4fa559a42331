// Emitter for one fixed-point Dense layer (DESIGN §3.2): its constant arrays (dense row-major, or
// compressed sparse rows when the layer is pruned enough that CSR is smaller) and the one kernel
// call that runs it.
#pragma once

#include "codegen/codegen.hpp"
#include "codegen/writer.hpp"

#include "certifier/core/qnetwork.hpp"

#include <string>

namespace nncert::codegen {

struct DenseContext {
  std::size_t index = 0, count = 1;  // layer index and number of layers
  int input_frac = 0;                // Fx of this layer's input
  std::string accumulator;           // "int32_t" | "int64_t"
  bool allow_sparse = true;
};

// Writes the layer's arrays (named layer<i>_...) into `arrays`, returns the statement that
// evaluates it from `in` into `out`, and fills `report`.
std::string emit_dense(const QLayer& layer, const DenseContext& ctx, Writer& arrays, const std::string& in,
                       const std::string& out, LayerReport& report);

}  // namespace nncert::codegen
