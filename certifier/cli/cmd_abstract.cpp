// `nncert abstract MODEL --data D -o OUT.nnc`: DeepAbstract (Ashok et al., ATVA'20) clustering-
// based abstraction, Algorithm 2 (--max-drop, the paper's alpha as an allowed loss of test
// accuracy) or Algorithm 1 with fixed per-layer cluster counts / removal counts. Also the
// `nncert verify MODEL --robust linf:EPS --via-abstraction ABS.nnc` path: DeepPoly on the
// abstract network, proof lifting to the original (certifier/abstract/lifting.hpp).
//
// Layers are numbered as in the paper: the input is layer 1, the first hidden layer is layer 2.
// The abstraction map travels in the output model's provenance.training_config, as JSON:
//   {"deepabstract": {"original_digest": SHA-256 of the original float network,
//                     "representatives": [[rep of each neuron] per hidden layer],
//                     "eps": [[Eq. 3 distance of each neuron] per hidden layer], ...}}
// Lifting recomputes the abstract network from the original and the map and refuses a file
// whose network does not match, so a proof is only ever lifted through Algorithm 1's network.
#include "certifier/cli/command.hpp"

#include "certifier/abstract/abstraction.hpp"
#include "certifier/abstract/activations.hpp"
#include "certifier/abstract/clustering.hpp"
#include "certifier/abstract/error_bounds.hpp"
#include "certifier/abstract/identify_clusters.hpp"
#include "certifier/abstract/lifting.hpp"
#include "certifier/cli/app.hpp"
#include "certifier/cli/cmd_abstract.hpp"
#include "certifier/cli/robust_spec.hpp"
#include "certifier/cli/progress.hpp"
#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/verify/verifier.hpp"
#include "formats/dataset.hpp"
#include "formats/model_file.hpp"
#include "formats/nnc.hpp"

#include <charconv>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <sstream>

namespace nncert::cli {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct AbstractOptions {
  std::string model, data, output, k, remove;
  double max_drop = 0.01;
  std::size_t cluster_samples = 1000;
};

// "3:40,4:30" -> {layer -> value} with paper layer numbers (first hidden = 2).
std::vector<std::pair<std::size_t, std::size_t>> parse_layer_list(const std::string& s, const std::string& option) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    const std::size_t end = std::min(s.find(',', pos), s.size());
    const std::string item = s.substr(pos, end - pos);
    const auto colon = item.find(':');
    std::size_t a = 0, b = 0;
    auto num = [&](const std::string& t, std::size_t& v) {
      const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      return ec == std::errc() && p == t.data() + t.size() && !t.empty();
    };
    if (colon == std::string::npos || !num(item.substr(0, colon), a) || !num(item.substr(colon + 1), b))
      throw InputError(option, "'" + item + "'", "expected LAYER:COUNT items separated by commas (first hidden layer = 2)");
    out.emplace_back(a, b);
    pos = end + 1;
  }
  return out;
}

std::vector<std::size_t> widths_of(const ReluChain& c) {
  std::vector<std::size_t> w;
  for (std::size_t i = 0; i + 1 < c.depth(); ++i) w.push_back(static_cast<std::size_t>(c.layers[i].b.size()));
  return w;
}

