// `nncert verify MODEL`: prove or refute a VNN-LIB property (--vnnlib) or local robustness on
// dataset samples (--robust linf:EPS --data D --samples A:B) for the float network (DESIGN §4, §7).
// Exit codes: 0 holds, 1 falsified (counterexample replayed), 3 unknown/timeout. Verified results
// are appended to the certificate list of a .nnc model (saved atomically).
#include "certifier/cli/command.hpp"

#include "certifier/cli/app.hpp"
#include "certifier/cli/cmd_abstract.hpp"
#include "certifier/cli/cmd_verify_qnn.hpp"
#include "certifier/cli/progress.hpp"
#include "certifier/cli/robust_spec.hpp"
#include "formats/sample_selection.hpp"
#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/verify/counterexample_search.hpp"
#include "certifier/verify/linear_property.hpp"
#include "certifier/verify/verifier.hpp"
#include "formats/atomic_file.hpp"
#include "formats/dataset.hpp"
#include "formats/model_file.hpp"
#include "formats/nnc.hpp"
#include "formats/vnnlib.hpp"

#include <charconv>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <thread>

namespace nncert::cli {

namespace {


struct VerifyCliOptions {
  std::string model, vnnlib, method = "auto", results, robust, data, samples, domain = "0:1", solver = "cbc";
  std::string encoding;  // quantized-network encoding; selects the QNN path (see run_verify)
  std::string via_abstraction;  // DeepAbstract proof lifting (cmd_abstract.cpp)
  std::string shard;            // --shard K/N over the samples
  bool compare_direct = false;
  double timeout = 60, delta = 0;
  int threads = 0;
  std::string export_ilp;    // quantized: write each decided query as MPS here
  bool cross_check = false;  // quantized: re-decide every verdict with a second core
};

nlohmann::json vec_json(const Vector& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

VerifyOptions verify_options(const VerifyCliOptions& o, const Globals& g) {
  VerifyOptions vo;
  vo.method = parse_method(o.method);
  if (!(o.timeout > 0)) throw InputError("--timeout", std::to_string(o.timeout), "expected a positive number of seconds");
  vo.timeout_s = o.timeout;
  vo.seed = g.seed;
  vo.threads = o.threads;
  vo.milp_backend = parse_milp_backend(o.solver);
  return vo;
}

nlohmann::json result_json(const VerifyResult& r) {
  nlohmann::json j{{"verdict", to_string(r.verdict)}, {"method", r.method}, {"seconds", r.seconds},
                   {"nodes", r.nodes}, {"timed_out", r.timed_out}};
  if (!r.detail.empty()) j["detail"] = r.detail;
  if (r.counterexample) j["counterexample"] = {{"x", vec_json(r.counterexample->x)}, {"y", vec_json(r.counterexample->y)}};
  return j;
}

Certificate certificate(const Network& net, const std::string& property, const VerifyResult& r, double bound) {
  Certificate c;
  c.property = property;
  c.method = r.method;
  c.verdict = to_string(r.verdict);
  c.bound = bound;
  c.seconds = r.seconds;
  c.tool_version = kToolVersion;
  c.weights_digest = digest(net);
  c.network = "float";
  return c;
}

bool is_nnc(const std::string& path) { return std::filesystem::path(path).extension() == ".nnc"; }

int exit_code(std::size_t falsified, std::size_t unknown) {
  if (falsified) return kFalsified;
  if (unknown) return kUnknown;
  return kOk;
}

void write_results(const std::string& path, const VerifyResult& r) {
  if (path.empty()) return;
  const VnnResult vr = r.verdict == Verdict::Verified    ? VnnResult::Unsat
                       : r.verdict == Verdict::Falsified ? VnnResult::Sat
                       : r.timed_out                     ? VnnResult::Timeout
                                                         : VnnResult::Unknown;
  write_file_atomic(path, format_vnn_result(vr, r.counterexample ? &r.counterexample->x : nullptr,
                                            r.counterexample ? &r.counterexample->y : nullptr));
}

std::string vnnlib_property_name(const std::string& path) {
  return "vnnlib:" + std::filesystem::path(path).filename().string();
}

void print_vector(std::ostream& text, const char* name, const Vector& v) {
  text << "  " << name << " =";
  for (Eigen::Index i = 0; i < v.size(); ++i) text << " " << std::setprecision(17) << v[i];
  text << "\n";
}

// nncert's VNN-LIB superset (integer inputs, a second copy, atoms mixing inputs and outputs): the
// complete search the repair loop certifies with (sampling and attack, then the MILP over the
// copies with 0/1 inputs), asked for one counterexample.
int run_linear_vnnlib(const VerifyCliOptions& o, const Globals& g, Model& m, const LinearProperty& lp) {
  const Network& net = m.network;
  const VerifyOptions vo = verify_options(o, g);
  SearchOptions so;
  so.max_counterexamples = 1;
  so.deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                        std::chrono::duration<double>(vo.timeout_s));
  so.backend = vo.milp_backend;
  so.threads = vo.threads > 0 ? vo.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  so.seed = vo.seed;
  const SearchResult sr = find_counterexamples(net, lp, so);
  VerifyResult r;
  r.verdict = sr.verdict;
  r.method = "milp-search";
  r.seconds = sr.seconds;
  r.detail = sr.detail;
  r.timed_out = sr.verdict == Verdict::Unknown && std::chrono::steady_clock::now() >= so.deadline;
  if (!sr.counterexamples.empty() && lp.copies == 1) {
    const Assignment& a = sr.counterexamples.front().point;
    r.counterexample = Counterexample{a.x[0], a.y[0]};
  }
  write_results(o.results, r);
  if (r.verdict == Verdict::Verified && is_nnc(o.model)) {
    m.certificates.push_back(certificate(net, vnnlib_property_name(o.vnnlib), r, 0));
    save_nnc(m, o.model);
  }
  std::ostringstream text;
  text << "property: " << o.vnnlib << " (" << lp.copies << (lp.copies > 1 ? " copies, " : " copy, ") << lp.cases.size()
       << " case(s))\n"
       << "verdict: " << to_string(r.verdict) << " (" << r.method << ", " << std::setprecision(3) << r.seconds << " s, "
       << sr.milp_solves << " MILP solves)\n";
  if (!r.detail.empty()) text << "detail: " << r.detail << "\n";
  nlohmann::json res = result_json(r);
  res["milp_solves"] = sr.milp_solves;
  if (!sr.counterexamples.empty()) {
    const LinearCounterexample& c = sr.counterexamples.front();
    text << "counterexample (replayed on the network, case " << c.case_index << "):\n";
    nlohmann::json copies = nlohmann::json::array();
    for (std::size_t k = 0; k < c.point.x.size(); ++k) {
      print_vector(text, k == 0 ? "x" : "x'", c.point.x[k]);
      print_vector(text, k == 0 ? "y" : "y'", c.point.y[k]);
      copies.push_back({{"x", vec_json(c.point.x[k])}, {"y", vec_json(c.point.y[k])}});
    }
    res["counterexample"] = {{"case", c.case_index}, {"copies", copies}};
  }
  nlohmann::json doc{{"model", o.model}, {"property", o.vnnlib}, {"result", res}};
  emit(g, doc, text.str());
  return exit_code(r.verdict == Verdict::Falsified, r.verdict == Verdict::Unknown);
}

int run_vnnlib(const VerifyCliOptions& o, const Globals& g, Model& m) {
  const Network& net = m.network;
  const VnnlibSpec spec = load_vnnlib(o.vnnlib, net.input_size, output_size(net));
  const LinearProperty lp = linear_property_from_vnnlib(spec, o.vnnlib);
  if (!to_box_property(lp)) return run_linear_vnnlib(o, g, m, lp);
  const Property p = property_from_vnnlib(spec, o.vnnlib);
  const VerifyResult r = verify(net, p, verify_options(o, g));
  write_results(o.results, r);
  const std::string prop_name = vnnlib_property_name(o.vnnlib);
  if (r.verdict == Verdict::Verified && is_nnc(o.model)) {
    m.certificates.push_back(certificate(net, prop_name, r, 0));
    save_nnc(m, o.model);
  }
  std::ostringstream text;
  text << "property: " << o.vnnlib << " (" << p.cases.size() << " input box(es))\n"
       << "verdict: " << to_string(r.verdict) << " (" << r.method << ", " << std::setprecision(3) << r.seconds << " s";
  if (r.nodes) text << ", " << r.nodes << " nodes";
  text << ")\n";
  if (!r.detail.empty()) text << "detail: " << r.detail << "\n";
  if (r.counterexample) {
    text << "counterexample (replayed on the network):\n";
    print_vector(text, "x", r.counterexample->x);
    print_vector(text, "y", r.counterexample->y);
  }
  nlohmann::json doc{{"model", o.model}, {"property", o.vnnlib}, {"result", result_json(r)}};
  emit(g, doc, text.str());
  return exit_code(r.verdict == Verdict::Falsified, r.verdict == Verdict::Unknown);
}

int run_robust(const VerifyCliOptions& o, const Globals& g, Model& m) {
  const Network& net = m.network;
  const auto [eps, dlo, dhi] = parse_linf_ball(o.robust, o.domain);
  if (o.data.empty()) throw InputError("--robust", "--data", "local robustness needs --data");
  const auto [data, first] = select_samples(o.data, o.samples, net.input_size);
  const bool regression = data.labels.empty();
  if (regression && !(o.delta > 0)) throw InputError("--delta", "missing", "regression robustness needs --delta D > 0");
  const VerifyOptions vo = verify_options(o, g);
  std::size_t verified = 0, falsified = 0, unknown = 0, misclassified = 0;
  double seconds = 0;
  nlohmann::json per_sample = nlohmann::json::array();
  std::ostringstream text;
  const Shard shard = parse_shard(o.shard);
  ProgressBar bar("verify", data.size(), !g.json);
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (!shard.contains(first + i)) continue;
    const Vector x = data.X.col(static_cast<Eigen::Index>(i));
    const Vector y = evaluate(net, x);
    Property p;
    nlohmann::json s{{"sample", first + i}};
    if (!regression) {
      const int label = data.labels[i];
      s["label"] = label;
      if (argmax_first(y) != label) {
        ++misclassified;
        s["verdict"] = "misclassified";
        per_sample.push_back(s);
        bar.update(i + 1);
        continue;
      }
      p = local_robustness(x, eps, label, output_size(net), dlo, dhi);
    } else {
      p = regression_robustness(x, eps, y, o.delta, dlo, dhi);
    }
    const VerifyResult r = verify(net, p, vo);
    seconds += r.seconds;
    verified += r.verdict == Verdict::Verified;
    falsified += r.verdict == Verdict::Falsified;
    unknown += r.verdict == Verdict::Unknown;
    s["result"] = result_json(r);
    per_sample.push_back(s);
    text << "sample " << first + i << ": " << to_string(r.verdict) << " (" << r.method << ", " << std::setprecision(3)
         << r.seconds << " s)\n";
    if (r.verdict == Verdict::Verified && is_nnc(o.model))
      m.certificates.push_back(certificate(net, "robust linf:" + o.robust.substr(5) + " sample " + std::to_string(first + i) +
                                                    " of " + data.name,
                                           r, eps));
    bar.update(i + 1, std::to_string(verified) + " verified");
  }
  bar.finish();
  if (verified && is_nnc(o.model)) save_nnc(m, o.model);
  text << "robustness linf:" << o.robust.substr(5) << " on " << data.name << " samples " << first << ".."
       << first + data.size() - 1 << ": verified " << verified << ", falsified " << falsified << ", unknown "
       << unknown << ", misclassified " << misclassified << " (" << std::setprecision(3) << seconds << " s)\n";
  nlohmann::json doc{{"model", o.model},       {"robust", o.robust},     {"data", data.name},
                     {"first", first},         {"verified", verified},   {"falsified", falsified},
                     {"unknown", unknown},     {"misclassified", misclassified}, {"seconds", seconds},
                     {"samples", per_sample}};
  if (shard.count > 1) doc["shard"] = shard.spec();
  emit(g, doc, text.str());
  return exit_code(falsified, unknown);
}

// The quantized path (exact ILP on the QNetwork, DESIGN §4) plugs in here.
int run_quantized(const VerifyCliOptions& o, const Globals& g, Model& m) {
  return run_verify_qnn({o.model, o.robust, o.data, o.samples, o.encoding.empty() ? "compact" : o.encoding, o.solver,
                         o.results, o.timeout, o.delta, o.threads, o.shard, o.export_ilp, o.cross_check},
                        g, m);
}

int run_verify(const VerifyCliOptions& o, const Globals& g) {
  parse_shard(o.shard);  // a bad K/N is bad usage before any work
  if (!o.shard.empty() && (o.robust.empty() || !o.via_abstraction.empty()))
    throw InputError("--shard", o.shard, "shards split the samples of --robust; this run has no sample batch");
  Model m = load_model(o.model);
  if (o.vnnlib.empty() == o.robust.empty())
    throw InputError("verify", "options", "give exactly one of --vnnlib FILE or --robust linf:EPS");
  // Dispatch: an --encoding on a model with a QNetwork selects exact QNN verification; everything
  // else verifies the float network.
  if (!o.via_abstraction.empty())
    return run_verify_via_abstraction({o.model, o.via_abstraction, o.robust, o.data, o.samples, o.domain, o.compare_direct}, g, m);
  if (!o.encoding.empty() || (m.qnetwork && o.vnnlib.empty())) {
    if (!m.qnetwork) throw InputError(o.model, "model", "--encoding needs a model with a quantized network (.nnc)");
    return run_quantized(o, g, m);
  }
  return o.vnnlib.empty() ? run_robust(o, g, m) : run_vnnlib(o, g, m);
}

}  // namespace

