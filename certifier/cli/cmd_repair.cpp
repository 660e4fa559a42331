// `nncert repair MODEL|--arch A --data D [--columns SPEC] --property P -o OUT.nnc`: the CEGIS
// loop (certifier/repair/cegis) from the command line; exit 0 certified, 3 budget spent (the best
// network so far is written, with its open counterexamples listed), 2 bad input (nothing written).
#include "certifier/cli/app.hpp"
#include "certifier/cli/command.hpp"
#include "certifier/cli/robust_spec.hpp"
#include "formats/sample_selection.hpp"
#include "certifier/cli/training_session.hpp"
#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/repair/cegis.hpp"
#include "certifier/repair/quantized_loop.hpp"
#include "certifier/verify/qnn_counterexample_search.hpp"
#include "certifier/train/architecture.hpp"
#include "formats/atomic_file.hpp"
#include "formats/dataset_digest.hpp"
#include "formats/column_spec.hpp"
#include "formats/dataset.hpp"
#include "formats/model_file.hpp"

#include <algorithm>
#include <filesystem>
#include <random>
#include <iomanip>
#include <sstream>

namespace nncert::cli {

namespace {

struct RepairCliOptions {
  std::string model, arch, data, columns, test_data, property, output, retrain, solver = "cbc";
  std::string robust, robust_samples, domain = "0:1";
  double delta = 0;
  int bits = 0;  // 0: the float network ships
  long long counterexamples = 50, samples = 20, max_iterations = 100, region_samples = 500;
  std::size_t distill_samples = 10000;
  double min_fidelity = 0.9;
  double sigma = 0.1, margin = 1e-4, max_margin = 0.05, timeout = 0;
  double property_weight = 1, property_margin = 0.01;
  bool bn = false, keep_data = false, original_validation = false;
  TrainingOptions training;
};

nlohmann::json vectors_json(const std::vector<Vector>& vs) {
  nlohmann::json j = nlohmann::json::array();
  for (const Vector& v : vs) j.push_back(std::vector<double>(v.data(), v.data() + v.size()));
  return j;
}

nlohmann::json iteration_json(const CegisIteration& it) {
  nlohmann::json j{{"iteration", it.iteration},         {"verdict", to_string(it.verdict)},
                   {"counterexamples", it.counterexamples}, {"added", it.added},
                   {"training_size", it.training_size}, {"validation_loss", it.validation_loss},
                   {"train_seconds", it.train_seconds}, {"verify_seconds", it.verify_seconds},
                   {"repair_seconds", it.repair_seconds}};
  if (it.test_loss) j[it.test_accuracy ? "test_loss" : "test_mse"] = *it.test_loss;
  if (it.test_accuracy) j["test_accuracy"] = *it.test_accuracy;
  if (it.region_violating) j["region_violating"] = *it.region_violating;
  if (!it.detail.empty()) j["detail"] = it.detail;
  return j;
}

std::string iteration_line(const CegisIteration& it, bool regression) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(4) << "iteration " << it.iteration << ": " << to_string(it.verdict) << ", "
    << it.counterexamples << " counterexamples";
  if (it.added) s << ", +" << it.added << " pairs";
  s << " (" << it.training_size << " training), val " << (regression ? "MSE " : "loss ") << it.validation_loss;
  if (it.test_loss) s << ", test " << (regression ? "MSE " : "loss ") << *it.test_loss;
  if (it.test_accuracy) s << ", test acc " << *it.test_accuracy;
  if (it.region_violating) s << std::setprecision(1) << ", " << 100 * *it.region_violating << "% of the region unsafe"
                             << std::setprecision(4);
  s << std::setprecision(2) << ", train " << it.train_seconds << " s, verify " << it.verify_seconds << " s\n";
  return s.str();
}

// Train / validation / test from --data (and --columns, which names the split).
// Without training data (a controller handed over as a model): points drawn uniformly from the
// property's input domain, labelled with the original network's outputs, 80/10/10 for training,
// validation and the fidelity report.
CegisData distillation_data(const Network& original, const LinearProperty& p, std::size_t n, std::uint64_t seed) {
  LinearCase domain;  // the property's domain as one case, so the shared box sampler draws from it
  domain.box = {property_domain(p)[0]};
  std::mt19937_64 rng(seed);
  Dataset all;
  all.name = "samples of the original network on the property's domain";
  all.X.resize(static_cast<Eigen::Index>(p.num_inputs), static_cast<Eigen::Index>(n));
  for (Eigen::Index j = 0; j < all.X.cols(); ++j) all.X.col(j) = sample_case_box(p, domain, rng)[0];
  all.targets = evaluate(original, all.X);
  const std::size_t n_train = n * 8 / 10, n_val = n / 10;
  CegisData d;
  d.train = subset(all, 0, n_train - 1);
  d.validation = subset(all, n_train, n_train + n_val - 1);
  d.test = subset(all, n_train + n_val, n - 1);
  return d;
}

// How close the repaired network stays to the original on held-out domain samples.
struct Fidelity {
  double agreement = 0;  // same first argmax (the controller's decision)
  double mean_abs = 0, max_abs = 0;
};

Fidelity fidelity(const Network& repaired, const Dataset& samples) {
  const Matrix y = evaluate(repaired, samples.X);
  Fidelity f;
  for (Eigen::Index j = 0; j < y.cols(); ++j) {
    f.agreement += argmax_first(y.col(j)) == argmax_first(samples.targets.col(j));
    const double e = (y.col(j) - samples.targets.col(j)).cwiseAbs().maxCoeff();
    f.mean_abs += e;
    f.max_abs = std::max(f.max_abs, e);
  }
  f.agreement /= static_cast<double>(y.cols());
  f.mean_abs /= static_cast<double>(y.cols());
  return f;
}

CegisData load_data(const RepairCliOptions& o, std::uint64_t seed) {
  CegisData d;
  if (!o.columns.empty()) {
    DataSplit s = load_csv_split(o.data, load_column_spec(o.columns), seed);
    return {std::move(s.train), std::move(s.validation), std::move(s.test)};
  }
  Dataset all = load_dataset(o.data, "train");
  all.raw.reset();
  const double fraction = o.training.val_split > 0 ? o.training.val_split : 0.1;
  auto [train_part, validation] = split(all, fraction, seed);
  d.train = std::move(train_part);
  d.validation = std::move(validation);
  d.test = o.test_data.empty() ? test_split_for(o.data) : std::optional<Dataset>(load_dataset(o.test_data, "test"));
  return d;
}

CegisConfig make_cegis_config(const RepairCliOptions& o, const CegisData& d, std::uint64_t seed) {
  CegisConfig c;
  TrainingOptions t = o.training;
  t.val_split = 0;  // the validation set is given
  c.train = make_config(t, d.train, seed);
  if (o.counterexamples < 1) throw InputError("--counterexamples", std::to_string(o.counterexamples), "expected at least 1");
  if (o.samples < 0) throw InputError("--samples", std::to_string(o.samples), "expected a count >= 0");
  if (o.max_iterations < 1) throw InputError("--max-iterations", std::to_string(o.max_iterations), "expected at least 1");
  if (o.timeout < 0) throw InputError("--timeout", std::to_string(o.timeout), "expected seconds > 0 (0 = no limit)");
  if (!(o.sigma >= 0) || !(o.margin > 0)) throw InputError("--sigma/--margin", "value", "expected sigma >= 0 and margin > 0");
  c.search.max_counterexamples = static_cast<std::size_t>(o.counterexamples);
  c.search.backend = parse_milp_backend(o.solver);
  c.search.threads = o.training.threads > 0 ? o.training.threads : 1;
  c.sampling.samples = static_cast<std::size_t>(o.samples);
  if (o.region_samples < 0) throw InputError("--region-samples", std::to_string(o.region_samples), "expected a count >= 0");
  c.region_samples = static_cast<std::size_t>(o.region_samples);
  c.sampling.input_sigma = c.sampling.output_sigma = o.sigma;
  c.repair.margin = o.margin;
  if (!(o.max_margin >= o.margin)) throw InputError("--max-margin", std::to_string(o.max_margin), "expected >= --margin");
  c.max_margin = o.max_margin;
  if (!(o.property_weight >= 0) || !(o.property_margin >= 0))
    throw InputError("--property-weight/--property-margin", "value", "expected numbers >= 0");
  c.property_loss = PropertyLossOptions{};
  c.property_loss.weight = o.property_weight;
  c.property_loss.margin = o.property_margin;
  // QAT is fine-tuning: with --bits each round fine-tunes the last network under its plan.
  c.retrain = parse_retrain(o.retrain.empty() ? (o.data.empty() || o.bits ? "finetune" : "scratch") : o.retrain);
  c.repair_data = !o.keep_data;
  c.validate_on_repairs = !o.original_validation;
  c.max_iterations = static_cast<std::size_t>(o.max_iterations);
  if (o.timeout > 0) c.timeout_s = o.timeout;
  c.seed = seed;
  return c;
}

// Local robustness of held-out samples (--robust linf:EPS --samples A:B), as one property: a
// case per (sample, unsafe conjunction). Classification keeps each sample's true label; a
// regression sample keeps the initial network's output within --delta.
LinearProperty robustness_property(const RepairCliOptions& o, const Network& initial, std::uint64_t seed) {
  const LinfBall ball = parse_linf_ball(o.robust, o.domain);
  // The samples `nncert verify --robust --data D --samples A:B` would check, so the two agree.
  const Dataset samples = select_samples(o.data, o.robust_samples, initial.input_size, o.columns, seed).data;
  const bool regression = samples.labels.empty();
  if (regression && !(o.delta > 0)) throw InputError("--delta", "missing", "regression robustness needs --delta D > 0");
  LinearProperty p;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Vector x = samples.X.col(static_cast<Eigen::Index>(i));
    const Property one = regression ? regression_robustness(x, ball.eps, evaluate(initial, x), o.delta, ball.lo, ball.hi)
                                    : local_robustness(x, ball.eps, samples.labels[i], output_size(initial), ball.lo, ball.hi);
    LinearProperty lp = linear_property(one, initial.input_size, output_size(initial));
    if (p.cases.empty()) p = std::move(lp);
    else p.cases.insert(p.cases.end(), lp.cases.begin(), lp.cases.end());
  }
  p.name = "robust " + o.robust + " on " + samples.name + " samples " + (o.robust_samples.empty() ? "all" : o.robust_samples);
  return p;
}

