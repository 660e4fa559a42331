#include "certifier/verify/qnn_robustness.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/version.hpp"

namespace nncert {

QSampleVerdict verify_sample(const QNetwork& net, const std::vector<std::int64_t>& x, std::optional<int> label,
                             const QRobustness& question) {
  QSampleVerdict v;
  const QInputRegion region = ball_region(net, x, question.norm, question.radius);
  if (label) {
    if (predict(net, x) != static_cast<std::size_t>(*label)) {
      v.misclassified = true;
      return v;
    }
    v.property = classification_property(net, region, static_cast<std::size_t>(*label));
  } else {
    v.property = regression_property(net, region, question.delta);
  }
  v.result = verify_qnn(net, v.property, question.options);
  return v;
}

std::string qnn_method(const QVerifyOptions& options) {
  if (options.encoding == QEncoding::Portfolio) return "portfolio";
  return "ilp-" + to_string(options.encoding) + "/" +
         (options.encoding == QEncoding::Smt ? std::string("z3") : to_string(options.backend));
}

std::string sample_property(const QProperty& p, std::size_t id, const std::string& dataset) {
  return p.description + " sample " + std::to_string(id) + " of " + dataset;
}

Certificate robustness_certificate(const QNetwork& net, const QSampleVerdict& v, const QRobustness& question,
                                   const std::string& property, const std::string& evidence) {
  Certificate c;
  c.property = property;
  // A portfolio's certificate names the member that proved it.
  c.method = (question.options.encoding == QEncoding::Portfolio ? v.result.decided_by : question.method) + evidence;
  c.verdict = to_string(v.result.verdict);
  c.bound = static_cast<double>(question.radius);
  c.seconds = v.result.seconds;
  c.tool_version = kToolVersion;
  c.weights_digest = digest(net);
  c.network = "quantized";
  return c;
}

}  // namespace nncert
