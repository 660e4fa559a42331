#include "certifier/train/trainer.hpp"

#include "certifier/core/error.hpp"
#include "certifier/train/layer_stack.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

namespace nncert {

namespace {

// Fisher-Yates on mt19937_64 with our own index draw: std::shuffle's algorithm is
// implementation-defined, and the seed must name one order everywhere.
void shuffle(std::vector<std::size_t>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

bool has_batch_norm(const Network& net) {
  for (const Layer& l : net.layers)
    if (std::holds_alternative<BatchNorm>(l)) return true;
  return false;
}

// Columns `idx[first, first + count)` of the data as one batch.
struct Batch {
  Matrix X;
  std::vector<int> labels;
  Matrix targets;
};

Batch gather(const Dataset& data, const Matrix& onehot_or_targets, bool regression, const std::vector<std::size_t>& idx,
             std::size_t first, std::size_t count) {
  Batch b;
  const auto n = static_cast<Eigen::Index>(count);
  b.X.resize(data.X.rows(), n);
  for (Eigen::Index j = 0; j < n; ++j) b.X.col(j) = data.X.col(static_cast<Eigen::Index>(idx[first + static_cast<std::size_t>(j)]));
  if (regression) {
    b.targets.resize(onehot_or_targets.rows(), n);
    for (Eigen::Index j = 0; j < n; ++j)
      b.targets.col(j) = onehot_or_targets.col(static_cast<Eigen::Index>(idx[first + static_cast<std::size_t>(j)]));
  } else {
    b.labels.resize(count);
    for (std::size_t j = 0; j < count; ++j) b.labels[j] = data.labels[idx[first + j]];
  }
  return b;
}

// MSE needs real targets: the dataset's, or one-hot labels for a classification dataset.
Matrix regression_targets(const Dataset& data, std::size_t outputs) {
  if (data.targets.size() != 0) return data.targets;
  Matrix t = Matrix::Zero(static_cast<Eigen::Index>(outputs), static_cast<Eigen::Index>(data.size()));
  for (std::size_t i = 0; i < data.labels.size(); ++i) t(data.labels[i], static_cast<Eigen::Index>(i)) = 1.0;
  return t;
}

std::size_t count_correct(const Matrix& Y, const std::vector<int>& labels) {
  std::size_t correct = 0;
  for (Eigen::Index i = 0; i < Y.cols(); ++i)
    correct += argmax_first(Vector(Y.col(i))) == labels[static_cast<std::size_t>(i)];
  return correct;
}

Dataset take(const Dataset& data, const std::vector<std::size_t>& idx) {
  Dataset out;
  out.name = data.name;
  out.num_classes = data.num_classes;
  out.X.resize(data.X.rows(), static_cast<Eigen::Index>(idx.size()));
  if (data.targets.size()) out.targets.resize(data.targets.rows(), static_cast<Eigen::Index>(idx.size()));
  for (std::size_t j = 0; j < idx.size(); ++j) {
    const auto src = static_cast<Eigen::Index>(idx[j]), dst = static_cast<Eigen::Index>(j);
    out.X.col(dst) = data.X.col(src);
    if (data.targets.size()) out.targets.col(dst) = data.targets.col(src);
    if (!data.labels.empty()) out.labels.push_back(data.labels[idx[j]]);
  }
  return out;
}

}  // namespace

std::string to_string(Schedule schedule) {
  switch (schedule) {
    case Schedule::Constant: return "constant";
    case Schedule::Step: return "step";
    case Schedule::Cosine: return "cosine";
  }
  return "?";
}

std::string to_string(LossKind loss) { return loss == LossKind::CrossEntropy ? "ce" : "mse"; }

void check_training_input(const Network& net, const Dataset& data, const TrainConfig& config) {
  const std::string name = data.name.empty() ? "data" : data.name;
  if (config.epochs == 0) throw InputError("--epochs", "0", "expected a positive number of epochs");
  if (config.batch == 0) throw InputError("--batch", "0", "expected a positive batch size");
  if (!(config.adam.lr > 0) || !std::isfinite(config.adam.lr))
    throw InputError("--lr", std::to_string(config.adam.lr), "expected a positive finite learning rate");
  if (!(config.validation_split >= 0 && config.validation_split < 1))
    throw InputError("--val-split", std::to_string(config.validation_split), "expected a fraction in [0, 1)");
  if (!(config.weight_decay >= 0) || !(config.slim_l1 >= 0))
    throw InputError("--weight-decay/--slim-l1", "value", "expected non-negative penalties");
  if (const std::string err = check_network(net); !err.empty()) throw InputError("network", "structure", err);
  if (data.size() == 0) throw InputError(name, "samples", "the dataset is empty");
  if (data.features() != net.input_size)
    throw InputError(name, "features",
                     "has " + std::to_string(data.features()) + " features per sample, the architecture expects " +
                         std::to_string(net.input_size) + " inputs");
  if (!data.X.allFinite()) {
    Eigen::Index r = 0, c = 0;
    (!data.X.array().isFinite()).cast<int>().maxCoeff(&r, &c);
    throw InputError(name, "sample " + std::to_string(c) + " feature " + std::to_string(r), "value is NaN or Inf");
  }
  const std::size_t outputs = output_size(net);
  const bool regression_data = data.labels.empty();
  if (config.loss == LossKind::CrossEntropy && regression_data)
    throw InputError(name, "labels", "cross-entropy needs class labels (use --loss mse for regression targets)");
  if (regression_data) {
    if (static_cast<std::size_t>(data.targets.rows()) != outputs || static_cast<std::size_t>(data.targets.cols()) != data.size())
      throw InputError(name, "targets",
                       "has " + std::to_string(data.targets.rows()) + " target columns, the architecture has " +
                           std::to_string(outputs) + " outputs");
    if (!data.targets.allFinite()) throw InputError(name, "targets", "contain NaN or Inf");
  } else {
    if (data.labels.size() != data.size())
      throw InputError(name, "labels", "has " + std::to_string(data.labels.size()) + " labels for " +
                                           std::to_string(data.size()) + " samples");
    int max_label = -1;
    for (std::size_t i = 0; i < data.labels.size(); ++i) {
      if (data.labels[i] < 0 || static_cast<std::size_t>(data.labels[i]) >= outputs)
        throw InputError(name, "sample " + std::to_string(i),
                         "label " + std::to_string(data.labels[i]) + " is outside 0.." + std::to_string(outputs - 1) +
                             " (the architecture has " + std::to_string(outputs) + " outputs)");
      max_label = std::max(max_label, data.labels[i]);
    }
    const std::size_t classes = data.num_classes > 0 ? static_cast<std::size_t>(data.num_classes)
                                                     : static_cast<std::size_t>(max_label + 1);
    if (classes != outputs)
      throw InputError(name, "classes",
                       "has " + std::to_string(classes) + " classes, the architecture has " + std::to_string(outputs) +
                           " outputs");
    if (config.class_weights.size() != 0 && static_cast<std::size_t>(config.class_weights.size()) != outputs)
      throw InputError("--class-weights", "count", "expected one weight per class");
  }
  const auto held_out = static_cast<std::size_t>(std::floor(config.validation_split * static_cast<double>(data.size())));
  if (held_out >= data.size()) throw InputError("--val-split", "value", "leaves no training samples");
}

double learning_rate(const TrainConfig& config, std::size_t epoch) {
  const double lr = config.adam.lr;
  switch (config.schedule) {
    case Schedule::Constant: return lr;
    case Schedule::Step: {
      const std::size_t step = config.step_size ? config.step_size : std::max<std::size_t>(1, config.epochs / 3);
      return lr * std::pow(config.step_gamma, static_cast<double>(epoch / step));
    }
    case Schedule::Cosine:
      return 0.5 * lr * (1.0 + std::cos(std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(config.epochs)));
  }
  return lr;
}

void apply_masks(Network& net, const std::vector<WeightMask>& masks) {
  for (const WeightMask& m : masks) {
    auto* d = m.layer < net.layers.size() ? std::get_if<Dense>(&net.layers[m.layer]) : nullptr;
    if (!d || d->W.rows() != m.mask.rows() || d->W.cols() != m.mask.cols())
      throw InternalError("weight mask for layer " + std::to_string(m.layer) + " does not match the network");
    d->W.array() *= m.mask.array();
  }
}

Evaluation evaluate_dataset(const Network& net, const Dataset& data, const TrainConfig& config) {
  Evaluation e;
  const std::size_t n = data.size();
  if (n == 0) return e;
  const std::size_t outputs = output_size(net);
  const bool regression = config.loss == LossKind::MeanSquaredError;
  const Matrix targets = regression ? regression_targets(data, outputs) : Matrix();
  std::vector<std::size_t> correct(outputs, 0), total(outputs, 0);
  double loss_sum = 0, weight_sum = 0;
  constexpr std::size_t kChunk = 4096;
  for (std::size_t start = 0; start < n; start += kChunk) {
    const auto count = static_cast<Eigen::Index>(std::min(kChunk, n - start));
    const auto s = static_cast<Eigen::Index>(start);
    const Matrix Y = evaluate(net, Matrix(data.X.middleCols(s, count)));
    if (regression) {
      loss_sum += mean_squared_error(Y, targets.middleCols(s, count)).value * static_cast<double>(Y.size());
      weight_sum += static_cast<double>(Y.size());
    } else {
      const std::vector<int> labels(data.labels.begin() + static_cast<std::ptrdiff_t>(start),
                                    data.labels.begin() + static_cast<std::ptrdiff_t>(start) + count);
      double w = static_cast<double>(count);
      if (config.class_weights.size()) {
        w = 0;
        for (int y : labels) w += config.class_weights[y];
      }
      loss_sum += cross_entropy(Y, labels, config.class_weights).value * w;
      weight_sum += w;
    }
    if (!data.labels.empty()) {
      for (Eigen::Index i = 0; i < count; ++i) {
        const auto y = static_cast<std::size_t>(data.labels[start + static_cast<std::size_t>(i)]);
        if (y >= outputs) continue;
        total[y] += 1;
        correct[y] += static_cast<std::size_t>(argmax_first(Vector(Y.col(i)))) == y;
      }
    }
  }
  e.loss = weight_sum > 0 ? loss_sum / weight_sum : 0;
  if (!data.labels.empty()) {
    std::size_t all = 0;
    for (std::size_t c = 0; c < outputs; ++c) {
      all += correct[c];
      e.per_class_accuracy.push_back(total[c] ? static_cast<double>(correct[c]) / static_cast<double>(total[c])
                                              : std::numeric_limits<double>::quiet_NaN());
    }
    e.accuracy = static_cast<double>(all) / static_cast<double>(n);
  }
  return e;
}

Optimizer::Optimizer(const AdamConfig& config, const Network& net) : adam(config, net), grads(zeros_like(net)) {}

double train_step(Network& net, Optimizer& opt, const Matrix& X, const std::vector<int>& labels, const Matrix& targets,
                  const TrainConfig& config, double lr, const std::vector<WeightMask>& masks, const TrainHooks& hooks) {
  const Network effective = hooks.transform ? hooks.transform(net) : Network();
  const Network& forward_net = hooks.transform ? effective : net;
  opt.outputs = forward(forward_net, X, true, opt.tape);
  const LossValue loss = config.loss == LossKind::MeanSquaredError
                             ? mean_squared_error(opt.outputs, targets)
                             : cross_entropy(opt.outputs, labels, config.class_weights);
  if (!std::isfinite(loss.value)) return loss.value;
  backward(forward_net, opt.tape, loss.grad, opt.grads);
  if (hooks.penalty) hooks.penalty(forward_net, opt.grads);
  update_running_stats(net, opt.tape, config.bn_momentum);
  // Regularisers and masks act on the gradient, as PyTorch's weight_decay does.
  const auto p = parameters(net);
  const auto g = parameters(opt.grads);
  for (std::size_t i = 0; i < p.size(); ++i) {
    auto gi = g[i].values();
    if (p[i].weights && config.weight_decay > 0) gi += config.weight_decay * p[i].values();
    if (p[i].gamma && config.slim_l1 > 0) gi += config.slim_l1 * p[i].values().sign();
    if (p[i].weights)
      for (const WeightMask& m : masks)
        if (m.layer == p[i].layer) {
          if (m.mask.size() != p[i].size) throw InternalError("weight mask does not match layer " + std::to_string(m.layer));
          gi *= Eigen::Map<const Eigen::ArrayXd>(m.mask.data(), p[i].size);
        }
  }
  opt.adam.step(net, opt.grads, lr);
  apply_masks(net, masks);
  return loss.value;
}

namespace {

// The rows one run trains on (`order`, reshuffled every epoch) and the set it validates on: the
// one given, or a seeded held-out part of the data (config.validation_split), or none.
struct TrainingRows {
  std::vector<std::size_t> order;
  std::optional<Dataset> held_out;
  const Dataset* validation = nullptr;
};

TrainingRows training_rows(const Dataset& data, const Dataset* validation, const TrainConfig& config,
                           std::mt19937_64& rng) {
  TrainingRows rows;
  rows.order.resize(data.size());
  for (std::size_t i = 0; i < rows.order.size(); ++i) rows.order[i] = i;
  rows.validation = validation;
  const auto held_out = static_cast<std::size_t>(std::floor(config.validation_split * static_cast<double>(data.size())));
  if (held_out > 0) {
    shuffle(rows.order, rng);
    const auto cut = rows.order.begin() + static_cast<std::ptrdiff_t>(held_out);
    rows.held_out = take(data, std::vector<std::size_t>(rows.order.begin(), cut));
    rows.order.erase(rows.order.begin(), cut);
    rows.validation = &*rows.held_out;
  }
  return rows;
}

// Best-so-far bookkeeping and the stopping decision (TrainConfig::patience, initial_baseline).
class EarlyStopping {
 public:
  EarlyStopping(const TrainConfig& config, const Network& initial, const Dataset* validation, const TrainHooks& hooks,
                TrainResult& result)
      : config_(config), keep_best_(config.patience > 0 || config.initial_baseline), best_net_(initial) {
    if (!config.initial_baseline) return;
    best_ = evaluate_dataset(initial, *validation, config).loss +
            (hooks.validation_penalty ? hooks.validation_penalty(initial) : 0.0);
    result.initial_val_loss = best_;
  }