Certificate repair_certificate(const RepairCliOptions& o, const LinearProperty& property, const CegisResult& r,
                               const std::optional<QuantizedNetwork>& q) {
  Certificate c;
  c.property = o.property.empty() ? property.name
                                 : "vnnlib:" + std::filesystem::path(o.property).filename().string() +
                                       " sha256:" + sha256_hex(read_file(o.property, std::size_t{1} << 28));
  c.method = (q ? "cegis-repair-qat/ilp-compact-" : "cegis-repair/milp-") + o.solver;
  c.verdict = "verified";
  c.seconds = r.history.back().verify_seconds;
  c.tool_version = kToolVersion;
  c.weights_digest = q ? digest(q->qnetwork) : digest(r.network);
  c.network = q ? "quantized" : "float";
  return c;
}

int run_repair(const RepairCliOptions& o, const Globals& g) {
  if (std::filesystem::path(o.output).extension() != ".nnc")
    throw InputError(o.output, "output", "expected a .nnc file name (it carries the certificate)");
  if (o.model.empty() == o.arch.empty()) throw InputError("repair", "arguments", "give either MODEL or --arch, not both");
  Network initial;
  Model model;
  std::vector<std::size_t> widths;
  if (!o.model.empty()) {
    model = load_model(o.model);
    initial = model.network;
  } else {
    widths = parse_architecture(o.arch);
    initial = make_mlp(widths, o.bn, g.seed);
  }
  if (o.bits) {
    if (o.bn) throw InputError("--bits", "--bn", "quantized repair needs Dense and ReLU layers only: drop --bn");
    initial = fold(initial);  // the QNetwork's layer structure: QAT trains the folded weights
  }
  if (o.property.empty() == o.robust.empty())
    throw InputError("repair", "options", "give exactly one of --property FILE or --robust linf:EPS");
  const bool distill = o.data.empty();
  if (distill && (o.model.empty() || !o.robust.empty()))
    throw InputError("--data", "missing",
                     "repair needs training data, or a MODEL and a --property to sample its domain from");
  std::optional<LinearProperty> from_file;
  if (!o.property.empty())
    from_file = linear_property_from_vnnlib(load_vnnlib(o.property, initial.input_size, output_size(initial)), o.property);
  const CegisData data = distill ? distillation_data(initial, *from_file, o.distill_samples, g.seed) : load_data(o, g.seed);
  RepairCliOptions effective = o;
  if (distill) effective.training.loss = "mse";  // the original's outputs are the targets
  CegisConfig config = make_cegis_config(effective, data, g.seed);
  config.widths = widths.empty() ? layer_widths(initial) : widths;
  config.batch_norm = o.bn;
  config.train_first = o.model.empty();
  check_training_input(initial, data.train, config.train);
  const LinearProperty property = from_file ? *from_file : robustness_property(o, initial, g.seed);
  const bool regression = config.train.loss == LossKind::MeanSquaredError;

  std::ostream& text = human_out(g);
  text << "repairing " << (o.model.empty() ? o.arch : o.model) << " for " << o.property << " (" << property.copies
       << (property.copies > 1 ? " copies, " : " copy, ") << property.cases.size() << " cases), C = "
       << config.search.max_counterexamples << ", S = " << config.sampling.samples << ", retrain "
       << to_string(config.retrain) << "\n";
  CegisHooks hooks;
  hooks.on_iteration = [&](const CegisIteration& it) { text << iteration_line(it, regression) << std::flush; };
  std::optional<QuantizedLoop> quantized;
  if (o.bits) {
    quantized.emplace(o.bits, property, data.train, kToolVersion);
    check_qproperty(quantized->quantize(initial).qnetwork, property);  // bad input before any training
    quantized->install(config, hooks);
    text << "quantized repair: the loop certifies the " << o.bits << "-bit network, input grid "
         << to_string(quantized->input_grid()) << ", QAT retraining\n";
  }
  const CegisResult r = cegis(initial, property, data, config, hooks);

  nlohmann::json doc{{"command", "repair"}, {"property", o.property}, {"output", o.output},
                     {"certified", r.certified}, {"seconds", r.seconds}, {"best_iteration", r.best_iteration}};
  nlohmann::json history = nlohmann::json::array();
  for (const CegisIteration& it : r.history) history.push_back(iteration_json(it));
  doc["history"] = history;
  doc["data_repair"] = {{"rows_changed", r.data_repair.rows_changed}, {"pairs", r.data_repair.pairs},
                        {"cost", r.data_repair.cost}, {"note", r.data_repair.note}};
  nlohmann::json open = nlohmann::json::array();
  for (const LinearCounterexample& c : r.open)
    open.push_back({{"case", c.case_index}, {"x", vectors_json(c.point.x)}, {"y", vectors_json(c.point.y)}});
  doc["open_counterexamples"] = open;

  model.network = r.network;
  model.qnetwork.reset();
  std::optional<QuantizedNetwork> shipped;
  if (quantized) {
    shipped = quantized->quantize(r.network);
    if (r.certified && quantized->last_certified() != digest(shipped->qnetwork))
      throw InternalError("repair --bits: the written QNetwork is not the one the loop certified");
    model.qnetwork = shipped->qnetwork;
    doc["quantized"] = {{"bits", o.bits}, {"input", to_string(shipped->qnetwork.cx)},
                        {"digest", digest(shipped->qnetwork)},
                        {"accumulator", to_string(shipped->accumulator.proof.type)}};
    if (data.test && regression && data.test->size()) {  // what the shipped network scores, not the float master
      double se = 0;
      for (Eigen::Index j = 0; j < data.test->X.cols(); ++j)
        se += (evaluate_qcopies(shipped->qnetwork, {data.test->X.col(j)}).y[0] - data.test->targets.col(j)).squaredNorm() /
              static_cast<double>(data.test->targets.rows());
      doc["quantized"]["test_mse"] = se / static_cast<double>(data.test->X.cols());
    }
  }
  model.provenance.source = "repair";
  model.provenance.dataset = o.data;
  model.provenance.dataset_digest = dataset_digest(data.train);
  model.certificates.clear();  // certificates of the input network are about other weights
  if (shipped) model.certificates.push_back(shipped->accumulator.certificate);
  if (r.certified) {
    model.certificates.push_back(repair_certificate(o, property, r, shipped));
    doc["proof"] = r.proof;
  }
  bool far = false;
  if (distill) {
    const Fidelity f = fidelity(r.network, *data.test);
    far = f.agreement < o.min_fidelity;
    doc["fidelity"] = {{"agreement", f.agreement}, {"mean_abs_error", f.mean_abs}, {"max_abs_error", f.max_abs},
                       {"samples", data.test->size()}, {"min_agreement", o.min_fidelity}};
  }
  save_model(model, o.output);
  std::ostringstream summary;
  if (r.data_repair.rows_changed)
    summary << "moved " << r.data_repair.rows_changed << " training targets that contradict the property into it"
            << " (sum of squared changes " << r.data_repair.cost << ")\n";
  else if (!r.data_repair.note.empty())
    summary << "training targets: " << r.data_repair.note << "\n";
  if (r.certified)
    summary << "certified after " << r.history.size() - 1 << " repair iterations (" << r.proof << "), wrote "
            << o.output << "\n";
  else
    summary << "not certified within the budget: wrote the best network so far (iteration " << r.best_iteration
            << ", " << r.open.size() << " open counterexamples) to " << o.output << "\n";
  if (distill) {
    const auto& f = doc["fidelity"];
    summary << "fidelity to the original on " << f["samples"].get<std::size_t>() << " held-out domain samples: "
            << 100 * f["agreement"].get<double>() << "% same decision, output error mean " << f["mean_abs_error"].get<double>()
            << ", max " << f["max_abs_error"].get<double>() << (far ? " -- too far from the original: a failed repair\n" : "\n");
  }
  emit(g, doc, summary.str());
  return r.certified && !far ? kOk : kUnknown;
}

}  // namespace

