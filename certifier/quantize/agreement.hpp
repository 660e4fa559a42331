// How well a QNetwork keeps its float network's decisions on a labelled dataset: both
// accuracies and the fraction of samples where their predicted classes agree (first-index
// argmax on both sides, QVIP's tie rule).
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/core/qnetwork.hpp"
#include "formats/dataset.hpp"

#include <cstddef>

namespace nncert {

struct Agreement {
  std::size_t samples = 0, float_correct = 0, quantized_correct = 0, agree = 0;
  double float_accuracy() const { return samples ? static_cast<double>(float_correct) / static_cast<double>(samples) : 0; }
  double quantized_accuracy() const {
    return samples ? static_cast<double>(quantized_correct) / static_cast<double>(samples) : 0;
  }
  double agreement() const { return samples ? static_cast<double>(agree) / static_cast<double>(samples) : 0; }
};

// The float network reads data.X, the QNetwork the raw integers (InputError if any leaves Cx).
Agreement compare_predictions(const Network& net, const QNetwork& q, const Dataset& data);

// Predicted class of every sample by the QNetwork on the raw integers (OpenMP over samples).
std::vector<std::size_t> predict_all(const QNetwork& q, const Dataset& data);

}  // namespace nncert
