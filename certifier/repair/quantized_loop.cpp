#include "certifier/repair/quantized_loop.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/quantize/ptq.hpp"
#include "certifier/verify/qnn_counterexample_search.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>

namespace nncert {

struct QuantizedLoop::State {
  std::mutex mutex;
  std::optional<QuantPlan> plan;  // of the last checked network: the next training's fake quantization
  std::string certified;          // digest of the last QNetwork proved
};

namespace {

constexpr Eigen::Index kCalibrationSamples = 2000;

// The largest Fx whose grid <signed, Q, Fx> holds [lo, hi] without saturating.
QConfig fit_grid(int bits, double lo, double hi) {
  QConfig c{lo < 0, bits, 0};
  for (int f = 24; f >= -24; --f) {
    c.frac = f;
    if (std::floor(std::ldexp(lo, f) + 0.5) >= static_cast<double>(c.lo()) &&
        std::floor(std::ldexp(hi, f) + 0.5) <= static_cast<double>(c.hi()))
      return c;
  }
  return c;
}

}  // namespace

QuantizedLoop::QuantizedLoop(int bits, const LinearProperty& p, const Dataset& train, std::string tool_version)
    : bits_(bits), tool_version_(std::move(tool_version)), state_(std::make_shared<State>()) {
  if (bits < 2 || bits > 16) throw InputError("--bits", std::to_string(bits), "expected Q in 2..16");
  double lo = 0, hi = 0;
  for (const LinearCase& c : p.cases)
    for (const Box& b : c.box) {
      lo = std::min(lo, b.lo.minCoeff());
      hi = std::max(hi, b.hi.maxCoeff());
    }
  if (train.X.size()) {
    lo = std::min(lo, train.X.minCoeff());
    hi = std::max(hi, train.X.maxCoeff());
  }
  cx_ = fit_grid(bits, lo, hi);
  if (p.any_integer() && cx_.frac < 0)
    throw InputError("--bits", std::to_string(bits),
                     "the input grid " + to_string(cx_) + " for inputs in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "] is coarser than 1 and cannot tell the property's integer inputs apart");
  calibration_ = train.X.leftCols(std::min(train.X.cols(), kCalibrationSamples));
}

QuantizedNetwork QuantizedLoop::quantize(const Network& net) const {
  const Network folded = fold(net);
  PtqOptions o;
  o.bits = bits_;
  o.cx = cx_;
  o.input_divisor = std::ldexp(1.0, cx_.frac);
  QuantizedNetwork out;
  out.plan = calibrated_plan(folded, calibration_, o);
  out.qnetwork = quantize_with_plan(folded, out.plan);
  if (const std::string problem = check_qnetwork(out.qnetwork); !problem.empty())
    throw InputError("--bits", std::to_string(bits_), "the quantized network is invalid: " + problem);
  out.accumulator = certify_accumulator(out.qnetwork, tool_version_);
  return out;
}

void QuantizedLoop::install(CegisConfig& config, CegisHooks& hooks) const {
  const QuantizedLoop self = *this;  // the lambdas outlive this object; the state is shared
  config.check = [self](const Network& net, const LinearProperty& p, const SearchOptions& o) {
    const QuantizedNetwork q = self.quantize(net);
    SearchResult r = find_qnn_counterexamples(q.qnetwork, p, o);
    const std::lock_guard<std::mutex> lock(self.state_->mutex);
    self.state_->plan = q.plan;
    if (r.verdict == Verdict::Verified) self.state_->certified = digest(q.qnetwork);
    return r;
  };
  hooks.train.transform = [state = state_](const Network& master) {
    std::optional<QuantPlan> plan;
    {
      const std::lock_guard<std::mutex> lock(state->mutex);
      plan = state->plan;
    }
    return plan ? fake_quantize(master, *plan) : master;
  };
}

std::string QuantizedLoop::last_certified() const {
  const std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->certified;
}

}  // namespace nncert