Command add_repair(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("repair", "Make a network satisfy a property: CEGIS repair and retraining");
  auto o = std::make_shared<RepairCliOptions>();
  sub->add_option("model", o->model, "Network to repair (.nnc or .onnx); or train one with --arch");
  sub->add_option("--arch", o->arch, "Train from scratch with these widths, e.g. 28:9:9:9:9:9:9:8");
  sub->add_flag("--bn", o->bn, "BatchNorm after every hidden Dense layer (with --arch)");
  sub->add_option("--data", o->data,
                  "Training data: a CSV file (with --columns), fashion-mnist, or an IDX file; without it, MODEL's own "
                  "outputs on samples of the property's domain");
  sub->add_option("--distill-samples", o->distill_samples, "Without --data: domain samples (80/10/10 train/validation/fidelity)")
      ->default_val(10000);
  sub->add_option("--min-fidelity", o->min_fidelity, "Without --data: least share of held-out samples with the original's decision")
      ->default_val(0.9);
  sub->add_option("--columns", o->columns, "Column spec (TOML) for CSV data: inputs, targets, scaling, split");
  sub->add_option("--test-data", o->test_data, "Held-out data to report on (without --columns)");
  sub->add_option("--property", o->property, "Property (VNN-LIB, or nncert's superset with Int inputs and Xp/Yp)");
  sub->add_option("--robust", o->robust, "Instead of --property: local robustness linf:EPS of the test samples");
  sub->add_option("--robust-samples", o->robust_samples, "With --robust: test samples A:B (inclusive; default all)");
  sub->add_option("--domain", o->domain, "With --robust: input domain LO:HI the balls are clipped to")->default_val("0:1");
  sub->add_option("--delta", o->delta, "With --robust on regression: allowed output change");
  sub->add_option("--bits", o->bits,
                  "Quantized repair: certify the Q-bit QNetwork with the exact QNN search, retrain with QAT (2..16)");
  sub->add_option("--counterexamples", o->counterexamples, "C: counterexamples per iteration")->default_val(50);
  sub->add_option("--samples", o->samples, "S: points sampled around each repaired counterexample")->default_val(20);
  sub->add_option("--region-samples", o->region_samples,
                  "Uniform precondition points per round, labelled by the repaired network (0 = the paper's loop)")
      ->default_val(500);
  sub->add_option("--sigma", o->sigma, "Standard deviation of the sampling noise")->default_val(0.1);
  sub->add_option("--margin", o->margin, "Distance of repaired outputs from the unsafe boundary")->default_val(1e-4);
  sub->add_option("--max-margin", o->max_margin, "The margin doubles every round up to this (= --margin: fixed)")
      ->default_val(0.05);
  sub->add_option("--property-weight", o->property_weight,
                  "Weight of the property penalty in the training loss (adversarial points + counterexamples; 0 = off)")
      ->default_val(1);
  sub->add_option("--property-margin", o->property_margin, "How far outside the unsafe region the penalty pushes")
      ->default_val(0.01);
  sub->add_option("--retrain", o->retrain,
                  "scratch (the paper; default with --data) or finetune (warm start; default without --data or with --bits)");
  sub->add_option("--max-iterations", o->max_iterations, "Budget: CEGIS iterations")->default_val(100);
  sub->add_option("--timeout", o->timeout, "Budget: wall-clock seconds (0 = none)")->default_val(0);
  sub->add_flag("--keep-data", o->keep_data,
                "Train on the targets as given, even where they contradict the property (the paper's loop)");
  sub->add_flag("--original-validation", o->original_validation,
                "Early-stop on the original validation set only (the paper); default: plus a tenth of the new pairs");
  sub->add_option("--solver", o->solver, "MILP backend: cbc or glpk")->default_val("cbc");
  sub->add_option("-o,--output", o->output, "Output model (.nnc, with the certificate)")->required();
  add_training_options(sub, o->training, "--epochs");
  return {sub, [o, &globals] { return run_repair(*o, globals); }};
}

}  // namespace nncert::cli
