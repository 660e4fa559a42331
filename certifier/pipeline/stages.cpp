#include "certifier/pipeline/stages.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/prune/weight_pruning.hpp"
#include "certifier/quantize/agreement.hpp"
#include "certifier/quantize/ptq.hpp"
#include "certifier/quantize/quantized_model.hpp"
#include "certifier/quantize/qvip_scheme.hpp"
#include "certifier/train/architecture.hpp"
#include "certifier/train/trainer.hpp"
#include "certifier/pipeline/code_folder.hpp"
#include "certifier/verify/qnn_robustness.hpp"
#include "codegen/codegen.hpp"
#include "conform/conformance.hpp"
#include "formats/atomic_file.hpp"
#include "formats/dataset_digest.hpp"
#include "formats/model_file.hpp"
#include "formats/sample_selection.hpp"

#include <Eigen/Core>

#include <charconv>
#include <sstream>

namespace nncert::pipeline {

namespace fs = std::filesystem;

namespace {

using Json = nlohmann::json;

std::string str(const Json& s, const char* key) { return s.at(key).get<std::string>(); }
std::size_t count(const Json& s, const char* key) { return s.at(key).get<std::size_t>(); }

// Accuracy of the latest model on the pipeline's evaluation data, for the report's per-stage plot.
Json accuracy(const PipelineSpec& p, const Model& m) {
  if (p.eval_data.empty()) return nullptr;
  const SampleSelection s = select_range(load_dataset(p.eval_data, "test"), p.eval_samples);
  if (s.data.labels.empty()) return nullptr;
  if (m.qnetwork) {
    const Agreement a = compare_predictions(m.network, *m.qnetwork, s.data);
    return {{"samples", a.samples}, {"float", a.float_accuracy()}, {"quantized", a.quantized_accuracy()},
            {"agreement", a.agreement()}};
  }
  TrainConfig config;
  const Evaluation e = evaluate_dataset(m.network, s.data, config);
  return {{"samples", s.data.size()}, {"float", e.accuracy}};
}

TrainConfig training_config(const Json& s, std::size_t epochs, std::uint64_t seed) {
  TrainConfig c;
  c.epochs = epochs;
  c.batch = count(s, "batch");
  c.seed = seed;
  c.adam.lr = s.at("lr").get<double>();
  if (c.batch == 0) throw InputError("pipeline", "batch", "expected a positive batch size");
  Eigen::setNbThreads(std::max(1, s.at("threads").get<int>()));
  return c;
}

StageOutcome finish(const StageContext& c, const Model& m, StageOutcome out) {
  out.model = c.dir / "model.nnc";
  save_model(m, out.model.string());
  out.summary["accuracy"] = accuracy(*c.pipeline, m);
  out.summary["nonzero_weights"] = nonzero_weights(m.network);
  out.summary["sparsity"] = weight_sparsity(m.network);
  return out;
}

StageOutcome train_stage(const Json& s, const StageContext& c) {
  Dataset data = select_range(load_dataset(str(s, "data"), "train"), str(s, "samples")).data;
  const Network initial = make_mlp(parse_architecture(str(s, "arch")), s.at("bn").get<bool>(), c.pipeline->seed);
  const TrainConfig config = training_config(s, count(s, "epochs"), c.pipeline->seed);
  check_training_input(initial, data, config);
  const TrainResult r = train(initial, data, config);
  Model m;
  m.network = r.network;
  m.provenance.source = "train";
  m.provenance.dataset = str(s, "data");
  m.provenance.dataset_digest = dataset_digest(data);
  m.provenance.training_config = Json{{"pipeline_stage", "train"}, {"settings", s}}.dump();
  m.provenance.seed = c.pipeline->seed;
  StageOutcome out;
  out.summary["final_loss"] = r.history.empty() ? 0.0 : r.history.back().train_loss;
  return finish(c, m, std::move(out));
}

StageOutcome prune_stage(const Json& s, const StageContext& c) {
  Model m = load_model(c.model.string());
  WeightPruningOptions po;
  po.sparsity = s.at("sparsity").get<double>();
  const std::vector<WeightMask> masks = prune_weights(m.network, po);
  if (const std::size_t epochs = count(s, "finetune"); epochs > 0) {
    const Dataset data = select_range(load_dataset(str(s, "data"), "train"), str(s, "samples")).data;
    const TrainConfig config = training_config(s, epochs, c.pipeline->seed);
    check_training_input(m.network, data, config);
    m.network = train(m.network, data, config, masks).network;
  }
  m.certificates.clear();  // they were about the unpruned weights
  return finish(c, m, {});
}

StageOutcome quantize_stage(const Json& s, const StageContext& c) {
  const Model in = load_model(c.model.string());
  const Network folded = fold(in.network);
  const int bits = s.at("bits").get<int>();
  QuantPlan plan;
  if (str(s, "scheme") == "qvip") {
    plan = qvip_plan(folded, bits);
  } else if (str(s, "scheme") == "calibrated") {
    Dataset calib = load_dataset(str(s, "calib_data"), "train");
    if (const std::size_t n = count(s, "calib_samples"); n > 0 && n < calib.size()) calib = subset(calib, 0, n - 1);
    PtqOptions ptq;
    ptq.bits = bits;
    fit_input_grid(calib, ptq);
    plan = calibrated_plan(folded, calib.X, ptq);
  } else {
    throw InputError("pipeline", "quantize.scheme", "expected \"calibrated\" or \"qvip\", got \"" + str(s, "scheme") + "\"");
  }
  const QuantizedModel q = quantized_model(in, in.network, quantize_with_plan(folded, plan),
                                           "quantize:" + str(s, "scheme"), Json{{"settings", s}}.dump());
  StageOutcome out;
  out.summary["accumulator"] = to_string(q.accumulator.proof.type);
  out.summary["accumulator_bound"] = q.accumulator.proof.final_bound;
  return finish(c, q.model, std::move(out));
}

std::pair<QNorm, std::int64_t> robust_spec(const std::string& spec) {
  const auto colon = spec.find(':');
  std::int64_t radius = -1;
  if (colon != std::string::npos) {
    const char* b = spec.data() + colon + 1;
    const char* e = spec.data() + spec.size();
    const auto [end, ec] = std::from_chars(b, e, radius);
    if (ec != std::errc() || end != e || b == e) radius = -1;
  }
  if (radius < 0)
    throw InputError("pipeline", "verify.robust '" + spec + "'", "expected NORM:R (linf, l1 or l0; integer radius R >= 0)");
  return {parse_qnorm(spec.substr(0, colon)), radius};
}

StageOutcome verify_stage(const Json& s, const StageContext& c) {
  Model m = load_model(c.model.string());
  const QNetwork& net = *m.qnetwork;
  const auto [norm, radius] = robust_spec(str(s, "robust"));
  QRobustness question{norm, radius, 0, {}, ""};
  question.options.encoding = parse_qencoding(str(s, "encoding"));
  question.options.backend = parse_milp_backend(str(s, "solver"));
  question.options.timeout_s = s.at("timeout").get<double>();
  question.options.seed = c.pipeline->seed;
  if (!(question.options.timeout_s > 0)) throw InputError("pipeline", "verify.timeout", "expected a positive number of seconds");
  question.method = qnn_method(question.options);
  const SampleSelection sel = select_samples(str(s, "data"), str(s, "samples"), net.input_size);
  if (sel.data.labels.empty()) throw InputError(sel.data.name, "labels", "the verify stage needs a labelled dataset");
  Json samples = Json::array();
  std::size_t verified = 0, falsified = 0, unknown = 0, misclassified = 0;
  for (std::size_t i = 0; i < sel.data.size(); ++i) {
    const std::size_t id = sel.first + i;
    require_on_input_grid(net, sel.data, i, id);
    const auto x = sel.data.raw_sample(i);
    const QSampleVerdict v = verify_sample(net, x, sel.data.labels[i], question);
    Json row{{"sample", id}, {"label", sel.data.labels[i]}};
    if (v.misclassified) {
      ++misclassified;
      row["verdict"] = "misclassified";
      samples.push_back(row);
      continue;
    }
    const std::string property = sample_property(v.property, id, sel.data.name);
    row["verdict"] = to_string(v.result.verdict);
    row["seconds"] = v.result.seconds;
    row["decided_by"] = v.result.decided_by;
    row["property"] = property;
    row["property_digest"] = property_digest(property, x);
    if (v.result.verdict == QVerdict::Falsified) row["counterexample"] = v.result.counterexample;
    verified += v.result.verdict == QVerdict::Verified;
    falsified += v.result.verdict == QVerdict::Falsified;
    unknown += v.result.verdict == QVerdict::Unknown;
    if (v.result.verdict == QVerdict::Verified) m.certificates.push_back(robustness_certificate(net, v, question, property));
    samples.push_back(row);
  }
  StageOutcome out;
  out.summary = {{"robust", str(s, "robust")}, {"method", question.method}, {"data", sel.data.name},
                 {"verified", verified}, {"falsified", falsified}, {"unknown", unknown},
                 {"misclassified", misclassified}, {"samples", samples}};
  out.model = c.dir / "model.nnc";
  save_model(m, out.model.string());
  if (s.at("require_all").get<bool>() && (falsified || unknown)) {
    out.exit_code = falsified ? 1 : 3;
    out.reason = std::to_string(falsified) + " falsified, " + std::to_string(unknown) +
                 " unknown sample(s) and require_all = true";
  }
  return out;
}

StageOutcome codegen_stage(const Json& s, const StageContext& c) {
  const Model m = load_model(c.model.string());
  codegen::Options o;
  o.name = str(s, "name");
  o.allow_sparse = !s.at("dense").get<bool>();
  const codegen::Generated g = codegen::generate(m, o);
  StageOutcome out;
  out.code = c.dir / "code";
  fs::create_directories(out.code);
  for (const auto& f : g.files) write_file_atomic((out.code / f.name).string(), f.text);
  out.summary = {{"name", o.name}, {"rom_bytes", g.rom_bytes}, {"ram_bytes", g.ram_bytes}, {"digest", g.digest},
                 {"accumulator", codegen::c_name(g.accumulator)}};
  return out;
}

StageOutcome conform_stage(const Json& s, const StageContext& c) {
  const Model m = load_model(c.model.string());
  conform::ConformRequest request;
  request.targets = conform::choose_targets(str(s, "target"));
  request.work = c.dir / "work";
  const std::string data = str(s, "data");
  const conform::Vectors v = conform::make_vectors(*m.qnetwork, {count(s, "vectors"), data, "", c.pipeline->seed});
  const CodeOnDisk code = read_code(c.code);
  const conform::ConformReport r = conform::run_conformance(*m.qnetwork, code.generated, code.options, v, request);
  fs::remove_all(request.work);
  StageOutcome out;
  Json targets = Json::array();
  for (const auto& t : r.targets)
    targets.push_back({{"target", t.target}, {"vectors", t.vectors}, {"mismatches", t.mismatches},
                       {"build_seconds", t.build_seconds}, {"run_seconds", t.run_seconds}});
  out.summary = {{"vectors", v.x.size()}, {"mismatches", r.mismatches}, {"targets", targets}};
  if (r.mismatches) {
    out.exit_code = 1;
    out.reason = std::to_string(r.mismatches) + " vector(s) differ from the reference evaluator";
  }
  return out;
}

}  // namespace

std::string property_digest(const std::string& property, const std::vector<std::int64_t>& centre) {
  std::ostringstream s;
  s << property << "\n";
  for (std::size_t i = 0; i < centre.size(); ++i) s << (i ? " " : "") << centre[i];
  return sha256_hex(s.str());
}

StageOutcome run_stage(const StageSpec& stage, const StageContext& context) {
  const Json& s = stage.settings;
  switch (stage.kind) {
    case StageKind::Train: return train_stage(s, context);
    case StageKind::Prune: return prune_stage(s, context);
    case StageKind::Quantize: return quantize_stage(s, context);
    case StageKind::Verify: return verify_stage(s, context);
    case StageKind::Codegen: return codegen_stage(s, context);
    case StageKind::Conform: return conform_stage(s, context);
  }
  throw InternalError("pipeline: unknown stage kind");
}

}  // namespace nncert::pipeline
