#include "certifier/core/qsemantics.hpp"

#include <algorithm>
#include <limits>
#include <string_view>

namespace nncert {

namespace {

constexpr std::int64_t kInf = std::int64_t{1} << 62;
// Intervals are capped here so the analysis itself never overflows; anything this large is
// "too big for int64" anyway.
constexpr i128 kCap = i128{1} << 100;
constexpr i128 kBig = i128{1} << 63;  // magnitudes past this are already "does not fit int64"

constexpr std::string_view kAccumulatorProperty = "accumulator ";

i128 cap(i128 v) { return std::clamp(v, -kCap, kCap); }
i128 mag(i128 v) { return v < 0 ? -v : v; }
std::int64_t sat62(i128 v) { return static_cast<std::int64_t>(std::clamp<i128>(v, -kInf, kInf)); }
std::int64_t sat64(i128 v) {
  return static_cast<std::int64_t>(std::min<i128>(v, std::numeric_limits<std::int64_t>::max()));
}

i128 floor_div(i128 a, i128 d) {  // d > 0
  i128 q = a / d;
  if (a % d != 0 && a < 0) --q;
  return q;
}
i128 ceil_div(i128 a, i128 d) { return -floor_div(-a, d); }

// acc * 2^-s for s <= 0 (acc itself for s > 0, where the shift happens after rounding); a
// valid network has s >= -62, and |acc| is clamped to 2^63 first, so this fits i128.
i128 scaled_up(i128 acc, int s) { return std::clamp(acc, -kBig, kBig) << (s < 0 ? std::min(-s, 62) : 0); }

}  // namespace

std::int64_t QRequant::apply(i128 acc) const {
  const i128 v = s > 0 ? (acc + (i128{1} << (s - 1))) >> s : scaled_up(acc, s);
  return static_cast<std::int64_t>(std::clamp<i128>(v, lb, ub));
}

std::int64_t QRequant::aligned_bias(std::int64_t b) const { return b * (std::int64_t{1} << bias_shift); }

std::int64_t QRequant::min_acc_reaching(std::int64_t v) const {
  if (v <= lb) return -kInf;
  if (v > ub) return kInf;
  if (s > 0) return sat62((static_cast<i128>(v) << s) - (i128{1} << (s - 1)));
  return sat62(ceil_div(v, i128{1} << -s));
}

std::int64_t QRequant::max_acc_below(std::int64_t v) const {
  if (v >= ub) return kInf;
  if (v < lb) return -kInf;
  if (s > 0) return sat62((static_cast<i128>(v + 1) << s) - 1 - (i128{1} << (s - 1)));
  return sat62(floor_div(v, i128{1} << -s));
}

QRequant requant(const QNetwork& net, std::size_t l) {
  const QLayer& layer = net.layers.at(l);
  const int fx = input_frac(net, l);
  QRequant r;
  r.s = layer.cw.frac + fx - layer.cy.frac;
  r.bias_shift = layer.cw.frac + fx - layer.cb.frac;
  r.lb = layer.relu ? 0 : layer.cy.lo();
  r.ub = layer.cy.hi();
  return r;
}

std::int64_t accumulator(const QLayer& layer, const QRequant& rq, std::size_t j, const std::int64_t* x) {
  const std::int64_t* w = layer.W.data() + j * layer.inputs;
  std::int64_t acc = rq.aligned_bias(layer.b[j]);
  for (std::size_t k = 0; k < layer.inputs; ++k) acc += w[k] * x[k];
  return acc;
}

AccRange accumulator_range(const QLayer& layer, const QRequant& rq, std::size_t j, const std::vector<std::int64_t>& lo,
                           const std::vector<std::int64_t>& hi, i128* partial) {
  AccRange r;
  r.lo = r.hi = cap(i128{layer.b[j]} << std::clamp(rq.bias_shift, 0, 62));
  i128 worst = mag(r.lo);
  for (std::size_t k = 0; k < layer.inputs; ++k) {
    const i128 w = layer.weight(j, k);
    if (w == 0) continue;
    const i128 a = w * lo[k], b = w * hi[k];
    r.lo = cap(r.lo + std::min(a, b));
    r.hi = cap(r.hi + std::max(a, b));
    worst = std::max({worst, mag(a), mag(b), mag(r.lo), mag(r.hi)});
  }
  if (partial) *partial = std::max(*partial, worst);
  return r;
}

AccumulatorProof prove_accumulator(const QNetwork& net) {
  i128 final_worst = 0;  // max |acc * 2^max(0,-s)| at the end of each sum
  i128 worst = 0;        // max |value| the generated code ever holds in the accumulator type
  int max_shift = 0;     // largest shift amount used with the accumulator type
  std::vector<std::int64_t> lo(net.input_size, net.cx.lo()), hi(net.input_size, net.cx.hi());
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const QLayer& layer = net.layers[l];
    const QRequant rq = requant(net, l);
    max_shift = std::max({max_shift, rq.bias_shift, rq.s > 0 ? rq.s - 1 : -rq.s});
    std::vector<std::int64_t> next_lo(layer.outputs), next_hi(layer.outputs);
    for (std::size_t j = 0; j < layer.outputs; ++j) {
      const AccRange r = accumulator_range(layer, rq, j, lo, hi, &worst);
      final_worst = std::max({final_worst, mag(scaled_up(r.lo, rq.s)), mag(scaled_up(r.hi, rq.s))});
      if (rq.s > 0) {  // the rounding offset is added in the accumulator type before the shift
        const i128 half = i128{1} << (rq.s - 1);
        worst = std::max({worst, mag(r.lo + half), mag(r.hi + half)});
      } else {
        worst = std::max({worst, mag(scaled_up(r.lo, rq.s)), mag(scaled_up(r.hi, rq.s))});
      }
      // Requantization is monotone, so the output range is the image of the interval ends.
      next_lo[j] = rq.apply(r.lo);
      next_hi[j] = rq.apply(r.hi);
    }
    lo = std::move(next_lo);
    hi = std::move(next_hi);
  }
  AccumulatorProof p;
  p.final_bound = sat64(final_worst);
  p.partial_bound = sat64(worst);
  const bool fits_int32 = worst < (i128{1} << 31) && max_shift < 31 && final_worst < (i128{1} << 31);
  p.type = fits_int32 ? AccumulatorType::Int32 : AccumulatorType::Int64;
  p.fits_int64 = worst < kBig && max_shift < 63;
  return p;
}

std::int64_t accumulator_bound(const QNetwork& net) { return prove_accumulator(net).final_bound; }

std::string to_string(AccumulatorType type) { return type == AccumulatorType::Int32 ? "int32" : "int64"; }

std::string accumulator_property(AccumulatorType type) { return std::string(kAccumulatorProperty) + to_string(type); }

bool is_accumulator_property(const std::string& property) { return property.starts_with(kAccumulatorProperty); }

}  // namespace nncert
