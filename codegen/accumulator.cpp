#include "codegen/accumulator.hpp"

#include <algorithm>
#include <vector>

namespace nncert::codegen {

namespace {

__extension__ typedef __int128 i128;  // exact wide intermediates under -Wpedantic

// Intervals are capped here so the analysis itself never overflows; anything this large is
// "too big for int64" anyway.
constexpr i128 kCap = i128{1} << 100;

i128 cap(i128 v) { return std::clamp(v, -kCap, kCap); }
i128 mag(i128 v) { return v < 0 ? -v : v; }

}  // namespace

AccumulatorProof prove_accumulator(const QNetwork& net) {
  AccumulatorProof proof;
  proof.final_bound = accumulator_bound(net);
  i128 worst = 0;       // max |value| the generated code ever holds in the accumulator type
  int max_shift = 0;    // largest shift amount used with the accumulator type
  std::vector<i128> lo(net.input_size, net.cx.lo()), hi(net.input_size, net.cx.hi());
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const QLayer& layer = net.layers[l];
    const int fx = input_frac(net, l);
    const int bias_shift = layer.cw.frac + fx - layer.cb.frac;
    const int s = layer.cw.frac + fx - layer.cy.frac;
    max_shift = std::max({max_shift, bias_shift, s > 0 ? s - 1 : -s});
    const i128 scale = s < 0 ? (i128{1} << std::min(-s, 70)) : 1;
    const std::int64_t lb = layer.relu ? 0 : layer.cy.lo(), ub = layer.cy.hi();
    std::vector<i128> next_lo(layer.outputs), next_hi(layer.outputs);
    for (std::size_t j = 0; j < layer.outputs; ++j) {
      // The generated loop starts from the aligned bias and adds one product at a time, so every
      // prefix interval [p_lo, p_hi] and every product must fit, not only the final sum.
      i128 p_lo = cap(i128{layer.b[j]} << bias_shift), p_hi = p_lo;
      worst = std::max(worst, mag(p_lo));
      for (std::size_t k = 0; k < layer.inputs; ++k) {
        const i128 w = layer.weight(j, k);
        if (w == 0) continue;
        const i128 a = w * lo[k], b = w * hi[k];
        p_lo = cap(p_lo + std::min(a, b));
        p_hi = cap(p_hi + std::max(a, b));
        worst = std::max({worst, mag(a), mag(b), mag(p_lo), mag(p_hi)});
      }
      if (s > 0) {
        const i128 half = i128{1} << (s - 1);
        worst = std::max({worst, mag(p_lo + half), mag(p_hi + half)});
      } else {
        worst = std::max({worst, mag(cap(p_lo * scale)), mag(cap(p_hi * scale))});
      }
      auto rq = [&](i128 a) {
        const i128 v = s > 0 ? (a + (i128{1} << (s - 1))) >> s : cap(a * scale);
        return std::clamp<i128>(v, lb, ub);
      };
      next_lo[j] = rq(p_lo);
      next_hi[j] = rq(p_hi);
    }
    lo = std::move(next_lo);
    hi = std::move(next_hi);
  }
  const i128 max64 = (i128{1} << 63) - 1;
  proof.partial_bound = static_cast<std::int64_t>(std::min(worst, max64));
  proof.fits_int32 = worst < (i128{1} << 31) && max_shift < 31 && proof.final_bound < (std::int64_t{1} << 31);
  proof.fits_int64 = worst < (i128{1} << 63) && max_shift < 63;
  return proof;
}

}  // namespace nncert::codegen
