#include "certifier/train/layer_stack.hpp"

#include "certifier/core/error.hpp"
#include "certifier/core/overloaded.hpp"

namespace nncert {

namespace {

// out = A * B, with the output split into one slice per OpenMP thread (each a single-threaded
// Eigen product). One fork/join per product instead of Eigen's fine-grained parallel GEMM,
// which spends more time synchronising than computing at these sizes on a loaded machine.
// The slices depend only on the thread count, so results are reproducible for a given count.
template <class A, class B>
void multiply(const A& a, const B& b, Matrix& out) {
  out.resize(a.rows(), b.cols());
  const int threads = Eigen::nbThreads();
  const double work = static_cast<double>(a.rows()) * static_cast<double>(a.cols()) * static_cast<double>(b.cols());
  if (threads <= 1 || work < 2e5) {
    out.noalias() = a * b;
    return;
  }
  const bool split_rows = a.rows() >= b.cols();
  const Eigen::Index n = split_rows ? a.rows() : b.cols();
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int t = 0; t < threads; ++t) {
    const Eigen::Index first = n * t / threads, last = n * (t + 1) / threads;
    if (last <= first) continue;
    if (split_rows)
      out.middleRows(first, last - first).noalias() = a.middleRows(first, last - first) * b;
    else
      out.middleCols(first, last - first).noalias() = a * b.middleCols(first, last - first);
  }
}

}  // namespace

Matrix forward(const Network& net, const Matrix& X, bool train_mode, Tape& tape) {
  const std::size_t L = net.layers.size();
  tape.inputs.resize(L);
  tape.normalized.assign(L, Matrix());
  tape.inv_std.assign(L, Vector());
  tape.batch_mean.assign(L, Vector());
  tape.batch_var.assign(L, Vector());
  Matrix Y = X;
  for (std::size_t i = 0; i < L; ++i) {
    Matrix out;
    std::visit(Overloaded{[&](const Dense& d) {
                            multiply(d.W, Y, out);
                            out.colwise() += d.b;
                          },
                          [&](const BatchNorm& bn) {
                            if (!train_mode) {
                              const Vector a = bn.gamma.array() / (bn.var.array() + bn.eps).sqrt();
                              out = (a.asDiagonal() * (Y.colwise() - bn.mean)).colwise() + bn.beta;
                              return;
                            }
                            const double n = static_cast<double>(Y.cols());
                            const Vector mean = Y.rowwise().sum() / n;
                            Matrix centered = Y.colwise() - mean;
                            const Vector var = centered.array().square().rowwise().sum() / n;
                            const Vector inv_std = (var.array() + bn.eps).rsqrt();
                            centered = inv_std.asDiagonal() * centered;
                            out = (bn.gamma.asDiagonal() * centered).colwise() + bn.beta;
                            tape.normalized[i] = std::move(centered);
                            tape.inv_std[i] = inv_std;
                            tape.batch_mean[i] = mean;
                            tape.batch_var[i] = var;
                          },
                          [&](const ReLU&) { out = Y.cwiseMax(0.0); },
                          [&](const Normalize& nz) {
                            out = (Y.colwise() - nz.mean).array().colwise() / nz.std.array();
                          }},
               net.layers[i]);
    tape.inputs[i] = std::move(Y);
    Y = std::move(out);
  }
  return Y;
}

