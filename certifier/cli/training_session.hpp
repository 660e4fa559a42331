// What `nncert train` and the fine-tuning of `nncert prune` share: the training options, the
// per-epoch progress bar and history, and the provenance recorded in the saved model.
#pragma once

#include "certifier/cli/command.hpp"
#include "certifier/core/model.hpp"
#include "certifier/train/trainer.hpp"

#include <ostream>
#include <string>

namespace nncert::cli {

struct TrainingOptions {
  long long epochs = 10, batch = 64, patience = 0, step_size = 0;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-7;
  double weight_decay = 0, val_split = 0, slim_l1 = 0, bn_momentum = 0.1, step_gamma = 0.1;
  std::string schedule = "constant", class_weights, loss = "ce";
  int threads = 0;  // 0 = every core
  bool stop_from_initial = false;  // TrainConfig::initial_baseline
};

// Registers the options; `epochs_flag` is "--epochs" for train and "--finetune" for prune.
void add_training_options(CLI::App* sub, TrainingOptions& o, const std::string& epochs_flag);

// Validates the options against the data (InputError on non-positive epochs/batch etc.).
TrainConfig make_config(const TrainingOptions& o, const Dataset& data, std::uint64_t seed);

// Trains with a progress bar (TTY, not --json) and one human line per epoch; fills
// doc["history"] and doc["training"]. Sets the thread count first. `validation`: a held-out set
// given (a column spec's validation part) instead of --val-split; nullptr = none.
TrainResult run_training(const Network& initial, const Dataset& data, const TrainConfig& config,
                         const std::vector<WeightMask>& masks, const TrainingOptions& o, const Globals& globals,
                         nlohmann::json& doc, const Dataset* validation = nullptr);

nlohmann::json config_json(const TrainConfig& config);

// Evaluation of `net` on `data` as JSON (loss, accuracy, per-class accuracy; mse for the MSE
// loss) plus a human line.
nlohmann::json evaluation_json(const Network& net, const Dataset& data, const TrainConfig& config,
                               const std::string& what, std::ostream& text);

// Where training data comes from: --data, an optional --columns spec for a CSV regression
// dataset (its split gives validation and test parts), and an optional --test-data.
struct DataSources {
  std::string data, columns, test_data;
};

// What a run trains, validates and tests on.
struct TrainingData {
  Dataset train;
  std::optional<Dataset> validation, test;
};

// Loads the sources (InputError on a bad file or a test part given twice); `seed` shuffles a
// column spec's split.
TrainingData load_training_data(const DataSources& sources, std::uint64_t seed);

// The held-out test split for a --data spec when it names one ("fashion-mnist" -> its test
// split), else nullopt.
std::optional<Dataset> test_split_for(const std::string& spec);

}  // namespace nncert::cli