nlohmann::json vec_json(const Vector& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

int run_abstract(const AbstractOptions& o, const Globals& g) {
  const auto t0 = Clock::now();
  if (std::filesystem::path(o.output).extension() != ".nnc")
    throw InputError("-o", o.output, "the abstraction map is stored in the model's provenance: write a .nnc file");
  if (!(o.max_drop >= 0 && o.max_drop <= 1)) throw InputError("--max-drop", std::to_string(o.max_drop), "expected 0 <= DROP <= 1");
  const Model in = load_model(o.model);
  const ReluChain chain = to_relu_chain(in.network);
  if (chain.depth() < 2) throw InputError(o.model, "network", "has no hidden layer to abstract");
  const Dataset test = load_dataset(o.data, "test");
  if (test.features() != chain.input_size)
    throw InputError(test.name, "features", "has " + std::to_string(test.features()) + " features, the model expects " +
                                                std::to_string(chain.input_size));
  if (test.labels.empty()) throw InputError(test.name, "labels", "abstraction measures accuracy: a classification dataset is needed");
  // X: the inputs the activation vectors are taken over (a seeded sample of the training split).
  Dataset train = load_dataset(o.data, "train");
  if (train.features() != chain.input_size) throw InputError(train.name, "features", "does not match the model");
  if (o.cluster_samples == 0) throw InputError("--cluster-samples", "0", "expected at least one sample");
  Matrix X;
  if (o.cluster_samples >= train.size()) {
    X = train.X;
  } else {
    const double frac = static_cast<double>(o.cluster_samples) / static_cast<double>(train.size());
    X = split(train, frac, g.seed).second.X;
  }
  train = Dataset{};  // the full training set is not needed any more
  const std::size_t hidden = chain.depth() - 1;
  const double acc0 = accuracy(chain, test.X, test.labels);
  const auto widths = widths_of(chain);

  ClusteredAbstraction ca;
  std::string mode;
  std::vector<std::size_t> clusters = widths;
  std::size_t evaluations = 0;
  if (!o.k.empty() || !o.remove.empty()) {
    mode = "fixed";
    auto apply = [&](const std::string& spec, const std::string& option, bool removal) {
      if (spec.empty()) return;
      for (const auto& [layer, v] : parse_layer_list(spec, option)) {
        if (layer < 2 || layer > hidden + 1)
          throw InputError(option, "layer " + std::to_string(layer),
                           "hidden layers are numbered 2.." + std::to_string(hidden + 1) + " (the input is layer 1)");
        const std::size_t n = widths[layer - 2];
        if (removal ? v >= n : (v < 1 || v > n))
          throw InputError(option, std::to_string(layer) + ":" + std::to_string(v),
                           removal ? "must leave at least one of the layer's " + std::to_string(n) + " neurons"
                                   : "expected 1 <= k <= " + std::to_string(n));
        clusters[layer - 2] = removal ? n - v : v;
      }
    };
    apply(o.k, "--k", false);
    apply(o.remove, "--remove", true);
    ProgressBar bar("abstract", 1, !g.json);
    ca = abstract_by_clustering(chain, X, clusters, g.seed);
    bar.finish();
  } else {
    mode = "algorithm2";
    ProgressBar bar("abstract", hidden, !g.json);
    const ClusterSearch s = identify_clusters(chain, X, test.X, test.labels, acc0 - o.max_drop, g.seed,
                                              [&](std::size_t h, std::size_t) { bar.update(h + 1); });
    bar.finish();
    ca = s.abstraction;
    clusters = s.clusters;
    evaluations = s.evaluations;
  }
  const double acc1 = accuracy(ca.abstract, test.X, test.labels);
  const double seconds = since(t0);
  const std::size_t n0 = hidden_neurons(chain), n1 = hidden_neurons(ca.abstract);
  const double reduction = 100.0 * static_cast<double>(n0 - n1) / static_cast<double>(n0);
  const auto err = clustering_error(chain, ca.eps);

  nlohmann::json reps = nlohmann::json::array(), eps = nlohmann::json::array();
  for (std::size_t h = 0; h < hidden; ++h) {
    reps.push_back(ca.map.rep[h]);
    eps.push_back(vec_json(ca.eps[h]));
  }
  nlohmann::json config{{"deepabstract",
                         {{"original", std::filesystem::path(o.model).filename().string()},
                          {"original_digest", digest(in.network)},
                          {"layer_numbering", "paper: input = 1, first hidden = 2"},
                          {"mode", mode},
                          {"max_drop", o.max_drop},
                          {"clusters", clusters},
                          {"cluster_samples", X.cols()},
                          {"representatives", reps},
                          {"eps", eps},
                          {"theorem1_output_error_on_X", vec_json(err.back())},
                          {"abstraction_seconds", seconds}}}};
  if (!in.provenance.training_config.empty()) {
    const auto base = nlohmann::json::parse(in.provenance.training_config, nullptr, false);
    config["base"] = base.is_discarded() ? nlohmann::json(in.provenance.training_config) : base;
  }
  Model out;
  out.network = to_network(ca.abstract);
  out.provenance.source = "abstract:" + std::filesystem::path(o.model).filename().string();
  out.provenance.dataset = test.name;
  out.provenance.dataset_digest = in.provenance.dataset_digest;
  out.provenance.training_config = config.dump();
  out.provenance.seed = g.seed;
  save_model(out, o.output);

  const auto widths1 = widths_of(ca.abstract);
  std::ostringstream text;
  text << std::fixed << std::setprecision(2);
  text << "abstracted " << o.model << " -> " << o.output << " (" << (mode == "fixed" ? "fixed clusters" : "Algorithm 2")
       << ", " << X.cols() << " samples for clustering)\n";
  text << "layer  width  clusters  removed  max eps\n";
  for (std::size_t h = 0; h < hidden; ++h)
    text << std::setw(5) << h + 2 << std::setw(7) << widths[h] << std::setw(10) << widths1[h] << std::setw(9)
         << widths[h] - widths1[h] << std::setw(9) << ca.eps[h].maxCoeff() << "\n";
  text << "hidden neurons " << n0 << " -> " << n1 << " (reduction " << reduction << "%)\n"
       << "test accuracy " << 100 * acc0 << "% -> " << 100 * acc1 << "% (drop " << 100 * (acc0 - acc1) << " points)\n"
       << std::setprecision(1) << "time " << seconds << " s\n";
  nlohmann::json doc{{"model", o.model},
                     {"output", o.output},
                     {"mode", mode},
                     {"widths", widths},
                     {"abstract_widths", widths1},
                     {"removed", [&] {
                        std::vector<std::size_t> r;
                        for (std::size_t h = 0; h < hidden; ++h) r.push_back(widths[h] - widths1[h]);
                        return r;
                      }()},
                     {"hidden_neurons", n0},
                     {"abstract_hidden_neurons", n1},
                     {"reduction_percent", reduction},
                     {"accuracy", acc0},
                     {"abstract_accuracy", acc1},
                     {"accuracy_drop", acc0 - acc1},
                     {"max_eps", [&] {
                        std::vector<double> e;
                        for (const auto& v : ca.eps) e.push_back(v.maxCoeff());
                        return e;
                      }()},
                     {"evaluations", evaluations},
                     {"seconds", seconds}};
  emit(g, doc, text.str());
  return kOk;
}

// The abstraction map of `abs` (see the header comment), checked against the original.
AbstractionMap load_map(const Model& abs, const std::string& abs_path, const Network& original, const ReluChain& chain,
                        double* abstraction_seconds) {
  const auto cfg = nlohmann::json::parse(abs.provenance.training_config, nullptr, false);
  if (cfg.is_discarded() || !cfg.is_object() || !cfg.contains("deepabstract"))
    throw InputError(abs_path, "provenance", "carries no DeepAbstract abstraction map (make it with `nncert abstract`)");
  const auto& da = cfg["deepabstract"];
  if (!da.contains("original_digest") || da["original_digest"] != digest(original))
    throw InputError(abs_path, "original_digest", "the abstraction was made from a different network");
  AbstractionMap map;
  try {
    map.rep = da.at("representatives").get<std::vector<std::vector<std::size_t>>>();
    *abstraction_seconds = da.value("abstraction_seconds", 0.0);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(abs_path, "representatives", std::string("malformed abstraction map: ") + e.what());
  }
  check_map(chain, map);
  const ReluChain expect = apply_abstraction(chain, map);
  const ReluChain stored = to_relu_chain(abs.network);
  bool same = stored.depth() == expect.depth();
  for (std::size_t l = 0; same && l < expect.depth(); ++l) {
    const Dense &a = expect.layers[l], &b = stored.layers[l];
    same = a.W.rows() == b.W.rows() && a.W.cols() == b.W.cols() &&
           (a.W - b.W).cwiseAbs().maxCoeff() <= 1e-12 * (1 + a.W.cwiseAbs().maxCoeff()) &&
           (a.b - b.b).cwiseAbs().maxCoeff() <= 1e-12 * (1 + a.b.cwiseAbs().maxCoeff());
  }
  if (!same) throw InputError(abs_path, "network", "is not Algorithm 1's merge of the original under its abstraction map");
  return map;
}

}  // namespace

