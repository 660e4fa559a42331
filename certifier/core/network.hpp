// The float network IR (DESIGN §3.1): a plain value type holding a sequence of layers.
// Analyses (evaluation, folding, verification) are free functions outside it.
#pragma once

#include <Eigen/Dense>

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

namespace nncert {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// y = W x + b, W is (outputs x inputs).
struct Dense {
  Matrix W;
  Vector b;
};

// y = gamma * (x - mean) / sqrt(var + eps) + beta, per feature (inference form).
struct BatchNorm {
  Vector gamma, beta, mean, var;
  double eps = 1e-5;
};

struct ReLU {};

// y = (x - mean) / std, per feature: input normalisation as exported by ONNX Sub/Div.
struct Normalize {
  Vector mean, std;
};

using Layer = std::variant<Dense, BatchNorm, ReLU, Normalize>;

struct Network {
  std::size_t input_size = 0;
  std::vector<Layer> layers;
};

// Short name of a layer kind ("Dense", "BatchNorm", ...), for messages and `nncert info`.
std::string layer_kind(const Layer& layer);

// Number of outputs of `layer` given its number of inputs.
std::size_t layer_output_size(const Layer& layer, std::size_t input_size);

// Widths along the network: widths[0] = input_size, widths[i+1] = output of layers[i].
std::vector<std::size_t> layer_widths(const Network& net);

std::size_t output_size(const Network& net);

// Checks every layer's shapes against its input width and that all parameters are finite
// (and variances/stds positive). Returns an empty string when valid, else one line naming
// the layer and the problem.
std::string check_network(const Network& net);

// Batched evaluation: X holds one sample per column (input_size x N); returns outputs x N.
Matrix evaluate(const Network& net, const Matrix& X);
Vector evaluate(const Network& net, const Vector& x);

// Same network with every BatchNorm and Normalize folded into an adjacent Dense layer, so the
// result holds only Dense and ReLU layers (what the verifiers and the quantizer consume).
// Exact in real arithmetic; in double it agrees to ~1e-15 relative.
Network fold(const Network& net);

// Number of trainable scalars (weights, biases, BatchNorm gamma/beta; not running statistics).
std::size_t parameter_count(const Network& net);

// First index of the largest entry (QVIP's tie rule, shared with the generated code).
Eigen::Index argmax_first(const Vector& v);

}  // namespace nncert
