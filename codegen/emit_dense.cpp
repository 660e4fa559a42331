#include "codegen/emit_dense.hpp"

#include "codegen/ctypes.hpp"

#include <algorithm>

namespace nncert::codegen {

std::string emit_dense(const QLayer& layer, const DenseContext& ctx, Writer& arrays, const std::string& in,
                       const std::string& out, LayerReport& report) {
  const std::string id = "layer" + std::to_string(ctx.index);
  const int bias_shift = layer.cw.frac + ctx.input_frac - layer.cb.frac;
  const int s = layer.cw.frac + ctx.input_frac - layer.cy.frac;
  const std::int64_t lo = layer.relu ? 0 : layer.cy.lo(), hi = layer.cy.hi();

  // Weights in the narrowest type their actual values need; biases pre-aligned to the
  // accumulator's scale (b * 2^(Fw + Fx - Fb), exact) so the kernel starts from them directly.
  const auto [wmin, wmax] = std::minmax_element(layer.W.begin(), layer.W.end());
  const std::string wtype = narrowest_type(std::min<std::int64_t>(*wmin, 0), std::max<std::int64_t>(*wmax, 0));
  std::vector<std::int64_t> bias(layer.b.size());
  for (std::size_t j = 0; j < bias.size(); ++j) bias[j] = layer.b[j] * (std::int64_t{1} << bias_shift);
  const auto [bmin, bmax] = std::minmax_element(bias.begin(), bias.end());
  const std::string btype = narrowest_type(std::min<std::int64_t>(*bmin, 0), std::max<std::int64_t>(*bmax, 0));

  const std::size_t nnz =
      static_cast<std::size_t>(std::count_if(layer.W.begin(), layer.W.end(), [](std::int64_t w) { return w != 0; }));
  const std::string itype = narrowest_type(0, static_cast<std::int64_t>(layer.inputs) - 1);
  const std::string ptype = narrowest_type(0, static_cast<std::int64_t>(nnz));
  const std::size_t dense_bytes = layer.W.size() * type_bytes(wtype);
  const std::size_t sparse_bytes = nnz * (type_bytes(wtype) + type_bytes(itype)) + (layer.outputs + 1) * type_bytes(ptype);
  const bool sparse = ctx.allow_sparse && nnz > 0 && sparse_bytes < dense_bytes;

  report.inputs = layer.inputs;
  report.outputs = layer.outputs;
  report.nonzero = nnz;
  report.sparse = sparse;
  report.weight_type = wtype;
  report.bias_type = btype;
  report.shift = s;
  report.rom_bytes = (sparse ? sparse_bytes : dense_bytes) + bias.size() * type_bytes(btype);

  arrays.line();
  arrays.comment("Layer " + std::to_string(ctx.index) + " of " + std::to_string(ctx.count) + ": dense " +
                 std::to_string(layer.inputs) + " -> " + std::to_string(layer.outputs) + ". Weights " +
                 to_string(layer.cw) + " as " + wtype + (sparse ? " in compressed sparse rows (" : " (") +
                 std::to_string(nnz) + " of " + std::to_string(layer.W.size()) + " nonzero); biases " +
                 to_string(layer.cb) + " pre-shifted by 2^" + std::to_string(bias_shift) + " as " + btype +
                 "; output " + to_string(layer.cy) + ", shift s = " + std::to_string(s) + ", clamp [" +
                 std::to_string(lo) + ", " + std::to_string(hi) + "]" + (layer.relu ? " (the ReLU)." : "."));
  if (sparse) {
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
    arrays.array(itype, id + "_col", cols);
    arrays.array(ptype, id + "_start", start);
  } else {
    arrays.array(wtype, id + "_w", layer.W, 16, layer.inputs > 16 ? layer.inputs : 0, "neuron");
  }
  arrays.array(btype, id + "_b", bias);

  const std::string tail = ", " + std::to_string(s) + ", " + literal(lo) + ", " + literal(hi) + ");";
  if (sparse)
    return "nncert_rt::dense_sparse<" + ctx.accumulator + ">(" + id + "_w, " + id + "_col, " + id + "_start, " + id +
           "_b, " + in + ", " + out + ", " + std::to_string(layer.outputs) + tail;
  return "nncert_rt::dense<" + ctx.accumulator + ">(" + id + "_w, " + id + "_b, " + in + ", " + out + ", " +
         std::to_string(layer.inputs) + ", " + std::to_string(layer.outputs) + tail;
}

}  // namespace nncert::codegen
