// Emitter for one fixed-point Dense layer (DESIGN §3.2): the layer's layout (array types, dense
// row-major or compressed sparse rows when the layer is pruned enough that CSR is smaller), then
// its constant arrays and the one kernel call that runs it.
#pragma once

#include "codegen/codegen.hpp"
#include "codegen/ctypes.hpp"
#include "codegen/writer.hpp"

#include "certifier/core/qsemantics.hpp"

#include <string>
#include <vector>

namespace nncert::codegen {

// Everything about a layer's generated form that is decided before any text is written.
struct DenseLayout {
  std::size_t index = 0, count = 1;  // layer index and number of layers
  QRequant rq;                       // the layer's requantization terms (core/qsemantics)
  std::vector<std::int64_t> bias;    // biases on the accumulator's scale (aligned, exact)
  CType weight = CType::Int64, bias_type = CType::Int64;
  CType column = CType::Int64, start = CType::Int64;  // CSR index types
  std::size_t nonzero = 0;
  bool sparse = false;
  std::size_t rom_bytes = 0;     // the arrays as emitted
  std::size_t weight_bytes = 0;  // dense weight + bias payload (no indices)
};

DenseLayout dense_layout(const QLayer& layer, const QRequant& rq, std::size_t index, std::size_t count,
                         bool allow_sparse);

LayerReport layer_report(const QLayer& layer, const DenseLayout& d);

// Writes the layer's arrays (named layer<i>_...) into `arrays` and returns the statement that
// evaluates it from `in` into `out` with `accumulator` as the kernel's accumulator type (a dense
// layer calls `kernel`; a sparse one always the CSR kernel).
std::string emit_dense(const QLayer& layer, const DenseLayout& d, CType accumulator, Kernel kernel, Writer& arrays,
                       const std::string& in, const std::string& out);

}  // namespace nncert::codegen
