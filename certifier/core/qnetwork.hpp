// The fixed-point network IR and its reference evaluator: DESIGN §3.2, the QVIP semantics
// (Zhang et al., ASE'22, §2) that the ILP encodings, the generated code and the conformance
// harness all agree on. Every integer here is exact; nothing is ever rounded twice.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nncert {

// A quantization config <signed, Q, F>: Q bits with F fractional bits.
struct QConfig {
  bool is_signed = true;
  int bits = 8;  // Q, 2..16
  int frac = 0;  // F (may be negative or exceed Q: only the grid and scale depend on it)

  std::int64_t lo() const { return is_signed ? -(std::int64_t{1} << (bits - 1)) : 0; }
  std::int64_t hi() const {
    return is_signed ? (std::int64_t{1} << (bits - 1)) - 1 : (std::int64_t{1} << bits) - 1;
  }
  bool operator==(const QConfig&) const = default;
};

std::string to_string(const QConfig& c);  // "<signed,6,4>"

// round(2^F * u) clamped to the grid, round(z) = floor(z + 1/2).
std::int64_t quantize_value(double u, const QConfig& c);

// One fully connected layer with requantization; `relu` makes the lower clamp 0 (hidden layers).
struct QLayer {
  std::size_t inputs = 0, outputs = 0;
  std::vector<std::int64_t> W;  // row-major, outputs x inputs, each on the Cw grid
  std::vector<std::int64_t> b;  // outputs, each on the Cb grid
  QConfig cw, cb, cy;
  bool relu = true;

  std::int64_t weight(std::size_t row, std::size_t col) const { return W[row * inputs + col]; }
};

enum class AccumulatorType { Int32, Int64 };

struct QNetwork {
  std::size_t input_size = 0;
  QConfig cx;
  std::vector<QLayer> layers;
  // Chosen by the certifier from a proven bound (prove_accumulator, core/qsemantics.hpp); the
  // generated code uses exactly this type for every accumulator.
  AccumulatorType accumulator = AccumulatorType::Int64;
};

std::size_t output_size(const QNetwork& net);

// Checks shapes, config ranges (Q in 2..16), every weight/bias on its grid, Fb <= Fw + Fx,
// shifts small enough to be exact in int64, and that the accumulator bound (accumulator_bound,
// core/qsemantics.hpp) is below 2^62.
// Returns an empty string when valid, else one line naming the layer and the problem.
std::string check_qnetwork(const QNetwork& net);

// Reference evaluator: x on the Cx grid -> output integers on the last layer's Cy grid.
// Throws InputError if x has the wrong size or leaves the input grid.
std::vector<std::int64_t> evaluate(const QNetwork& net, const std::vector<std::int64_t>& x);

// Same, also returning every layer's output (trace[0] = x, trace[l+1] = layer l's output).
std::vector<std::vector<std::int64_t>> evaluate_trace(const QNetwork& net,
                                                      const std::vector<std::int64_t>& x);

// First index of the largest output (QVIP's tie rule).
std::size_t argmax_first(const std::vector<std::int64_t>& y);
std::size_t predict(const QNetwork& net, const std::vector<std::int64_t>& x);

// Fractional bits of the input of layer l (Cx.frac for l = 0, else Cy.frac of layer l-1).
int input_frac(const QNetwork& net, std::size_t l);

}  // namespace nncert
