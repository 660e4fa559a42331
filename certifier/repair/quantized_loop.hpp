// Quantized repair (issue 14, `repair --bits Q`): the network that ships is the QNetwork, so each
// round of the CEGIS loop checks the quantization of the round's network with the exact QNN search
// (verify/qnn_counterexample_search) and the retraining is quantization-aware (quantize/qat: fake
// quantization with straight-through gradients under the latest round's plan), until the
// quantized network itself is certified.
//
// The plan: PTQ calibration (quantize/ptq) of the folded network on the training inputs, with an
// input grid <signed iff some input is negative, Q, Fx> whose Fx is the largest that holds the
// property's boxes and the training data, read as x = r * 2^-Fx (input_divisor 2^Fx), so the float
// network and the QNetwork take the same real inputs. The plan is a pure function of the network
// and the data: the QNetwork written out is the very one the last round certified.
#pragma once

#include "certifier/core/qnetwork.hpp"
#include "certifier/quantize/accumulator_proof.hpp"
#include "certifier/quantize/quant_plan.hpp"
#include "certifier/repair/cegis.hpp"

#include <memory>
#include <string>

namespace nncert {

struct QuantizedNetwork {
  QNetwork qnetwork;                 // accumulator type set by the proof
  AccumulatorCertificate accumulator;
  QuantPlan plan;
};

class QuantizedLoop {
 public:
  // InputError (one line) for Q outside 2..16, or an input grid that cannot tell the property's
  // integer inputs apart (Fx < 0).
  QuantizedLoop(int bits, const LinearProperty& property, const Dataset& train, std::string tool_version);

  const QConfig& input_grid() const { return cx_; }
  // fold(net), the calibrated plan, its QNetwork with the accumulator proof; InputError when the
  // network is not Dense (ReLU Dense)* or its quantization is invalid.
  QuantizedNetwork quantize(const Network& net) const;

  // Sets config.check (the exact search on quantize(net)) and hooks.train.transform (fake
  // quantization under the plan of the last checked network; plain float before the first check).
  void install(CegisConfig& config, CegisHooks& hooks) const;

  // Digest of the last QNetwork the loop's check proved (empty if none).
  std::string last_certified() const;

 private:
  int bits_;
  std::string tool_version_;
  QConfig cx_;
  Matrix calibration_;
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace nncert
