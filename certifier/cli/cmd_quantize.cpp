// `nncert quantize IN.nnc|IN.onnx --bits Q [--scheme qvip|calibrated] -o OUT.nnc`: post-training
// quantization (calibrated per layer, or QVIP's fixed scheme), optional quantization-aware
// fine-tuning, and the accumulator-width proof appended to the model's certificates.
#include "certifier/cli/command.hpp"

#include "certifier/cli/progress.hpp"
#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/quantize/accumulator_proof.hpp"
#include "certifier/quantize/agreement.hpp"
#include "certifier/quantize/ptq.hpp"
#include "certifier/quantize/qat.hpp"
#include "certifier/quantize/quantized_model.hpp"
#include "certifier/quantize/qvip_scheme.hpp"
#include "formats/dataset.hpp"
#include "formats/model_file.hpp"

#include <iomanip>
#include <memory>
#include <sstream>

namespace nncert::cli {

namespace {


struct QuantizeOptions {
  std::string input, output, scheme = "calibrated", calib_data = "fashion-mnist", calib_method = "mse";
  std::string qat_data, eval_data, eval_samples;
  int bits = 0;
  long long calib_samples = 1000, qat_epochs = 0, qat_batch = 64, qat_samples = 0;
  double percentile = 99.99, qat_lr = 1e-4;
};

Dataset first_samples(const Dataset& data, long long n, const std::string& option) {
  if (n < 0) throw InputError(option, std::to_string(n), "expected a non-negative count");
  if (n == 0 || static_cast<std::size_t>(n) >= data.size()) return data;
  return subset(data, 0, static_cast<std::size_t>(n) - 1);
}

void require_features(const Dataset& data, std::size_t inputs) {
  if (data.features() != inputs)
    throw InputError(data.name, "features",
                     "has " + std::to_string(data.features()) + " features, the network " + std::to_string(inputs) +
                         " inputs");
}

nlohmann::json plan_json(const QuantPlan& plan) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerPlan& p : plan.layers)
    layers.push_back({{"cw", to_string(p.cw)}, {"cb", to_string(p.cb)}, {"cy", to_string(p.cy)}});
  return {{"cx", to_string(plan.cx)}, {"input_divisor", plan.input_divisor}, {"layers", layers}};
}

nlohmann::json agreement_json(const Agreement& a) {
  return {{"samples", a.samples},
          {"float_correct", a.float_correct},
          {"quantized_correct", a.quantized_correct},
          {"float_accuracy", a.float_accuracy()},
          {"quantized_accuracy", a.quantized_accuracy()},
          {"agreement", a.agreement()}};
}

std::string percent(double v) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << 100.0 * v << "%";
  return s.str();
}

RangeMethod range_method(const std::string& name) {
  if (name == "max-abs") return RangeMethod::MaxAbs;
  if (name == "percentile") return RangeMethod::Percentile;
  return RangeMethod::Mse;
}

}  // namespace

