#include "certifier/train/losses.hpp"

#include "certifier/core/error.hpp"

#include <cmath>
#include <cstdlib>

namespace nncert {

LossValue cross_entropy(const Matrix& logits, const std::vector<int>& labels, const Vector& class_weights) {
  const Eigen::Index n = logits.cols();
  if (static_cast<std::size_t>(n) != labels.size() || n == 0)
    throw InternalError("cross_entropy: labels do not match the batch");
  // softmax with the max shift; p = exp(z - max) / sum exp(z - max)
  const Eigen::RowVectorXd max = logits.colwise().maxCoeff();
  Matrix p = (logits.rowwise() - max).array().exp().matrix();
  const Eigen::RowVectorXd sum = p.colwise().sum();
  p.array().rowwise() /= sum.array();
  Eigen::RowVectorXd weight(n);
  double nll = 0, total_weight = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const int y = labels[static_cast<std::size_t>(i)];
    weight[i] = class_weights.size() ? class_weights[y] : 1.0;
    // -log softmax(z)_y = log sum exp(z - max) - (z_y - max)
    nll += weight[i] * (std::log(sum[i]) - (logits(y, i) - max[i]));
    total_weight += weight[i];
  }
  if (total_weight <= 0) return {0.0, Matrix::Zero(logits.rows(), n)};
  // d/dz of w_y * (-log p_y) = w_y * (p - onehot(y))
  for (Eigen::Index i = 0; i < n; ++i) p(labels[static_cast<std::size_t>(i)], i) -= 1.0;
  p.array().rowwise() *= weight.array() / total_weight;
  return {nll / total_weight, std::move(p)};
}

LossValue mean_squared_error(const Matrix& outputs, const Matrix& targets) {
  if (outputs.rows() != targets.rows() || outputs.cols() != targets.cols() || outputs.size() == 0)
    throw InternalError("mean_squared_error: targets do not match the outputs");
  const Matrix diff = outputs - targets;
  const double count = static_cast<double>(diff.size());
  return {diff.squaredNorm() / count, (2.0 / count) * diff};
}

Vector balanced_class_weights(const std::vector<int>& labels, int classes) {
  Vector counts = Vector::Zero(classes);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes)
      throw InputError("labels", "sample " + std::to_string(i),
                       "label " + std::to_string(labels[i]) + " is outside 0.." + std::to_string(classes - 1));
    counts[labels[i]] += 1;
  }
  const double n = static_cast<double>(labels.size());
  Vector w(classes);
  for (int c = 0; c < classes; ++c) w[c] = counts[c] > 0 ? n / (classes * counts[c]) : 0.0;
  return w;
}

Vector parse_class_weights(const std::string& spec, const std::vector<int>& labels, int classes) {
  if (spec.empty() || spec == "none") return {};
  if (spec == "balanced") return balanced_class_weights(labels, classes);
  std::vector<double> values;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = spec.find(',', start);
    const std::string part = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    const double v = std::strtod(part.c_str(), &end);
    if (part.empty() || end != part.c_str() + part.size() || !std::isfinite(v) || v < 0)
      throw InputError("--class-weights", "'" + spec + "'",
                       "expected 'balanced' or one non-negative number per class, separated by commas");
    values.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (static_cast<int>(values.size()) != classes)
    throw InputError("--class-weights", "'" + spec + "'",
                     "has " + std::to_string(values.size()) + " weights, the data has " + std::to_string(classes) +
                         " classes");
  return Eigen::Map<Vector>(values.data(), static_cast<Eigen::Index>(values.size()));
}

}  // namespace nncert
