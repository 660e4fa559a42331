#include "certifier/abstract/activations.hpp"

#include "certifier/core/error.hpp"

namespace nncert {

std::vector<Matrix> hidden_activations(const ReluChain& chain, const Matrix& X) {
  std::vector<Matrix> out;
  Matrix a = X;
  for (std::size_t l = 0; l + 1 < chain.depth(); ++l) {
    a = ((chain.layers[l].W * a).colwise() + chain.layers[l].b).cwiseMax(0.0);
    out.push_back(a);
  }
  return out;
}

Matrix evaluate_from(const ReluChain& chain, std::size_t first, const Matrix& Z) {
  Matrix a = Z;
  for (std::size_t l = first; l < chain.depth(); ++l) {
    Matrix z = (chain.layers[l].W * a).colwise() + chain.layers[l].b;
    a = l + 1 < chain.depth() ? Matrix(z.cwiseMax(0.0)) : std::move(z);
  }
  return a;
}

double accuracy_of_outputs(const Matrix& Y, const std::vector<int>& labels) {
  if (static_cast<std::size_t>(Y.cols()) != labels.size() || labels.empty())
    throw InternalError("accuracy: " + std::to_string(Y.cols()) + " outputs for " + std::to_string(labels.size()) + " labels");
  std::size_t ok = 0;
  for (Eigen::Index j = 0; j < Y.cols(); ++j) ok += argmax_first(Y.col(j)) == labels[static_cast<std::size_t>(j)];
  return static_cast<double>(ok) / static_cast<double>(labels.size());
}

double accuracy(const ReluChain& chain, const Matrix& X, const std::vector<int>& labels) {
  return accuracy_of_outputs(evaluate(chain, X), labels);
}

}  // namespace nncert