int run_verify_via_abstraction(const ViaAbstractionOptions& o, const Globals& g, Model& m) {
  const auto [eps, dlo, dhi] = parse_linf_ball(o.robust, o.domain);
  if (o.data.empty()) throw InputError("--robust", "--data", "local robustness needs --data");
  const ReluChain chain = to_relu_chain(m.network);
  const Model abs = load_model(o.abstraction);
  double abstraction_seconds = 0;
  const AbstractionMap map = load_map(abs, o.abstraction, m.network, chain, &abstraction_seconds);
  const ReluChain abstract = apply_abstraction(chain, map);

  Dataset data = load_dataset(o.data, "test");
  std::size_t first = 0;
  if (!o.samples.empty()) {
    const auto c = o.samples.find(':');
    std::size_t a = 0, b = 0;
    const std::string sa = o.samples.substr(0, c), sb = c == std::string::npos ? sa : o.samples.substr(c + 1);
    const auto r1 = std::from_chars(sa.data(), sa.data() + sa.size(), a);
    const auto r2 = std::from_chars(sb.data(), sb.data() + sb.size(), b);
    if (sa.empty() || sb.empty() || r1.ec != std::errc() || r2.ec != std::errc() || r1.ptr != sa.data() + sa.size() ||
        r2.ptr != sb.data() + sb.size() || b < a)
      throw InputError("--samples", "'" + o.samples + "'", "expected A:B with non-negative integers A <= B");
    data = subset(data, a, b);
    first = a;
  }
  if (data.features() != chain.input_size)
    throw InputError(data.name, "features", "has " + std::to_string(data.features()) + " features, the model expects " +
                                                std::to_string(chain.input_size));
  if (data.labels.empty()) throw InputError(data.name, "labels", "--via-abstraction proves classification robustness");

  EigenSingleThread single;
  std::size_t lifted = 0, not_lifted = 0, abstract_robust = 0, misclassified = 0, direct_verified = 0;
  double dp_seconds = 0, lift_seconds = 0, direct_seconds = 0;
  nlohmann::json per_sample = nlohmann::json::array();
  std::ostringstream text;
  text << std::setprecision(3);
  ProgressBar bar("verify", data.size(), !g.json);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const Vector x = data.X.col(static_cast<Eigen::Index>(i));
    const int label = data.labels[i];
    nlohmann::json s{{"sample", first + i}, {"label", label}};
    if (argmax_first(evaluate(chain, Matrix(x)).col(0)) != label) {
      ++misclassified;
      s["verdict"] = "misclassified";
      per_sample.push_back(s);
      text << "sample " << first + i << ": misclassified\n";
      bar.update(i + 1);
      continue;
    }
    const Property p = local_robustness(x, eps, label, chain.output_size(), dlo, dhi);
    const Box& box = p.cases.at(0).box;
    const LiftedRobustness r = lift_robustness(chain, map, abstract, box, label);
    dp_seconds += r.deeppoly_seconds;
    lift_seconds += r.lift_seconds;
    abstract_robust += r.abstract_robust;
    lifted += r.lifted;
    not_lifted += !r.lifted;
    s["verdict"] = r.lifted ? "verified" : "unknown";
    s["abstract_robust"] = r.abstract_robust;
    s["lifted"] = r.lifted;
    s["deeppoly_abstract_seconds"] = r.deeppoly_seconds;
    s["lift_seconds"] = r.lift_seconds;
    s["abstract_margin"] = r.abstract_margin.minCoeff();
    if (r.abstract_robust) {
      s["lifted_margin"] = r.lifted_margin.minCoeff();
      s["lift_stage"] = r.stage;  // lifting.hpp: 0 interval margin .. 3 refined through the whole depth
    }
    text << "sample " << first + i << ": " << (r.lifted ? "lifted (verified)" : r.abstract_robust ? "not lifted" : "abstract not robust")
         << " (DeepPoly on abstract " << r.deeppoly_seconds << " s, lifting " << r.lift_seconds << " s";
    if (o.compare_direct) {
      const auto t = Clock::now();
      const DeepPolySpec spec = margin_spec(chain.output_size(), label);
      const DeepPolyResult dp = deeppoly(chain, box, &spec);
      const double sec = since(t);
      const bool ok = (dp.spec_lo.array() > 0).all();
      direct_seconds += sec;
      direct_verified += ok;
      s["direct"] = {{"verified", ok}, {"seconds", sec}};
      text << "; direct DeepPoly " << (ok ? "verified" : "unknown") << " " << sec << " s";
    }
    text << ")\n";
    if (r.lifted && std::filesystem::path(o.model).extension() == ".nnc") {
      Certificate c;
      c.property = "robust linf:" + o.robust.substr(5) + " sample " + std::to_string(first + i) + " of " + data.name;
      c.method = "deepabstract-lift/deeppoly";
      c.verdict = "verified";
      c.bound = eps;
      c.seconds = r.deeppoly_seconds + r.lift_seconds;
      c.tool_version = kToolVersion;
      c.weights_digest = digest(m.network);
      c.network = "float";
      m.certificates.push_back(c);
    }
    per_sample.push_back(s);
    bar.update(i + 1, std::to_string(lifted) + " lifted");
  }
  bar.finish();
  if (lifted && std::filesystem::path(o.model).extension() == ".nnc") save_nnc(m, o.model);
  const std::size_t n0 = hidden_neurons(chain), n1 = hidden_neurons(abstract);
  text << "via abstraction " << o.abstraction << " (" << n0 << " -> " << n1 << " hidden neurons): lifted " << lifted
       << ", not lifted " << not_lifted << " (abstract robust " << abstract_robust << "), misclassified " << misclassified
       << "; DeepPoly on abstract " << dp_seconds << " s, lifting " << lift_seconds << " s, abstraction " << abstraction_seconds
       << " s";
  if (o.compare_direct) text << "; direct DeepPoly verified " << direct_verified << " in " << direct_seconds << " s";
  text << "\n";
  nlohmann::json doc{{"model", o.model},
                     {"abstraction", o.abstraction},
                     {"robust", o.robust},
                     {"data", data.name},
                     {"first", first},
                     {"hidden_neurons", n0},
                     {"abstract_hidden_neurons", n1},
                     {"lifted", lifted},
                     {"not_lifted", not_lifted},
                     {"abstract_robust", abstract_robust},
                     {"misclassified", misclassified},
                     {"deeppoly_abstract_seconds", dp_seconds},
                     {"lift_seconds", lift_seconds},
                     {"abstraction_seconds", abstraction_seconds},
                     {"samples", per_sample}};
  if (o.compare_direct) doc["direct"] = {{"verified", direct_verified}, {"seconds", direct_seconds}};
  emit(g, doc, text.str());
  return not_lifted ? kUnknown : kOk;
}

Command add_abstract(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand(
      "abstract", "DeepAbstract: merge I/O-similar neurons by k-means (Algorithm 2 under --max-drop, or fixed --k/--remove)");
  auto o = std::make_shared<AbstractOptions>();
  sub->add_option("model", o->model, "Model file (.onnx or .nnc)")->required();
  sub->add_option("--data", o->data, "Dataset: fashion-mnist, an IDX images file or a CSV file (train split for X, test for accuracy)")
      ->required();
  sub->add_option("-o,--output", o->output, "Abstract model (.nnc; carries the abstraction map)")->required();
  sub->add_option("--max-drop", o->max_drop, "Algorithm 2: allowed loss of test accuracy (fraction, the paper's alpha)")
      ->default_val(0.01);
  sub->add_option("--k", o->k, "Fixed clusters per layer, LAYER:K,... (first hidden layer = 2); skips Algorithm 2");
  sub->add_option("--remove", o->remove, "Fixed neurons removed per layer, LAYER:R,... (first hidden layer = 2)");
  sub->add_option("--cluster-samples", o->cluster_samples, "Training samples the activation vectors are taken over")
      ->default_val(1000);
  return {sub, [o, &globals] { return run_abstract(*o, globals); }};
}

}  // namespace nncert::cli
