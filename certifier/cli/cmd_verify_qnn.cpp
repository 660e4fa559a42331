#include "certifier/cli/cmd_verify_qnn.hpp"

#include "certifier/cli/app.hpp"
#include "certifier/cli/progress.hpp"
#include "formats/sample_selection.hpp"
#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/verify/qnn_cross_check.hpp"
#include "certifier/verify/qnn_export.hpp"
#include "certifier/verify/qnn_robustness.hpp"
#include "formats/atomic_file.hpp"
#include "formats/dataset.hpp"
#include "formats/nnc.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <iomanip>
#include <sstream>

namespace nncert::cli {

namespace {


std::string join(const std::vector<std::int64_t>& v) {
  std::ostringstream s;
  for (std::size_t i = 0; i < v.size(); ++i) s << (i ? " " : "") << v[i];
  return s.str();
}

}  // namespace

std::pair<QNorm, std::int64_t> parse_qnn_robust(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos)
    throw InputError("--robust", "'" + spec + "'", "expected NORM:R with NORM linf, l1 or l0 and an integer radius R");
  const QNorm norm = parse_qnorm(spec.substr(0, colon));
  const std::string r = spec.substr(colon + 1);
  std::int64_t radius = 0;
  const auto [end, ec] = std::from_chars(r.data(), r.data() + r.size(), radius);
  if (ec != std::errc() || end != r.data() + r.size() || r.empty() || radius < 0)
    throw InputError("--robust", "'" + spec + "'",
                     "expected a non-negative integer radius in input grid units (e.g. linf:2 = two pixel values)");
  return {norm, radius};
}

