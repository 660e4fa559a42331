// Mini-batch training of a float Network with Adam: shuffling by seed, validation split, early
// stopping on validation loss, step/cosine learning-rate schedules, BatchNorm train/eval modes,
// L2 weight decay, L1 on BatchNorm gammas (network slimming, Liu et al. ICCV'17 §3.2) and fixed
// weight masks (pruning fine-tune, Han et al. NIPS'15). The NeVer 2.0 training step, natively.
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/train/adam.hpp"
#include "certifier/train/layer_stack.hpp"
#include "certifier/train/losses.hpp"
#include "formats/dataset.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nncert {

enum class Schedule { Constant, Step, Cosine };

struct TrainConfig {
  std::size_t epochs = 10;
  std::size_t batch = 64;
  std::uint64_t seed = 0;  // shuffling and the validation split
  AdamConfig adam;
  double weight_decay = 0;      // L2 on Dense weights, added to the gradient (PyTorch Adam's weight_decay)
  double slim_l1 = 0;           // L1 penalty on BatchNorm gammas (subgradient sign(gamma))
  double validation_split = 0;  // fraction of the data held out (0 = none)
  std::size_t patience = 0;     // early stopping after this many epochs without improvement of the
                                // validation loss (training loss without a split); 0 = off
  Schedule schedule = Schedule::Constant;
  std::size_t step_size = 0;    // Step: epochs between decays (0 = max(1, epochs / 3))
  double step_gamma = 0.1;      // Step: factor per decay
  LossKind loss = LossKind::CrossEntropy;
  Vector class_weights;         // CrossEntropy: one per class, empty = uniform
  double bn_momentum = 0.1;     // running statistics, PyTorch convention
  // Early stopping as the CEGIS paper's code does it (Zavatteri et al. ECAI'24; MANNERS-DB
  // README): the best-so-far starts at the untrained network's validation loss, so the initial
  // network is returned when no epoch beats it; the best network is always the one returned;
  // training stops once the non-improving-epoch counter exceeds `patience` (patience + 1 such
  // epochs). Needs a validation set. Off: the best starts at +inf, training stops after
  // `patience` non-improving epochs, and the last network is returned when patience is 0.
  bool initial_baseline = false;
};

// A 0/1 mask on the weight matrix of the Dense layer `layer`: masked weights stay zero.
struct WeightMask {
  std::size_t layer;
  Matrix mask;
};

struct EpochStats {
  std::size_t epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0, train_accuracy = 0;  // running averages over the epoch's batches (train mode)
  std::optional<double> val_loss, val_accuracy;  // eval mode, when there is a validation set
  std::optional<double> val_penalty;             // TrainHooks::validation_penalty, when set
  double seconds = 0;
};

struct TrainHooks {
  std::function<void(const EpochStats&)> on_epoch;                     // after every epoch
  std::function<void(std::size_t done, std::size_t total)> on_batch;  // batches of the current epoch
  // Quantization-aware training: forward and backward run on transform(master); the resulting
  // gradient is applied to the master weights unchanged (straight-through estimator). The
  // transform must keep the layer structure and shapes.
  std::function<Network(const Network&)> transform;
  // An extra term of the training loss (e.g. a property penalty, repair/property_loss): given the
  // network the batch's forward pass ran on, adds the term's gradient to `grads` (shaped like it)
  // and returns its value. Called once per batch, after the data loss's backward pass.
  std::function<double(const Network& net, Network& grads)> penalty;
  // Added to the validation loss where early stopping compares epochs (and the untrained network),
  // so that the best epoch is the best at both; EpochStats::val_penalty reports it.
  std::function<double(const Network&)> validation_penalty;
};

struct TrainResult {
  Network network;  // the best epoch's weights when early stopping is on, else the last
  std::vector<EpochStats> history;
  std::size_t best_epoch = 0;  // 0 with initial_baseline: no epoch beat the untrained network
  bool stopped_early = false;
  std::optional<double> initial_val_loss;  // with initial_baseline: the untrained network's
};

// Checks that `net` and `data` fit together and the config is usable; throws InputError naming
// the problem (arch vs. features/classes, empty data, labels out of range, NaN, batch/epochs <= 0).
void check_training_input(const Network& net, const Dataset& data, const TrainConfig& config);

// The state one optimisation run carries from batch to batch.
struct Optimizer {
  Adam adam;
  Network grads;  // shaped like the network
  Tape tape;
  Matrix outputs;  // of the last batch (train mode)
  Optimizer(const AdamConfig& config, const Network& net);
};

// One step on one batch, exactly what train() does per batch: forward in train mode (on
// hooks.transform(net) when set), loss, backward, running statistics, L2 / L1-gamma terms,
// masks, Adam at rate `lr`. `labels` for cross-entropy, `targets` (outputs x N) for MSE.
// Returns the batch loss (without the regularisers).
double train_step(Network& net, Optimizer& opt, const Matrix& X, const std::vector<int>& labels, const Matrix& targets,
                  const TrainConfig& config, double lr, const std::vector<WeightMask>& masks = {},
                  const TrainHooks& hooks = {});

TrainResult train(const Network& initial, const Dataset& data, const TrainConfig& config,
                  const std::vector<WeightMask>& masks = {}, const TrainHooks& hooks = {});
// The same with a held-out validation set given (e.g. a column spec's validation part) instead
// of config.validation_split, which must then be 0; nullptr = the overload above. Early stopping
// and EpochStats::val_loss use `validation`.
TrainResult train(const Network& initial, const Dataset& data, const Dataset* validation, const TrainConfig& config,
                  const std::vector<WeightMask>& masks = {}, const TrainHooks& hooks = {});

// Learning rate of epoch `epoch` (0-based) under the config's schedule.
double learning_rate(const TrainConfig& config, std::size_t epoch);

// Loss (without regularisers) and accuracy (classification; 0 for regression) of `net` in eval mode.
struct Evaluation {
  double loss = 0, accuracy = 0;
  std::vector<double> per_class_accuracy;  // classification only; NaN for classes without samples
};
Evaluation evaluate_dataset(const Network& net, const Dataset& data, const TrainConfig& config);

// Zeroes the masked weights.
void apply_masks(Network& net, const std::vector<WeightMask>& masks);

std::string to_string(Schedule schedule);
std::string to_string(LossKind loss);

}  // namespace nncert