Command add_verify(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("verify", "Verify a VNN-LIB property or local robustness (exit 0 holds, 1 falsified, 3 unknown)");
  auto o = std::make_shared<VerifyCliOptions>();
  sub->add_option("model", o->model, "Model file (.onnx or .nnc)")->required();
  sub->add_option("--vnnlib", o->vnnlib, "VNN-LIB property file (states the counterexample region)");
  sub->add_option("--robust", o->robust, "Local robustness: linf:EPS (in normalised input units)");
  sub->add_option("--data", o->data, "Dataset for --robust: fashion-mnist, an IDX images file, or a CSV file");
  sub->add_option("--samples", o->samples, "Sample range A:B (inclusive) for --robust");
  sub->add_option("--shard", o->shard,
                  "K/N: only the samples whose dataset index is K-1 mod N (join the parts with `nncert merge`)");
  sub->add_option("--domain", o->domain, "Input domain the L-inf ball is clipped to, LO:HI")->default_val("0:1");
  sub->add_option("--delta", o->delta, "Regression robustness: |y - y0|_inf < DELTA");
  sub->add_option("--method", o->method, "auto, interval, deeppoly, milp or bab")
      ->check(CLI::IsMember({"auto", "interval", "deeppoly", "milp", "bab"}))
      ->default_val("auto");
  sub->add_option("--timeout", o->timeout, "Seconds per property (per sample with --robust)")->default_val(60);
  sub->add_option("--results", o->results, "Write a VNN-COMP result file (sat/unsat/timeout/unknown)");
  sub->add_option("--solver", o->solver, "MILP backend: cbc or glpk")->check(CLI::IsMember({"cbc", "glpk"}))->default_val("cbc");
  sub->add_option("--threads,--jobs", o->threads, "Threads (0 = all cores)")->default_val(0);
  sub->add_option("--encoding", o->encoding, "Verify the quantized network with this exact encoding");
  sub->add_option("--via-abstraction", o->via_abstraction, "DeepPoly on this `nncert abstract` model, proofs lifted to MODEL");
  sub->add_flag("--compare-direct", o->compare_direct, "With --via-abstraction: also run DeepPoly on MODEL directly");
  sub->add_option("--export-ilp", o->export_ilp, "Quantized: write each decided query as an MPS file into DIR")
      ->type_name("DIR");
  sub->add_flag("--cross-check", o->cross_check, "Quantized: re-decide every verdict with a second solver (exit 4 on disagreement)");
  return {sub, [o, &globals] { return run_verify(*o, globals); }};
}

}  // namespace nncert::cli