int run_verify_qnn(const QnnVerifyRequest& rq, const Globals& g, Model& m) {
  if (!m.qnetwork) throw InputError(rq.model, "model", "has no quantized network; quantize it first (nncert quantize)");
  const QNetwork& net = *m.qnetwork;
  if (rq.robust.empty()) throw InputError("verify", "--robust", "quantized verification needs --robust NORM:R");
  const auto [norm, radius] = parse_qnn_robust(rq.robust);
  QVerifyOptions vo;
  vo.encoding = parse_qencoding(rq.encoding);
  vo.backend = parse_milp_backend(rq.solver);
  if (vo.encoding == QEncoding::Qvip) vo.bounds = QBoundsKind::Interval;  // the paper's interval analysis
  if (!(rq.timeout > 0)) throw InputError("--timeout", std::to_string(rq.timeout), "expected a positive number of seconds");
  vo.timeout_s = rq.timeout;
  vo.threads = std::max(1, rq.threads);
  vo.seed = g.seed;
  vo.keep_queries = !rq.export_ilp.empty();
  if (rq.data.empty()) throw InputError("verify", "--data", "local robustness needs --data");
  const auto [data, first] = select_samples(rq.data, rq.samples, net.input_size);
  if (!data.raw) throw InputError(data.name, "features", "the quantized network needs integer features (raw pixels)");
  const bool regression = data.labels.empty();
  if (regression && !(rq.delta >= 0)) throw InputError("--delta", "missing", "regression robustness needs --delta D >= 0");

  std::size_t robust = 0, falsified = 0, unknown = 0, misclassified = 0;
  std::vector<double> times;
  nlohmann::json per_sample = nlohmann::json::array();
  std::ostringstream text, results;
  const QRobustness question{norm, radius, rq.delta, vo, qnn_method(vo)};
  const std::string& method = question.method;
  const Shard shard = parse_shard(rq.shard);
  ProgressBar bar("verify", data.size(), !g.json);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const std::size_t id = first + i;
    if (!shard.contains(id)) continue;
    require_on_input_grid(net, data, i, id);
    const auto x = data.raw_sample(i);
    nlohmann::json s{{"sample", id}};
    if (!regression) s["label"] = data.labels[i];
    const QSampleVerdict sample = verify_sample(net, x, regression ? std::nullopt : std::optional<int>(data.labels[i]), question);
    if (sample.misclassified) {  // QVIP: correctly classified samples only
      ++misclassified;
      s["verdict"] = "misclassified";
      per_sample.push_back(s);
      bar.update(i + 1);
      continue;
    }
    const QProperty& p = sample.property;
    const QVerifyResult& r = sample.result;
    // Re-checkable evidence, appended to the certificate's method (the .nnc schema has no field
    // for it yet): the manifest of the exported queries and the second opinion.
    std::string evidence;
    if (!rq.export_ilp.empty() && r.verdict != QVerdict::Unknown) {
      const QExport e = export_ilp_queries(r.queries, rq.export_ilp, "sample-" + std::to_string(id));
      nlohmann::json files = nlohmann::json::array();
      for (const QExportedQuery& f : e.files) files.push_back({{"file", f.file}, {"sha256", f.sha256}, {"core", f.core}});
      s["ilp_files"] = files;
      if (!e.files.empty()) {
        evidence += "; " + evidence_line(e);
        s["ilp_manifest"] = {{"file", e.manifest}, {"sha256", e.manifest_sha256}};
      }
    }
    if (rq.cross_check && r.verdict != QVerdict::Unknown) {
      const QSecondOpinion second = cross_check(net, p, vo, r);
      evidence += "; " + evidence_line(second);
      s["cross_check"] = {{"core", second.core}, {"verdict", to_string(second.verdict)}, {"seconds", second.seconds}};
    }
    times.push_back(r.seconds);
    robust += r.verdict == QVerdict::Verified;
    falsified += r.verdict == QVerdict::Falsified;
    unknown += r.verdict == QVerdict::Unknown;
    s["verdict"] = to_string(r.verdict);
    s["decided_by"] = r.decided_by;
    s["seconds"] = r.seconds;
    if (!r.detail.empty()) s["detail"] = r.detail;
    if (r.verdict == QVerdict::Falsified) {
      s["counterexample"] = r.counterexample;
      s["output"] = evaluate(net, r.counterexample);
    }
    per_sample.push_back(s);
    text << "sample " << id << ": " << (r.verdict == QVerdict::Verified ? "robust" : r.verdict == QVerdict::Falsified ? "non-robust" : "unknown")
         << " (" << r.decided_by << ", " << std::setprecision(3) << r.seconds << " s)";
    if (!r.detail.empty() && r.verdict == QVerdict::Unknown) text << " " << r.detail;
    text << "\n";
    const std::string property = sample_property(p, id, data.name);
    results << std::filesystem::path(rq.model).filename().string() << "," << property << ","
            << (r.verdict == QVerdict::Verified ? "unsat" : r.verdict == QVerdict::Falsified ? "sat"
                : r.detail.rfind("timeout", 0) == 0 ? "timeout" : "unknown")
            << "," << r.seconds;
    if (r.verdict == QVerdict::Falsified) results << "," << join(r.counterexample);
    results << "\n";
    if (r.verdict == QVerdict::Verified)
      m.certificates.push_back(robustness_certificate(net, sample, question, property, evidence));
    bar.update(i + 1, std::to_string(robust) + " robust");
  }
  bar.finish();
  if (robust && std::filesystem::path(rq.model).extension() == ".nnc") save_nnc(m, rq.model);
  if (!rq.results.empty()) write_file_atomic(rq.results, results.str());
  double total = 0, median = 0;
  for (double t : times) total += t;
  if (!times.empty()) {
    std::sort(times.begin(), times.end());
    median = times.size() % 2 ? times[times.size() / 2] : (times[times.size() / 2 - 1] + times[times.size() / 2]) / 2;
  }
  text << "robustness " << rq.robust << " on " << data.name << " samples " << first << ".." << first + data.size() - 1
       << " (" << method << "): tasks " << times.size() << ", robust " << robust << ", non-robust " << falsified
       << ", unknown " << unknown << ", misclassified " << misclassified << "; total " << std::setprecision(4) << total
       << " s, median " << median << " s\n";
  nlohmann::json doc{{"model", rq.model},     {"robust", rq.robust},   {"data", data.name},    {"first", first},
                     {"method", method},      {"tasks", times.size()}, {"verified", robust},   {"falsified", falsified},
                     {"unknown", unknown},    {"misclassified", misclassified}, {"seconds", total},
                     {"median_seconds", median}, {"samples", per_sample}};
  if (shard.count > 1) doc["shard"] = shard.spec();
  emit(g, doc, text.str());
  if (falsified) return kFalsified;
  if (unknown) return kUnknown;
  return kOk;
}

}  // namespace nncert::cli
