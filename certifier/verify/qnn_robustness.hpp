// Local robustness of a QNetwork around one dataset sample (QVIP, Zhang et al. AAAI'23, §5): the
// ball property, its exact verdict, and the certificate a proof becomes. The per-sample step that
// `nncert verify` on a quantized model and the pipeline's verify stage share.
#pragma once

#include "certifier/core/model.hpp"
#include "certifier/verify/qnn_verifier.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nncert {

struct QRobustness {
  QNorm norm = QNorm::Linf;
  std::int64_t radius = 0;      // input grid units
  double delta = 0;             // regression: allowed output change (output units)
  QVerifyOptions options;
  std::string method;           // e.g. "ilp-compact/cbc", recorded in certificates
};

struct QSampleVerdict {
  bool misclassified = false;  // classification: QVIP asks only about correctly classified samples
  QProperty property;          // set unless misclassified
  QVerifyResult result;        // set unless misclassified
};

// `label` empty = a regression sample (the output may move by at most delta).
QSampleVerdict verify_sample(const QNetwork& net, const std::vector<std::int64_t>& x, std::optional<int> label,
                             const QRobustness& question);

// "ilp-<encoding>/<backend>" (or "portfolio"), the method name of a verdict under `options`.
std::string qnn_method(const QVerifyOptions& options);

// The property text of sample `id` of `dataset` ("robust linf:2 class 3 sample 17 of fashion-mnist-test"):
// what certificates and results files name.
std::string sample_property(const QProperty& p, std::size_t id, const std::string& dataset);

// The certificate of a proved sample (`property`: the property text naming sample and dataset;
// `evidence`: re-checkable evidence appended to the method, e.g. exported queries' manifest).
Certificate robustness_certificate(const QNetwork& net, const QSampleVerdict& v, const QRobustness& question,
                                   const std::string& property, const std::string& evidence = "");

}  // namespace nncert
