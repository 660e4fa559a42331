#include "certifier/quantize/agreement.hpp"

#include "certifier/core/error.hpp"

namespace nncert {

std::vector<std::size_t> predict_all(const QNetwork& q, const Dataset& data) {
  if (!data.raw) throw InputError(data.name, "features", "the quantized network needs integer features (raw pixels)");
  const auto& R = *data.raw;
  if (R.rows() != static_cast<Eigen::Index>(q.input_size))
    throw InputError(data.name, "features",
                     "has " + std::to_string(R.rows()) + " features, the network " + std::to_string(q.input_size));
  // Check the grid up front: nothing may throw inside the parallel loop.
  if (R.size() && (R.minCoeff() < q.cx.lo() || R.maxCoeff() > q.cx.hi()))
    throw InputError(data.name, "features", "values leave the input grid " + to_string(q.cx));
  std::vector<std::size_t> out(data.size());
  const auto n = static_cast<std::ptrdiff_t>(data.size());
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = predict(q, data.raw_sample(static_cast<std::size_t>(i)));
  return out;
}

Agreement compare_predictions(const Network& net, const QNetwork& q, const Dataset& data) {
  if (data.labels.size() != data.size()) throw InputError(data.name, "labels", "agreement needs a labelled dataset");
  const auto qpred = predict_all(q, data);
  Agreement a;
  a.samples = data.size();
  constexpr Eigen::Index kBatch = 1000;
  for (Eigen::Index start = 0; start < data.X.cols(); start += kBatch) {
    const Eigen::Index count = std::min(kBatch, data.X.cols() - start);
    const Matrix Y = evaluate(net, Matrix(data.X.middleCols(start, count)));
    for (Eigen::Index j = 0; j < count; ++j) {
      const auto i = static_cast<std::size_t>(start + j);
      const auto fpred = static_cast<std::size_t>(argmax_first(Vector(Y.col(j))));
      const auto label = static_cast<std::size_t>(data.labels[i]);
      a.float_correct += fpred == label;
      a.quantized_correct += qpred[i] == label;
      a.agree += fpred == qpred[i];
    }
  }
  return a;
}

}  // namespace nncert
