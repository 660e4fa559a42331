// `nncert mrr MODEL --data D --samples A:B [--start R --step S]`: maximum robustness radius of the
// quantized network around each correctly classified sample, by QVIP's Algorithm 1 (ASE'22, §4)
// on the exact verifier. Exit 0 when every radius is exact, 3 when some is only a lower bound.
#include "certifier/cli/command.hpp"

#include "certifier/cli/app.hpp"
#include "certifier/cli/progress.hpp"
#include "formats/sample_selection.hpp"
#include "certifier/core/error.hpp"
#include "certifier/verify/qnn_mrr.hpp"
#include "formats/dataset.hpp"
#include "formats/model_file.hpp"

#include <iomanip>
#include <sstream>

namespace nncert::cli {

namespace {

struct MrrCliOptions {
  std::string model, data, samples, norm = "linf", encoding = "compact", solver = "cbc";
  std::int64_t start = 10, step = 10;
  double timeout = 60;
};

int run_mrr(const MrrCliOptions& o, const Globals& g) {
  const Model m = load_model(o.model);
  if (!m.qnetwork) throw InputError(o.model, "model", "has no quantized network; mrr needs one (.nnc)");
  const QNetwork& net = *m.qnetwork;
  QMrrOptions mo;
  if (o.start < 1) throw InputError("--start", std::to_string(o.start), "expected a positive integer radius");
  if (o.step < 1) throw InputError("--step", std::to_string(o.step), "expected a positive integer");
  mo.start = o.start;
  mo.step = o.step;
  mo.norm = parse_qnorm(o.norm);
  mo.verify.encoding = parse_qencoding(o.encoding);
  mo.verify.backend = parse_milp_backend(o.solver);
  if (mo.verify.encoding == QEncoding::Qvip) mo.verify.bounds = QBoundsKind::Interval;
  if (!(o.timeout > 0)) throw InputError("--timeout", std::to_string(o.timeout), "expected a positive number of seconds");
  mo.verify.timeout_s = o.timeout;
  mo.verify.seed = g.seed;
  const auto [data, first] = select_samples(o.data, o.samples, net.input_size);
  if (!data.raw || data.labels.empty())
    throw InputError(data.name, "features", "mrr needs a labelled dataset with integer features (raw pixels)");
  nlohmann::json per_sample = nlohmann::json::array();
  std::ostringstream text;
  std::size_t done = 0, inexact = 0, misclassified = 0;
  double sum_radius = 0, seconds = 0;
  ProgressBar bar("mrr", data.size(), !g.json);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const std::size_t id = first + i;
    require_on_input_grid(net, data, i, id);
    const auto x = data.raw_sample(i);
    nlohmann::json s{{"sample", id}, {"label", data.labels[i]}};
    if (predict(net, x) != static_cast<std::size_t>(data.labels[i])) {
      ++misclassified;
      s["verdict"] = "misclassified";
      per_sample.push_back(s);
      bar.update(i + 1);
      continue;
    }
    const QMrrResult r = max_robust_radius(net, x, mo, static_cast<std::size_t>(data.labels[i]));
    ++done;
    inexact += !r.exact;
    sum_radius += static_cast<double>(r.radius);
    seconds += r.seconds;
    s["radius"] = r.radius;
    s["exact"] = r.exact;
    s["seconds"] = r.seconds;
    nlohmann::json calls = nlohmann::json::array();
    for (const auto& [radius, v] : r.calls) calls.push_back({{"radius", radius}, {"verdict", to_string(v)}});
    s["calls"] = calls;
    if (r.non_robust_at) {
      s["non_robust_at"] = *r.non_robust_at;
      s["counterexample"] = r.counterexample;
    }
    per_sample.push_back(s);
    text << "sample " << id << ": mrr " << (r.exact ? "" : ">= ") << r.radius << " (" << r.calls.size() << " radii, "
         << std::setprecision(3) << r.seconds << " s)\n";
    bar.update(i + 1);
  }
  bar.finish();
  const double mean = done ? sum_radius / static_cast<double>(done) : 0;
  text << "maximum robustness radius (" << o.norm << ", " << o.encoding << "): " << done << " samples, mean "
       << std::setprecision(4) << mean << ", inexact " << inexact << ", misclassified " << misclassified << "; "
       << seconds << " s\n";
  emit(g,
       {{"model", o.model}, {"data", data.name}, {"first", first}, {"norm", o.norm}, {"samples_verified", done},
        {"mean_radius", mean}, {"inexact", inexact}, {"misclassified", misclassified}, {"seconds", seconds},
        {"samples", per_sample}},
       text.str());
  return inexact ? kUnknown : kOk;
}

}  // namespace

Command add_mrr(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("mrr", "Maximum robustness radius of a quantized model (QVIP Algorithm 1)");
  auto o = std::make_shared<MrrCliOptions>();
  sub->add_option("model", o->model, "Model file (.nnc with a quantized network)")->required();
  sub->add_option("--data", o->data, "Dataset: fashion-mnist, an IDX images file, or a CSV file")->required();
  sub->add_option("--samples", o->samples, "Sample range A:B (inclusive)");
  sub->add_option("--start", o->start, "First upper radius to try (StartR)")->default_val(10);
  sub->add_option("--step", o->step, "Growth step of the radius range (Step)")->default_val(10);
  sub->add_option("--norm", o->norm, "linf, l1 or l0")->default_val("linf");
  sub->add_option("--encoding", o->encoding, "compact, qvip, smt or portfolio")->default_val("compact");
  sub->add_option("--solver", o->solver, "MILP backend: cbc or glpk")->check(CLI::IsMember({"cbc", "glpk"}))->default_val("cbc");
  sub->add_option("--timeout", o->timeout, "Seconds per radius checked")->default_val(60);
  return {sub, [o, &globals] { return run_mrr(*o, globals); }};
}

}  // namespace nncert::cli
