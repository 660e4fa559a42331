#include "certifier/quantize/qat.hpp"

namespace nncert {

QatResult quantization_aware_training(const Network& folded, const QuantPlan& plan, const Dataset& data,
                                      const TrainConfig& config, TrainHooks hooks) {
  dense_chain(folded);  // the plan applies to Dense (ReLU Dense)* only; fail before training
  hooks.transform = [&plan](const Network& master) { return fake_quantize(master, plan); };
  TrainResult r = train(folded, data, config, {}, hooks);
  QatResult out;
  out.qnetwork = quantize_with_plan(r.network, plan);
  out.network = std::move(r.network);
  out.history = std::move(r.history);
  return out;
}

}  // namespace nncert
