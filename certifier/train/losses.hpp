// Training losses over a batch of outputs (outputs x N, one column per sample): softmax
// cross-entropy with optional per-class weights, and mean squared error for regression.
#pragma once

#include "certifier/core/network.hpp"

#include <string>
#include <vector>

namespace nncert {

enum class LossKind { CrossEntropy, MeanSquaredError };

struct LossValue {
  double value = 0;  // the loss of the batch
  Matrix grad;       // d value / d outputs (outputs x N)
};

// Weighted softmax cross-entropy, PyTorch's convention: sum_i w[y_i] * nll_i / sum_i w[y_i].
// `class_weights` empty = all ones. Computed with the log-sum-exp shift, so large logits are safe.
LossValue cross_entropy(const Matrix& logits, const std::vector<int>& labels, const Vector& class_weights = {});

// Mean over every entry of (outputs - targets)^2 (PyTorch's MSELoss, reduction "mean").
LossValue mean_squared_error(const Matrix& outputs, const Matrix& targets);

// "balanced" class weights: n / (classes * count[c]) (inversely proportional to class counts,
// as in scikit-learn); a class with no samples gets weight 0. Throws InputError on bad labels.
Vector balanced_class_weights(const std::vector<int>& labels, int classes);

// Parses --class-weights: "balanced", "none"/"" (empty vector), or comma-separated numbers.
Vector parse_class_weights(const std::string& spec, const std::vector<int>& labels, int classes);

}  // namespace nncert
