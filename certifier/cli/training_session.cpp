#include "certifier/cli/training_session.hpp"

#include "certifier/cli/progress.hpp"
#include "certifier/core/digest.hpp"
#include "formats/column_spec.hpp"
#include "formats/dataset.hpp"
#include "certifier/core/error.hpp"

#include <cmath>
#include <iomanip>
#include <memory>
#include <sstream>
#include <thread>

namespace nncert::cli {

void add_training_options(CLI::App* sub, TrainingOptions& o, const std::string& epochs_flag) {
  sub->add_option(epochs_flag, o.epochs, "Epochs of training")->capture_default_str();
  sub->add_option("--batch", o.batch, "Mini-batch size")->capture_default_str();
  sub->add_option("--lr", o.lr, "Adam learning rate")->capture_default_str();
  sub->add_option("--beta1", o.beta1, "Adam beta1")->capture_default_str();
  sub->add_option("--beta2", o.beta2, "Adam beta2")->capture_default_str();
  sub->add_option("--adam-eps", o.adam_eps, "Adam epsilon")->capture_default_str();
  sub->add_option("--weight-decay", o.weight_decay, "L2 penalty on Dense weights")->capture_default_str();
  sub->add_option("--val-split", o.val_split, "Fraction of the data held out for validation")->capture_default_str();
  sub->add_option("--patience", o.patience, "Early stopping after this many epochs without better validation loss (0 = off)")
      ->capture_default_str();
  sub->add_option("--schedule", o.schedule, "Learning-rate schedule")
      ->check(CLI::IsMember({"constant", "step", "cosine"}))
      ->capture_default_str();
  sub->add_option("--step-size", o.step_size, "Step schedule: epochs between decays (0 = epochs / 3)");
  sub->add_option("--step-gamma", o.step_gamma, "Step schedule: decay factor")->capture_default_str();
  sub->add_option("--class-weights", o.class_weights, "Cross-entropy class weights: balanced, or w0,w1,...");
  sub->add_option("--loss", o.loss, "Loss: ce (softmax cross-entropy) or mse")
      ->check(CLI::IsMember({"ce", "mse"}))
      ->capture_default_str();
  sub->add_option("--slim-l1", o.slim_l1, "L1 penalty on BatchNorm gammas (network slimming)")->capture_default_str();
  sub->add_option("--bn-momentum", o.bn_momentum, "BatchNorm running-statistics momentum")->capture_default_str();
  sub->add_flag("--stop-from-initial", o.stop_from_initial,
               "Early stopping as in the CEGIS paper: the untrained network's validation loss is the first best "
               "(it is returned when no epoch beats it), stop after patience + 1 epochs without improvement");
  sub->add_option("--threads", o.threads, "Threads for the matrix work (0 = every core; 1 is faster on a busy machine)")
      ->capture_default_str();
}

TrainConfig make_config(const TrainingOptions& o, const Dataset& data, std::uint64_t seed) {
  if (o.epochs <= 0) throw InputError("--epochs", std::to_string(o.epochs), "expected a positive number of epochs");
  if (o.batch <= 0) throw InputError("--batch", std::to_string(o.batch), "expected a positive batch size");
  if (o.patience < 0) throw InputError("--patience", std::to_string(o.patience), "expected a non-negative number");
  if (o.step_size < 0) throw InputError("--step-size", std::to_string(o.step_size), "expected a non-negative number");
  if (o.threads < 0) throw InputError("--threads", std::to_string(o.threads), "expected a non-negative number");
  if (!(o.bn_momentum >= 0 && o.bn_momentum <= 1))
    throw InputError("--bn-momentum", std::to_string(o.bn_momentum), "expected a value in [0, 1]");
  if (!(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1) || !(o.adam_eps > 0))
    throw InputError("--beta1/--beta2/--adam-eps", "value", "expected betas in [0, 1) and a positive epsilon");
  TrainConfig c;
  c.epochs = static_cast<std::size_t>(o.epochs);
  c.batch = static_cast<std::size_t>(o.batch);
  c.seed = seed;
  c.adam = {o.lr, o.beta1, o.beta2, o.adam_eps};
  c.weight_decay = o.weight_decay;
  c.slim_l1 = o.slim_l1;
  c.validation_split = o.val_split;
  c.patience = static_cast<std::size_t>(o.patience);
  c.schedule = o.schedule == "step" ? Schedule::Step : o.schedule == "cosine" ? Schedule::Cosine : Schedule::Constant;
  c.step_size = static_cast<std::size_t>(o.step_size);
  c.step_gamma = o.step_gamma;
  c.loss = o.loss == "mse" ? LossKind::MeanSquaredError : LossKind::CrossEntropy;
  c.bn_momentum = o.bn_momentum;
  c.initial_baseline = o.stop_from_initial;
  if (!o.class_weights.empty() && o.class_weights != "none") {
    if (data.labels.empty()) throw InputError("--class-weights", o.class_weights, "needs a classification dataset");
    int classes = data.num_classes;
    for (int y : data.labels) classes = std::max(classes, y + 1);
    c.class_weights = parse_class_weights(o.class_weights, data.labels, classes);
  }
  return c;
}

nlohmann::json config_json(const TrainConfig& c) {
  nlohmann::json j{{"epochs", c.epochs},
                   {"batch", c.batch},
                   {"seed", c.seed},
                   {"optimizer", "adam"},
                   {"lr", c.adam.lr},
                   {"beta1", c.adam.beta1},
                   {"beta2", c.adam.beta2},
                   {"eps", c.adam.eps},
                   {"weight_decay", c.weight_decay},
                   {"slim_l1", c.slim_l1},
                   {"val_split", c.validation_split},
                   {"patience", c.patience},
                   {"schedule", to_string(c.schedule)},
                   {"loss", to_string(c.loss)},
                   {"bn_momentum", c.bn_momentum},
                   {"stop_from_initial", c.initial_baseline}};
  if (c.schedule == Schedule::Step) {
    j["step_size"] = c.step_size;
    j["step_gamma"] = c.step_gamma;
  }
  if (c.class_weights.size())
    j["class_weights"] = std::vector<double>(c.class_weights.data(), c.class_weights.data() + c.class_weights.size());
  return j;
}

TrainResult run_training(const Network& initial, const Dataset& data, const TrainConfig& config,
                         const std::vector<WeightMask>& masks, const TrainingOptions& o, const Globals& globals,
                         nlohmann::json& doc, const Dataset* validation) {
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Eigen::setNbThreads(threads);
  std::ostream& text = human_out(globals);
  std::unique_ptr<ProgressBar> bar;
  std::size_t epoch = 0;
  TrainHooks hooks;
  hooks.on_batch = [&](std::size_t done, std::size_t total) {
    if (!bar)
      bar = std::make_unique<ProgressBar>("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config.epochs),
                                          total, !globals.json);
    bar->update(done);
  };
  const bool classify = config.loss == LossKind::CrossEntropy;
  hooks.on_epoch = [&](const EpochStats& s) {
    bar.reset();
    epoch = s.epoch;
    std::ostringstream line;
    line << std::fixed << std::setprecision(4) << "epoch " << s.epoch << "/" << config.epochs << "  loss " << s.train_loss;
    if (classify) line << "  acc " << s.train_accuracy;
    if (s.val_loss) line << "  val_loss " << *s.val_loss;
    if (s.val_accuracy) line << "  val_acc " << *s.val_accuracy;
    line << std::setprecision(2) << "  lr " << std::defaultfloat << s.lr << std::fixed << "  " << s.seconds << " s\n";
    text << line.str() << std::flush;
  };
  TrainResult r = train(initial, data, validation, config, masks, hooks);
  nlohmann::json history = nlohmann::json::array();
  for (const EpochStats& s : r.history) {
    nlohmann::json e{{"epoch", s.epoch}, {"lr", s.lr}, {"loss", s.train_loss}, {"seconds", s.seconds}};
    if (classify) e["accuracy"] = s.train_accuracy;
    if (s.val_loss) e["val_loss"] = *s.val_loss;
    if (s.val_accuracy) e["val_accuracy"] = *s.val_accuracy;
    history.push_back(e);
  }
  doc["history"] = history;
  doc["training"] = {{"config", config_json(config)}, {"threads", threads}, {"best_epoch", r.best_epoch},
                     {"stopped_early", r.stopped_early}, {"epochs_run", r.history.size()}};
  if (r.initial_val_loss) doc["training"]["initial_val_loss"] = *r.initial_val_loss;
  if (r.stopped_early) text << "early stop: best epoch " << r.best_epoch << "\n";
  if (r.initial_val_loss && r.best_epoch == 0) text << "no epoch beat the untrained network: it is the result\n";
  return r;
}

nlohmann::json evaluation_json(const Network& net, const Dataset& data, const TrainConfig& config,
                               const std::string& what, std::ostream& text) {
  const Evaluation e = evaluate_dataset(net, data, config);
  nlohmann::json j{{"data", data.name}, {"samples", data.size()}, {"loss", e.loss}};
  const bool mse = config.loss == LossKind::MeanSquaredError;
  if (mse) j["mse"] = e.loss;
  text << std::fixed << std::setprecision(mse ? 5 : 4) << what << " (" << data.name << ", " << data.size()
       << " samples): " << (mse ? "mse " : "loss ") << e.loss;
  if (config.loss == LossKind::CrossEntropy || !data.labels.empty()) {
    j["accuracy"] = e.accuracy;
    nlohmann::json per_class = nlohmann::json::array();
    for (double a : e.per_class_accuracy) per_class.push_back(std::isnan(a) ? nlohmann::json(nullptr) : nlohmann::json(a));
    j["per_class_accuracy"] = per_class;
    text << "  accuracy " << e.accuracy << "\n  per class:";
    for (std::size_t c = 0; c < e.per_class_accuracy.size(); ++c)
      if (!std::isnan(e.per_class_accuracy[c])) text << " " << c << ":" << std::setprecision(3) << e.per_class_accuracy[c];
  }
  text << "\n";
  text.unsetf(std::ios::fixed);
  return j;
}

std::optional<Dataset> test_split_for(const std::string& spec) {
  if (spec == "fashion-mnist" || spec == "fashion-mnist-train") return load_dataset("fashion-mnist", "test");
  return std::nullopt;
}

TrainingData load_training_data(const DataSources& sources, std::uint64_t seed) {
  TrainingData d;
  if (sources.columns.empty()) {
    d.train = load_dataset(sources.data, "train");
    d.test = sources.test_data.empty() ? test_split_for(sources.data)
                                       : std::optional<Dataset>(load_dataset(sources.test_data, "test"));
    return d;
  }
  const ColumnSpec spec = load_column_spec(sources.columns);
  DataSplit split = load_csv_split(sources.data, spec, seed);
  d.train = std::move(split.train);
  if (split.validation.size() > 0) d.validation = std::move(split.validation);
  if (split.test.size() > 0 && !sources.test_data.empty())
    throw InputError("--test-data", sources.test_data,
                     "expected no test data: the column spec " + sources.columns + " has a test part");
  if (split.test.size() > 0) d.test = std::move(split.test);
  if (!sources.test_data.empty()) d.test = load_csv_columns(sources.test_data, spec);
  return d;
}

}  // namespace nncert::cli