Matrix backward(const Network& net, const Tape& tape, const Matrix& dY, Network& grads, bool input_gradient) {
  const std::size_t L = net.layers.size();
  if (tape.inputs.size() != L || grads.layers.size() != L) throw InternalError("backward: tape or grads do not match");
  Matrix d = dY;
  for (std::size_t k = L; k-- > 0;) {
    const bool need_dx = input_gradient || k > 0;
    const Matrix& X = tape.inputs[k];
    std::visit(Overloaded{[&](const Dense& layer) {
                            auto& g = std::get<Dense>(grads.layers[k]);
                            multiply(d, X.transpose(), g.W);
                            // A bias feeding a train-mode BatchNorm is cancelled by the batch mean: its
                            // gradient is exactly 0, and Adam would amplify the rounding noise of the sum
                            // into steps of size lr.
                            const bool cancelled = k + 1 < L && std::holds_alternative<BatchNorm>(net.layers[k + 1]) &&
                                                   tape.normalized[k + 1].size() != 0;
                            if (cancelled)
                              g.b.setZero(layer.b.size());
                            else
                              g.b = d.rowwise().sum();
                            if (need_dx) {
                              Matrix dx;
                              multiply(layer.W.transpose(), d, dx);
                              d = std::move(dx);
                            }
                          },
                          [&](const BatchNorm& bn) {
                            auto& g = std::get<BatchNorm>(grads.layers[k]);
                            if (tape.normalized[k].size() == 0) {  // eval mode: a fixed affine map
                              const Vector a = bn.gamma.array() / (bn.var.array() + bn.eps).sqrt();
                              g.gamma = ((X.colwise() - bn.mean).cwiseProduct(d)).rowwise().sum().cwiseProduct(
                                  (bn.var.array() + bn.eps).rsqrt().matrix());
                              g.beta = d.rowwise().sum();
                              d = a.asDiagonal() * d;
                              return;
                            }
                            const Matrix& xhat = tape.normalized[k];
                            const double n = static_cast<double>(d.cols());
                            g.gamma = xhat.cwiseProduct(d).rowwise().sum();
                            g.beta = d.rowwise().sum();
                            // dx = gamma / (N std) * (N dy - sum dy - xhat * sum(dy * xhat))
                            Matrix dx = (n * d).colwise() - g.beta;
                            dx -= g.gamma.asDiagonal() * xhat;
                            const Vector scale = bn.gamma.cwiseProduct(tape.inv_std[k]) / n;
                            d = scale.asDiagonal() * dx;
                          },
                          [&](const ReLU&) { d = (X.array() > 0.0).select(d, 0.0); },
                          [&](const Normalize& nz) { d = d.array().colwise() / nz.std.array(); }},
               net.layers[k]);
  }
  return input_gradient ? d : Matrix();
}

void update_running_stats(Network& net, const Tape& tape, double momentum) {
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    auto* bn = std::get_if<BatchNorm>(&net.layers[i]);
    if (!bn || i >= tape.batch_mean.size() || tape.batch_mean[i].size() == 0) continue;
    const double n = static_cast<double>(tape.inputs[i].cols());
    const double unbias = n > 1 ? n / (n - 1) : 1.0;
    bn->mean = (1 - momentum) * bn->mean + momentum * tape.batch_mean[i];
    bn->var = (1 - momentum) * bn->var + (momentum * unbias) * tape.batch_var[i];
  }
}

Network zeros_like(const Network& net) {
  Network z{net.input_size, {}};
  for (const Layer& layer : net.layers) {
    std::visit(Overloaded{[&](const Dense& d) {
                            z.layers.emplace_back(Dense{Matrix::Zero(d.W.rows(), d.W.cols()), Vector::Zero(d.b.size())});
                          },
                          [&](const BatchNorm& bn) {
                            const auto n = bn.gamma.size();
                            z.layers.emplace_back(BatchNorm{Vector::Zero(n), Vector::Zero(n), Vector::Zero(n),
                                                            Vector::Ones(n), bn.eps});
                          },
                          [&](const auto& other) { z.layers.emplace_back(other); }},
               layer);
  }
  return z;
}

std::vector<ParameterView> parameters(Network& net) {
  std::vector<ParameterView> views;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    if (auto* d = std::get_if<Dense>(&net.layers[i])) {
      views.push_back({d->W.data(), d->W.size(), i, true, false});
      views.push_back({d->b.data(), d->b.size(), i, false, false});
    } else if (auto* bn = std::get_if<BatchNorm>(&net.layers[i])) {
      views.push_back({bn->gamma.data(), bn->gamma.size(), i, false, true});
      views.push_back({bn->beta.data(), bn->beta.size(), i, false, false});
    }
  }
  return views;
}

}  // namespace nncert
