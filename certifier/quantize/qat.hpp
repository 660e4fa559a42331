// Quantization-aware fine-tuning (Jacob et al., CVPR'18 §3; Courbariaux et al.'s straight-through
// estimator): every training step runs forward and backward on fake_quantize(master) under a
// fixed plan — the very rounding PTQ applies — and applies the gradient to the float master
// weights. The quantized result is quantize_with_plan(master) after the last step.
#pragma once

#include "certifier/quantize/quant_plan.hpp"
#include "certifier/train/trainer.hpp"

namespace nncert {

struct QatResult {
  Network network;   // the fine-tuned float master weights (folded)
  QNetwork qnetwork;  // its quantization under the plan
  std::vector<EpochStats> history;
};

// `hooks.on_epoch` / `on_batch` are passed through (progress); `hooks.transform` is set here.
QatResult quantization_aware_training(const Network& folded, const QuantPlan& plan, const Dataset& data,
                                      const TrainConfig& config, TrainHooks hooks = {});

}  // namespace nncert
