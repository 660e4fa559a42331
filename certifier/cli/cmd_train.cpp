// `nncert train --arch 784:64:32:16:10 --bn --data fashion-mnist --epochs N -o net.nnc`: builds
// an MLP (He init by --seed), trains it with Adam and saves it with its provenance. With
// `--columns SPEC` the CSV is read by a column spec whose split gives the validation set (early
// stopping) and the test set (test MSE in the report).
#include "certifier/cli/command.hpp"

#include "certifier/cli/training_session.hpp"
#include "certifier/core/error.hpp"
#include "certifier/train/architecture.hpp"
#include "formats/column_spec.hpp"
#include "formats/dataset.hpp"
#include "formats/dataset_digest.hpp"
#include "formats/model_file.hpp"

#include <sstream>

namespace nncert::cli {

namespace {

struct TrainCliOptions {
  std::string arch, data, columns, test_data, output;
  bool bn = false, fold = false;
  TrainingOptions training;
};

void check_output_path(const std::string& path) {
  const auto ends = [&](const std::string& ext) {
    return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (!ends(".nnc") && !ends(".onnx"))
    throw InputError(path, "output", "expected a .nnc or .onnx file name");
}

// The trained network with its provenance (dataset, training config, seed).
Model trained_model(const TrainCliOptions& o, const Network& net, const Dataset& data, const TrainConfig& config,
                    std::uint64_t seed) {
  Model model;
  model.network = o.fold ? fold(net) : net;
  model.provenance.source = "train";
  model.provenance.dataset = o.data;
  model.provenance.dataset_digest = dataset_digest(data);
  nlohmann::json cfg = config_json(config);
  cfg["architecture"] = o.arch;
  cfg["batch_norm"] = o.bn;
  cfg["init"] = "he-normal";
  cfg["folded"] = o.fold;
  if (!o.columns.empty()) cfg["columns"] = o.columns;
  model.provenance.training_config = cfg.dump();
  model.provenance.seed = seed;
  return model;
}

}  // namespace

Command add_train(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("train", "Train an MLP (Dense [+ BatchNorm] + ReLU) with Adam");
  auto o = std::make_shared<TrainCliOptions>();
  sub->add_option("--arch", o->arch, "Layer widths, input to output, e.g. 784:64:32:16:10")->required();
  sub->add_flag("--bn", o->bn, "BatchNorm after every hidden Dense layer");
  sub->add_flag("--fold", o->fold, "Save with every BatchNorm folded into its Dense layer (same function; not slimmable)");
  sub->add_option("--data", o->data, "fashion-mnist (its training split), an IDX images file, or a CSV file")
      ->required();
  sub->add_option("--columns", o->columns,
                  "Column spec (TOML) of a CSV regression dataset: inputs, targets, scaling, train/validation/test split");
  sub->add_option("--test-data", o->test_data,
                  "Held-out data to report accuracy on (default: fashion-mnist's test split, or the column spec's)");
  sub->add_option("-o,--output", o->output, "Output model (.nnc keeps provenance; .onnx the network only)")->required();
  add_training_options(sub, o->training, "--epochs");
  return {sub, [o, &globals] {
            check_output_path(o->output);
            const std::vector<std::size_t> widths = parse_architecture(o->arch);
            TrainingData parts = load_training_data({o->data, o->columns, o->test_data}, globals.seed);
            Dataset& data = parts.train;
            data.raw.reset();  // integer pixels are for quantized networks: halve the peak memory
            const TrainConfig config = make_config(o->training, data, globals.seed);
            const Network initial = make_mlp(widths, o->bn, globals.seed);
            check_training_input(initial, data, config);
            const std::optional<Dataset>& test = parts.test;
            const Dataset* validation = parts.validation ? &*parts.validation : nullptr;
            if (test && test->features() != initial.input_size)
              throw InputError(test->name, "features",
                               "has " + std::to_string(test->features()) + " features, the architecture expects " +
                                   std::to_string(initial.input_size));

            nlohmann::json doc{{"command", "train"}, {"architecture", o->arch}, {"batch_norm", o->bn},
                               {"data", o->data}, {"output", o->output}, {"seed", globals.seed}};
            if (!o->columns.empty()) doc["columns"] = o->columns;
            std::ostream& text = human_out(globals);
            text << "training " << o->arch << (o->bn ? " with BatchNorm" : "") << " on " << data.name << " ("
                 << data.size() << " samples"
                 << (validation ? ", validation " + std::to_string(validation->size()) : std::string()) << "), "
                 << config.epochs << " epochs, batch " << config.batch << "\n";
            const TrainResult r = run_training(initial, data, config, {}, o->training, globals, doc, validation);

            std::ostringstream summary;
            doc["train"] = evaluation_json(r.network, data, config, "train", summary);
            if (validation) doc["validation"] = evaluation_json(r.network, *validation, config, "validation", summary);
            if (test) doc["test"] = evaluation_json(r.network, *test, config, "test", summary);

            const Model model = trained_model(*o, r.network, data, config, globals.seed);
            std::string dropped;
            save_model(model, o->output, &dropped);
            summary << "saved " << o->output << (dropped.empty() ? "" : " (without " + dropped + ")") << "\n";
            doc["dataset_digest"] = model.provenance.dataset_digest;
            emit(globals, doc, summary.str());
            return 0;
          }};
}

}  // namespace nncert::cli
