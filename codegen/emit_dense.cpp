#include "codegen/emit_dense.hpp"

#include <algorithm>

namespace nncert::codegen {

namespace {

CType narrowest_with_zero(const std::vector<std::int64_t>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return narrowest_type(std::min<std::int64_t>(*lo, 0), std::max<std::int64_t>(*hi, 0));
}

}  // namespace

DenseLayout dense_layout(const QLayer& layer, const QRequant& rq, std::size_t index, std::size_t count,
                         bool allow_sparse) {
  DenseLayout d;
  d.index = index;
  d.count = count;
  d.rq = rq;
  // Weights in the narrowest type their actual values need; biases pre-aligned to the
  // accumulator's scale so the kernel starts from them directly.
  d.weight = narrowest_with_zero(layer.W);
  for (std::int64_t b : layer.b) d.bias.push_back(rq.aligned_bias(b));
  d.bias_type = narrowest_with_zero(d.bias);
  d.nonzero =
      static_cast<std::size_t>(std::count_if(layer.W.begin(), layer.W.end(), [](std::int64_t w) { return w != 0; }));
  d.column = narrowest_type(0, static_cast<std::int64_t>(layer.inputs) - 1);
  d.start = narrowest_type(0, static_cast<std::int64_t>(d.nonzero));
  const std::size_t dense_bytes = layer.W.size() * type_bytes(d.weight);
  const std::size_t sparse_bytes = d.nonzero * (type_bytes(d.weight) + type_bytes(d.column)) +
                                   (layer.outputs + 1) * type_bytes(d.start);
  d.sparse = allow_sparse && d.nonzero > 0 && sparse_bytes < dense_bytes;
  const std::size_t bias_bytes = d.bias.size() * type_bytes(d.bias_type);
  d.rom_bytes = (d.sparse ? sparse_bytes : dense_bytes) + bias_bytes;
  d.weight_bytes = dense_bytes + bias_bytes;
  return d;
}

LayerReport layer_report(const QLayer& layer, const DenseLayout& d) {
  return {.inputs = layer.inputs, .outputs = layer.outputs, .nonzero = d.nonzero, .sparse = d.sparse,
          .weight_type = d.weight, .bias_type = d.bias_type, .shift = d.rq.s, .rom_bytes = d.rom_bytes};
}

std::string emit_dense(const QLayer& layer, const DenseLayout& d, CType accumulator, Kernel kernel, Writer& arrays,
                       const std::string& in, const std::string& out) {
  const std::string id = "layer" + std::to_string(d.index);
  const std::string wtype = c_name(d.weight), btype = c_name(d.bias_type);
  const QRequant& rq = d.rq;
  arrays.line();
  arrays.comment("Layer " + std::to_string(d.index) + " of " + std::to_string(d.count) + ": dense " +
                 std::to_string(layer.inputs) + " -> " + std::to_string(layer.outputs) + ". Weights " +
                 to_string(layer.cw) + " as " + wtype + (d.sparse ? " in compressed sparse rows (" : " (") +
                 std::to_string(d.nonzero) + " of " + std::to_string(layer.W.size()) + " nonzero); biases " +
                 to_string(layer.cb) + " pre-shifted by 2^" + std::to_string(rq.bias_shift) + " as " + btype +
                 "; output " + to_string(layer.cy) + ", shift s = " + std::to_string(rq.s) + ", clamp [" +
                 std::to_string(rq.lb) + ", " + std::to_string(rq.ub) + "]" + (layer.relu ? " (the ReLU)." : "."));
  if (d.sparse) {
    std::vector<std::int64_t> values, cols, start{0};
    for (std::size_t j = 0; j < layer.outputs; ++j) {
      for (std::size_t k = 0; k < layer.inputs; ++k)
        if (layer.weight(j, k) != 0) {
          values.push_back(layer.weight(j, k));
          cols.push_back(static_cast<std::int64_t>(k));
        }
      start.push_back(static_cast<std::int64_t>(values.size()));
    }
    arrays.comment("Row j's nonzero weights are " + id + "_w[" + id + "_start[j] .. " + id + "_start[j+1]) at inputs " +
                   id + "_col[...].");
    arrays.array(wtype, id + "_w", values);
    arrays.array(c_name(d.column), id + "_col", cols);
    arrays.array(c_name(d.start), id + "_start", start);
  } else {
    arrays.array(wtype, id + "_w", layer.W, 16, layer.inputs > 16 ? layer.inputs : 0, "neuron");
  }
  arrays.array(btype, id + "_b", d.bias);

  const std::string acc = c_name(accumulator);
  const std::string n_in = std::to_string(layer.inputs), n_out = std::to_string(layer.outputs);
  const std::string shift = std::to_string(rq.s), lo = literal(rq.lb), hi = literal(rq.ub);
  // Sizes, shift and clamp as template arguments: one inlined instantiation per layer.
  if (d.sparse)
    return "nncert_rt::dense_sparse<" + acc + ", " + n_out + ", " + shift + ", " + lo + ", " + hi + ">(" + id + "_w, " +
           id + "_col, " + id + "_start, " + id + "_b, " + in + ", " + out + ");";
  if (kernel == Kernel::Blocked)
    return "nncert_rt::dense_rows<" + acc + ", " + n_in + ", " + n_out + ", " + shift + ", " + lo + ", " + hi + ">(" +
           id + "_w, " + id + "_b, " + in + ", " + out + ");";
  return "nncert_rt::dense<" + acc + ">(" + id + "_w, " + id + "_b, " + in + ", " + out + ", " + n_in + ", " + n_out +
         ", " + shift + ", " + lo + ", " + hi + ");";
}

}  // namespace nncert::codegen
