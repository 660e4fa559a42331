// `nncert prune weights MODEL --sparsity 0.7 --finetune E -o out.nnc` (Han et al. magnitude
// pruning with fixed masks) and `nncert prune slim MODEL --ratio 0.5 --finetune E -o out.nnc`
// (Liu et al. network slimming): prune, optionally fine-tune, report accuracy before and after.
#include "certifier/cli/command.hpp"

#include "certifier/cli/training_session.hpp"
#include "certifier/core/error.hpp"
#include "certifier/prune/slimming.hpp"
#include "certifier/prune/weight_pruning.hpp"
#include "formats/dataset.hpp"
#include "formats/model_file.hpp"

#include <iomanip>
#include <sstream>

namespace nncert::cli {

namespace {

struct PruneCliOptions {
  std::string model, data, columns, test_data, output;
  std::optional<double> sparsity, ratio, threshold;
  bool global = false, keep_output = false;
  long long finetune = 0;
  TrainingOptions training;
};

void add_common(CLI::App* sub, PruneCliOptions& o) {
  sub->add_option("model", o.model, "Model file (.nnc or .onnx)")->required();
  sub->add_option("-o,--output", o.output, "Output model (.nnc or .onnx)")->required();
  sub->add_option("--data", o.data, "Fine-tuning data (default: the dataset in the model's provenance)");
  sub->add_option("--columns", o.columns,
                  "Column spec (TOML) of a CSV regression dataset: fine-tune on its train part, early-stop on its "
                  "validation part, report its test part");
  sub->add_option("--test-data", o.test_data, "Data to report accuracy on (default: fashion-mnist's test split when trained on it)");
  add_training_options(sub, o.training, "--finetune");
  o.training.epochs = 0;  // --finetune defaults to no fine-tuning
}

nlohmann::json layer_table(const Network& net, std::ostream& text) {
  nlohmann::json layers = nlohmann::json::array();
  text << "  layer  neurons  nonzero/weights\n";
  for (std::size_t i = 0; i < net.layers.size(); ++i)
    if (const auto* d = std::get_if<Dense>(&net.layers[i])) {
      const auto nz = static_cast<std::size_t>((d->W.array() != 0).count());
      text << std::setw(7) << i << std::setw(9) << d->W.rows() << std::setw(9) << nz << "/" << d->W.size() << "\n";
      layers.push_back({{"layer", i}, {"neurons", d->W.rows()}, {"weights", d->W.size()}, {"nonzero_weights", nz}});
    }
  return layers;
}

int run_prune(const PruneCliOptions& o, bool slimming, const Globals& globals) {
  const Model input = load_model(o.model);
  const std::string data_spec = !o.data.empty() ? o.data : input.provenance.dataset;
  if (o.training.epochs < 0) throw InputError("--finetune", std::to_string(o.training.epochs), "expected E >= 0 epochs");
  if (o.training.epochs > 0 && data_spec.empty())
    throw InputError(o.model, "provenance", "names no dataset: give --data for fine-tuning");
  std::optional<Dataset> data, validation, test;
  if (!data_spec.empty() && (o.training.epochs > 0 || !o.columns.empty())) {
    TrainingData parts = load_training_data({data_spec, o.columns, o.test_data}, globals.seed);
    data = std::move(parts.train);
    data->raw.reset();  // integer pixels are for quantized networks: halve the peak memory
    validation = std::move(parts.validation);
    test = std::move(parts.test);
  } else if (!o.test_data.empty()) {
    test = load_dataset(o.test_data, "test");
  } else {
    test = test_split_for(data_spec);
  }
  TrainingOptions topt = o.training;
  topt.epochs = std::max<long long>(1, o.training.epochs);  // a valid config also serves evaluation
  const TrainConfig config = make_config(topt, data ? *data : Dataset{}, globals.seed);
  if (test && test->features() != input.network.input_size)
    throw InputError(test->name, "features", "has " + std::to_string(test->features()) + " features, the model expects " +
                                                 std::to_string(input.network.input_size));

  std::ostream& text = human_out(globals);
  std::ostringstream summary;
  nlohmann::json doc{{"command", slimming ? "prune slim" : "prune weights"}, {"model", o.model}, {"output", o.output}};
  summary << "before:\n";
  doc["before"] = {{"layers", layer_table(input.network, summary)},
                   {"hidden_neurons", hidden_neurons(input.network)},
                   {"nonzero_weights", nonzero_weights(input.network)}};
  if (test) doc["before"]["test"] = evaluation_json(input.network, *test, config, "  test", summary);

  Network pruned = input.network;
  std::vector<WeightMask> masks;
  nlohmann::json how;
  if (slimming) {
    SlimmingOptions so;
    so.ratio = o.ratio;
    so.threshold = o.threshold;
    std::vector<SlimmedLayer> report;
    pruned = slim(input.network, so, &report);
    how = {{"method", "network-slimming"}};
    if (o.ratio) how["ratio"] = *o.ratio;
    if (o.threshold) how["threshold"] = *o.threshold;
  } else {
    WeightPruningOptions wo;
    wo.sparsity = o.sparsity;
    wo.threshold = o.threshold;
    wo.global = o.global;
    wo.include_output = !o.keep_output;
    masks = prune_weights(pruned, wo);
    how = {{"method", "weight-magnitude"}, {"global", o.global}, {"include_output", !o.keep_output}};
    if (o.sparsity) how["sparsity"] = *o.sparsity;
    if (o.threshold) how["threshold"] = *o.threshold;
  }
  doc["pruning"] = how;
  summary << "after pruning:\n";
  doc["pruned"] = {{"layers", layer_table(pruned, summary)},
                   {"hidden_neurons", hidden_neurons(pruned)},
                   {"nonzero_weights", nonzero_weights(pruned)},
                   {"sparsity", weight_sparsity(pruned)}};
  if (test) doc["pruned"]["test"] = evaluation_json(pruned, *test, config, "  test", summary);

  Network result = pruned;
  if (o.training.epochs > 0) {
    text << "fine-tuning on " << data->name << " for " << o.training.epochs << " epochs\n";
    result = run_training(pruned, *data, config, masks, o.training, globals, doc, validation ? &*validation : nullptr).network;
    summary << "after fine-tuning:\n";
    doc["finetuned"] = {{"layers", layer_table(result, summary)},
                        {"hidden_neurons", hidden_neurons(result)},
                        {"nonzero_weights", nonzero_weights(result)},
                        {"sparsity", weight_sparsity(result)}};
    if (test) doc["finetuned"]["test"] = evaluation_json(result, *test, config, "  test", summary);
  }

  Model model;
  model.network = result;
  model.provenance = input.provenance;  // same data lineage; certificates no longer apply
  model.provenance.source = std::string(slimming ? "prune slim:" : "prune weights:") + o.model;
  nlohmann::json lineage{{"pruning", how}};
  if (!input.provenance.training_config.empty()) {
    const auto base = nlohmann::json::parse(input.provenance.training_config, nullptr, false);
    lineage["base"] = base.is_discarded() ? nlohmann::json(input.provenance.training_config) : base;
  }
  if (o.training.epochs > 0) {
    lineage["finetune"] = config_json(config);
    lineage["finetune_data"] = data_spec;
    if (!o.columns.empty()) lineage["finetune_columns"] = o.columns;
  }
  model.provenance.training_config = lineage.dump();
  std::string dropped;
  save_model(model, o.output, &dropped);
  summary << "saved " << o.output << (dropped.empty() ? "" : " (without " + dropped + ")") << "\n";
  emit(globals, doc, summary.str());
  return 0;
}

}  // namespace

Command add_prune(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("prune", "Prune a model: magnitude weight pruning or network slimming");
  sub->require_subcommand(1);
  auto w = std::make_shared<PruneCliOptions>();
  auto* weights = sub->add_subcommand("weights", "Zero the smallest weights (Han et al.), keep them zero while fine-tuning");
  add_common(weights, *w);
  auto* ws = weights->add_option("--sparsity", w->sparsity, "Fraction of weights to zero, in [0, 1)");
  auto* wt = weights->add_option("--threshold", w->threshold, "Zero every |w| below this");
  ws->excludes(wt);
  weights->add_flag("--global", w->global, "One magnitude ranking over all layers (default: per layer)");
  weights->add_flag("--keep-output", w->keep_output, "Do not prune the output layer");

  auto s = std::make_shared<PruneCliOptions>();
  auto* slim_cmd = sub->add_subcommand("slim", "Remove the neurons with the smallest BatchNorm |gamma| (Liu et al.)");
  add_common(slim_cmd, *s);
  auto* sr = slim_cmd->add_option("--ratio", s->ratio, "Fraction of hidden neurons to remove, in [0, 1)");
  auto* st = slim_cmd->add_option("--threshold", s->threshold, "Remove every neuron with |gamma| <= this");
  sr->excludes(st);
  return {sub, [w, s, weights, &globals] {
            if (weights->parsed()) return run_prune(*w, false, globals);
            return run_prune(*s, true, globals);
          }};
}

}  // namespace nncert::cli