Command add_quantize(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("quantize", "Quantize a float network to fixed point (PTQ, QVIP scheme, QAT)");
  auto o = std::make_shared<QuantizeOptions>();
  sub->add_option("input", o->input, "Float model (.nnc or .onnx)")->required();
  sub->add_option("-o,--output", o->output, "Output .nnc (float network + QNetwork + certificates)")->required();
  sub->add_option("--scheme", o->scheme, "calibrated (per-layer F from data) or qvip (QVIP's fixed configs)")
      ->check(CLI::IsMember({"calibrated", "qvip"}));
  sub->add_option("--bits", o->bits, "Q: bits of weights, biases and outputs (2..16; qvip: 4..10)")->required();
  sub->add_option("--calib-data", o->calib_data, "Calibration data: fashion-mnist (train split), IDX or CSV");
  sub->add_option("--calib-samples", o->calib_samples, "Calibration samples (first N; 0 = all)");
  auto* method = sub->add_option("--calib-method", o->calib_method,
                                 "Range of each layer: max-abs, percentile, or mse (default: the F with the least "
                                 "squared error on the data)")
                     ->check(CLI::IsMember({"max-abs", "percentile", "mse"}));
  auto* percentile = sub->add_option("--percentile", o->percentile, "Percentile of |value| (implies --calib-method percentile)");
  sub->add_option("--qat-epochs", o->qat_epochs, "Quantization-aware fine-tuning epochs (0 = PTQ only)");
  sub->add_option("--qat-lr", o->qat_lr, "Adam learning rate for fine-tuning");
  sub->add_option("--qat-batch", o->qat_batch, "Batch size for fine-tuning");
  sub->add_option("--qat-data", o->qat_data, "Fine-tuning data (default: the calibration data, train split)");
  sub->add_option("--qat-samples", o->qat_samples, "Fine-tune on the first N samples only (0 = all)");
  sub->add_option("--eval-data", o->eval_data,
                  "Report float/quantized accuracy and agreement on this data (test split; default: the "
                  "calibration data's test split for fashion-mnist; 'none' to skip)");
  sub->add_option("--eval-samples", o->eval_samples, "Sample range A:B of the evaluation data");
  return {sub, [o, &globals, method, percentile] {
            std::ostream& text = human_out(globals);
            const auto ends = [&](const std::string& s, const std::string& ext) {
              return s.size() > ext.size() && s.compare(s.size() - ext.size(), ext.size(), ext) == 0;
            };
            if (!ends(o->output, ".nnc"))
              throw InputError(o->output, "output", "expected a .nnc file name (ONNX cannot hold the quantized network)");
            if (percentile->count() > 0 && method->count() == 0) o->calib_method = "percentile";
            const Model in = load_model(o->input);
            const Network folded = fold(in.network);
            const bool qvip = o->scheme == "qvip";
            nlohmann::json doc{{"input", o->input}, {"output", o->output}, {"scheme", o->scheme}, {"bits", o->bits}};

            QuantPlan plan;
            if (qvip) {
              plan = qvip_plan(folded, o->bits);
            } else {
              const Dataset calib =
                  first_samples(load_dataset(o->calib_data, "train"), o->calib_samples, "--calib-samples");
              require_features(calib, folded.input_size);
              PtqOptions ptq;
              ptq.bits = o->bits;
              ptq.calibration = {range_method(o->calib_method), o->percentile};
              fit_input_grid(calib, ptq);
              plan = calibrated_plan(folded, calib.X, ptq);
              doc["calibration"] = {{"data", calib.name}, {"samples", calib.size()}, {"method", o->calib_method}};
              if (ptq.calibration.method == RangeMethod::Percentile) doc["calibration"]["percentile"] = o->percentile;
            }
            QNetwork q = quantize_with_plan(folded, plan);
            const std::size_t clamped = clamped_parameters(folded, plan);
            doc["plan"] = plan_json(plan);
            doc["clamped_parameters"] = clamped;
            text << "scheme " << o->scheme << ", Q = " << o->bits << ", input " << to_string(plan.cx) << "\n";
            for (std::size_t l = 0; l < plan.layers.size(); ++l)
              text << "  layer " << l << ": w " << to_string(plan.layers[l].cw) << "  b " << to_string(plan.layers[l].cb)
                   << "  y " << to_string(plan.layers[l].cy) << "\n";
            if (clamped) text << clamped << " weights/biases clamped to their grid\n";

            std::string eval_spec = o->eval_data;
            if (eval_spec.empty() && !qvip && o->calib_data == "fashion-mnist") eval_spec = "fashion-mnist";
            std::optional<Dataset> eval;
            if (!eval_spec.empty() && eval_spec != "none") {
              Dataset d = load_dataset(eval_spec, "test");
              if (!o->eval_samples.empty()) {
                const auto colon = o->eval_samples.find(':');
                try {
                  const std::size_t a = std::stoul(o->eval_samples.substr(0, colon));
                  const std::size_t b = colon == std::string::npos ? a : std::stoul(o->eval_samples.substr(colon + 1));
                  d = subset(d, a, b);
                } catch (const std::logic_error&) {
                  throw InputError("--eval-samples", o->eval_samples, "expected A:B");
                }
              }
              require_features(d, folded.input_size);
              eval = std::move(d);
            }
            nlohmann::json accuracy;
            if (eval) {
              const Agreement a = compare_predictions(in.network, q, *eval);
              accuracy["data"] = eval->name;
              accuracy["ptq"] = agreement_json(a);
              text << "on " << eval->name << " (" << a.samples << " samples): float " << percent(a.float_accuracy())
                   << ", quantized (PTQ) " << percent(a.quantized_accuracy()) << ", agreement "
                   << percent(a.agreement()) << "\n";
            }

            Network out_network = in.network;
            if (o->qat_epochs < 0) throw InputError("--qat-epochs", std::to_string(o->qat_epochs), "expected >= 0");
            if (o->qat_epochs > 0) {
              if (o->qat_batch <= 0) throw InputError("--qat-batch", std::to_string(o->qat_batch), "expected > 0");
              if (!(o->qat_lr > 0)) throw InputError("--qat-lr", std::to_string(o->qat_lr), "expected > 0");
              const std::string spec = o->qat_data.empty() ? o->calib_data : o->qat_data;
              const Dataset train_data = first_samples(load_dataset(spec, "train"), o->qat_samples, "--qat-samples");
              require_features(train_data, folded.input_size);
              TrainConfig config;
              config.epochs = static_cast<std::size_t>(o->qat_epochs);
              config.batch = static_cast<std::size_t>(o->qat_batch);
              config.seed = globals.seed;
              config.adam.lr = o->qat_lr;
              check_training_input(folded, train_data, config);
              std::unique_ptr<ProgressBar> bar;
              std::size_t epoch = 0;
              TrainHooks hooks;
              hooks.on_batch = [&](std::size_t done, std::size_t total) {
                if (!bar)
                  bar = std::make_unique<ProgressBar>(
                      "qat " + std::to_string(epoch + 1) + "/" + std::to_string(config.epochs), total, !globals.json);
                bar->update(done);
              };
              nlohmann::json history = nlohmann::json::array();
              hooks.on_epoch = [&](const EpochStats& s) {
                bar.reset();
                epoch = s.epoch;
                text << "qat epoch " << s.epoch << "/" << config.epochs << "  loss " << s.train_loss << "  acc "
                     << percent(s.train_accuracy) << "\n"
                     << std::flush;
                history.push_back({{"epoch", s.epoch}, {"loss", s.train_loss}, {"accuracy", s.train_accuracy},
                                   {"seconds", s.seconds}});
              };
              QatResult r = quantization_aware_training(folded, plan, train_data, config, hooks);
              q = std::move(r.qnetwork);
              out_network = std::move(r.network);
              doc["qat"] = {{"data", train_data.name}, {"samples", train_data.size()}, {"epochs", config.epochs},
                            {"lr", config.adam.lr}, {"batch", config.batch}, {"history", history}};
              if (eval) {
                // Against the original float network: what deploying the QAT result changes.
                const Agreement a = compare_predictions(in.network, q, *eval);
                accuracy["qat"] = agreement_json(a);
                accuracy["qat"]["finetuned_float_accuracy"] =
                    compare_predictions(out_network, q, *eval).float_accuracy();
                text << "after QAT: quantized " << percent(a.quantized_accuracy()) << ", agreement with the float net "
                     << percent(a.agreement()) << "\n";
              }
            }
            if (eval) doc["accuracy"] = accuracy;

            nlohmann::json config{{"quantize", {{"scheme", o->scheme}, {"bits", o->bits}, {"plan", doc["plan"]}}}};
            if (doc.contains("calibration")) config["quantize"]["calibration"] = doc["calibration"];
            if (doc.contains("qat")) config["quantize"]["qat_epochs"] = o->qat_epochs;
            if (!in.provenance.training_config.empty()) config["previous"] = in.provenance.training_config;
            const QuantizedModel quantized =
                quantized_model(in, std::move(out_network), std::move(q), "quantize:" + o->scheme, config.dump());
            const Model& out = quantized.model;
            const AccumulatorCertificate& acc = quantized.accumulator;
            const AccumulatorProof& proof = acc.proof;
            text << "accumulator: |acc| <= " << proof.final_bound << " over the whole input grid (partial sums <= "
                 << proof.partial_bound << ") -> " << to_string(proof.type)
                 << "\n";
            doc["accumulator"] = {{"bound", proof.final_bound}, {"partial_bound", proof.partial_bound},
                                  {"type", to_string(proof.type)}};
            save_model(out, o->output);
            doc["digest"] = digest(*out.qnetwork);
            doc["certificate"] = {{"property", acc.certificate.property}, {"method", acc.certificate.method},
                                  {"verdict", acc.certificate.verdict}, {"bound", acc.certificate.bound}};
            text << "wrote " << o->output << "\n";
            if (globals.json) emit(globals, doc, "");
            return 0;
          }};
}

}  // namespace nncert::cli