  // Returns true when training should stop after this epoch.
  bool observe(const EpochStats& s, const Network& net, TrainResult& result) {
    const double monitored = (s.val_loss ? *s.val_loss : s.train_loss) + s.val_penalty.value_or(0.0);
    if (monitored < best_) {
      best_ = monitored;
      since_best_ = 0;
      result.best_epoch = s.epoch;
      if (keep_best_) best_net_ = net;
      return false;
    }
    if (config_.patience == 0) return false;
    ++since_best_;
    return config_.initial_baseline ? since_best_ > config_.patience : since_best_ >= config_.patience;
  }

  Network result(Network&& last) { return keep_best_ ? std::move(best_net_) : std::move(last); }

 private:
  const TrainConfig& config_;
  bool keep_best_;
  Network best_net_;
  double best_ = std::numeric_limits<double>::infinity();
  std::size_t since_best_ = 0;
};

// One epoch over `order` (shuffled first): the batches, then the validation loss.
EpochStats run_epoch(Network& net, Optimizer& opt, const Dataset& data, const Matrix& targets, TrainingRows& rows,
                     std::mt19937_64& rng, std::size_t epoch, const TrainConfig& config,
                     const std::vector<WeightMask>& masks, const TrainHooks& hooks) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool regression = config.loss == LossKind::MeanSquaredError;
  const bool bn = has_batch_norm(net);
  const std::vector<std::size_t>& order = rows.order;
  const std::size_t batches = (order.size() + config.batch - 1) / config.batch;
  const double lr = learning_rate(config, epoch);
  shuffle(rows.order, rng);
  double loss_sum = 0;
  std::size_t seen = 0, correct = 0;
  for (std::size_t b = 0; b < batches; ++b) {
    const std::size_t first = b * config.batch;
    const std::size_t count = std::min(config.batch, order.size() - first);
    // Batch statistics of a single sample are degenerate (PyTorch refuses them): skip it.
    if (bn && count < 2) continue;
    const Batch batch = gather(data, targets, regression, order, first, count);
    const double loss = train_step(net, opt, batch.X, batch.labels, batch.targets, config, lr, masks, hooks);
    if (!std::isfinite(loss))
      throw InputError("training", "epoch " + std::to_string(epoch + 1) + " batch " + std::to_string(b + 1),
                       "the loss is not finite (lower --lr?)");
    loss_sum += loss * static_cast<double>(count);
    seen += count;
    if (!regression) correct += count_correct(opt.outputs, batch.labels);
    if (hooks.on_batch) hooks.on_batch(b + 1, batches);
  }
  EpochStats s;
  s.epoch = epoch + 1;
  s.lr = lr;
  s.train_loss = seen ? loss_sum / static_cast<double>(seen) : 0;
  s.train_accuracy = seen && !regression ? static_cast<double>(correct) / static_cast<double>(seen) : 0;
  if (rows.validation) {
    const Evaluation e = evaluate_dataset(net, *rows.validation, config);
    s.val_loss = e.loss;
    if (!regression) s.val_accuracy = e.accuracy;
  }
  if (hooks.validation_penalty) s.val_penalty = hooks.validation_penalty(net);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

}  // namespace

TrainResult train(const Network& initial, const Dataset& data, const TrainConfig& config,
                  const std::vector<WeightMask>& masks, const TrainHooks& hooks) {
  return train(initial, data, nullptr, config, masks, hooks);
}

TrainResult train(const Network& initial, const Dataset& data, const Dataset* validation, const TrainConfig& config,
                  const std::vector<WeightMask>& masks, const TrainHooks& hooks) {
  check_training_input(initial, data, config);
  if (validation) {
    if (config.validation_split > 0)
      throw InputError("--val-split", std::to_string(config.validation_split),
                       "expected no validation split when a validation set is given");
    if (validation->size() > 0) check_training_input(initial, *validation, config);
  }
  const Matrix targets = config.loss == LossKind::MeanSquaredError ? regression_targets(data, output_size(initial)) : Matrix();
  std::mt19937_64 rng(config.seed ^ 0x6e6e636572742d74ULL);
  TrainingRows rows = training_rows(data, validation && validation->size() > 0 ? validation : nullptr, config, rng);
  if (config.initial_baseline && !rows.validation)
    throw InputError("training", "validation", "early stopping from the untrained network needs a validation set");

  TrainResult result;
  Network net = initial;
  apply_masks(net, masks);
  Optimizer opt(config.adam, net);
  EarlyStopping stopping(config, net, rows.validation, hooks, result);
  for (std::size_t epoch = 0; epoch < config.epochs; ++epoch) {
    const EpochStats s = run_epoch(net, opt, data, targets, rows, rng, epoch, config, masks, hooks);
    result.history.push_back(s);
    if (hooks.on_epoch) hooks.on_epoch(s);
    if (stopping.observe(s, net, result)) {
      result.stopped_early = true;
      break;
    }
  }
  result.network = stopping.result(std::move(net));
  return result;
}

}  // namespace nncert
