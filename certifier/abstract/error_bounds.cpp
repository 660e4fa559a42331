#include "certifier/abstract/error_bounds.hpp"

#include "certifier/core/error.hpp"

namespace nncert {

std::vector<Vector> clustering_error(const ReluChain& chain, const std::vector<Vector>& eps) {
  if (eps.size() + 1 != chain.depth()) throw InternalError("clustering_error: one eps vector per hidden layer expected");
  std::vector<Vector> err;
  Vector prev = Vector::Zero(static_cast<Eigen::Index>(chain.input_size));
  for (std::size_t l = 0; l < chain.depth(); ++l) {
    Vector e = chain.layers[l].W.cwiseAbs() * prev;
    if (l + 1 < chain.depth()) e += eps[l];
    err.push_back(e);
    prev = e;
  }
  return err;
}

Vector total_error(const ReluChain& abstract, const Vector& err_out, const Vector& delta) {
  Vector d = delta.cwiseAbs();
  for (const Dense& layer : abstract.layers) d = layer.W.cwiseAbs() * d;
  return d + err_out;
}

}  // namespace nncert
