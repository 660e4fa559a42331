// `nncert eval MODEL --data SPEC [--columns COLUMNS]`: accuracy, per-class accuracy and confusion
// matrix (or MSE for regression; with a column spec, on its test part) of the float network or,
// when present, the quantized network on exact integers.
#include "certifier/cli/command.hpp"

#include "certifier/cli/progress.hpp"
#include "formats/sample_selection.hpp"
#include "certifier/core/error.hpp"
#include "formats/atomic_file.hpp"
#include "formats/dataset.hpp"
#include "formats/model_file.hpp"

#include <iomanip>
#include <sstream>

namespace nncert::cli {

namespace {

struct EvalOptions {
  std::string model, data, columns, samples, outputs, network = "auto";
};

// Outputs of every sample (outputs x N), as doubles; exact integers for the quantized network.
Matrix run_network(const Model& m, bool quantized, const Dataset& data, const Globals& globals) {
  const std::size_t n = data.size();
  ProgressBar bar("eval", n, !globals.json);
  if (!quantized) {
    Matrix Y(static_cast<Eigen::Index>(output_size(m.network)), static_cast<Eigen::Index>(n));
    constexpr std::size_t kBatch = 1000;
    for (std::size_t start = 0; start < n; start += kBatch) {
      const auto count = static_cast<Eigen::Index>(std::min(kBatch, n - start));
      Y.middleCols(static_cast<Eigen::Index>(start), count) =
          evaluate(m.network, Matrix(data.X.middleCols(static_cast<Eigen::Index>(start), count)));
      bar.update(start + static_cast<std::size_t>(count));
    }
    return Y;
  }
  const QNetwork& q = *m.qnetwork;
  if (!data.raw) throw InputError(data.name, "features", "the quantized network needs integer features (raw pixels)");
  Matrix Y(static_cast<Eigen::Index>(output_size(q)), static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = data.raw_sample(i);
    for (std::size_t k = 0; k < x.size(); ++k)
      if (x[k] < q.cx.lo() || x[k] > q.cx.hi())
        throw InputError(data.name, "sample " + std::to_string(i) + " feature " + std::to_string(k),
                         "value " + std::to_string(x[k]) + " is off the input grid " + to_string(q.cx));
    const auto y = evaluate(q, x);
    for (std::size_t o = 0; o < y.size(); ++o)
      Y(static_cast<Eigen::Index>(o), static_cast<Eigen::Index>(i)) = static_cast<double>(y[o]);
    bar.update(i + 1);
  }
  return Y;
}

std::string format_value(double v, bool exact_integer) {
  std::ostringstream s;
  if (exact_integer)
    s << static_cast<long long>(v);
  else
    s << std::setprecision(17) << v;
  return s.str();
}

void write_outputs(const std::string& path, const Dataset& data, std::size_t first, const Matrix& Y,
                   bool quantized) {
  std::ostringstream csv;
  csv << "index,label,predicted";
  for (Eigen::Index o = 0; o < Y.rows(); ++o) csv << ",y" << o;
  csv << "\n";
  for (Eigen::Index i = 0; i < Y.cols(); ++i) {
    csv << first + static_cast<std::size_t>(i) << ",";
    if (!data.labels.empty()) csv << data.labels[static_cast<std::size_t>(i)];
    csv << "," << argmax_first(Vector(Y.col(i)));
    for (Eigen::Index o = 0; o < Y.rows(); ++o) csv << "," << format_value(Y(o, i), quantized);
    csv << "\n";
  }
  write_file_atomic(path, csv.str());
}

nlohmann::json classification_report(const Dataset& data, const Matrix& Y, std::ostream& text) {
  const std::size_t classes = std::max<std::size_t>(static_cast<std::size_t>(data.num_classes),
                                                    static_cast<std::size_t>(Y.rows()));
  std::vector<std::vector<std::size_t>> confusion(classes, std::vector<std::size_t>(classes, 0));
  std::size_t correct = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto predicted = static_cast<std::size_t>(argmax_first(Vector(Y.col(static_cast<Eigen::Index>(i)))));
    const auto label = static_cast<std::size_t>(data.labels[i]);
    confusion[label][predicted] += 1;
    correct += predicted == label;
  }
  const double n = static_cast<double>(data.size());
  text << std::fixed << std::setprecision(2) << "accuracy: " << correct << "/" << data.size() << " = "
       << 100.0 * static_cast<double>(correct) / n << "%\n";
  nlohmann::json per_class = nlohmann::json::array();
  text << "per class:";
  for (std::size_t c = 0; c < classes; ++c) {
    std::size_t total = 0;
    for (auto v : confusion[c]) total += v;
    if (total == 0) continue;
    const double acc = static_cast<double>(confusion[c][c]) / static_cast<double>(total);
    text << "  " << c << ": " << std::setprecision(1) << 100.0 * acc << "%";
    per_class.push_back({{"class", c}, {"samples", total}, {"correct", confusion[c][c]}, {"accuracy", acc}});
  }
  text << "\nconfusion matrix (rows: label, columns: predicted)\n";
  for (std::size_t r = 0; r < classes; ++r) {
    for (std::size_t c = 0; c < classes; ++c) text << std::setw(6) << confusion[r][c];
    text << "\n";
  }
  text.unsetf(std::ios::fixed);
  return {{"samples", data.size()}, {"correct", correct}, {"accuracy", static_cast<double>(correct) / n},
          {"per_class", per_class}, {"confusion", confusion}};
}

nlohmann::json regression_report(const Dataset& data, const Matrix& Y, std::ostream& text) {
  if (data.targets.rows() != Y.rows())
    throw InputError(data.name, "targets",
                     "has " + std::to_string(data.targets.rows()) + " target columns, the model has " +
                         std::to_string(Y.rows()) + " outputs");
  const Vector mse = (Y - data.targets).array().square().rowwise().mean();
  text << "mse: " << mse.mean() << " (per output:";
  for (Eigen::Index o = 0; o < mse.size(); ++o) text << " " << mse[o];
  text << ")\n";
  return {{"samples", data.size()}, {"mse", mse.mean()}, {"mse_per_output", std::vector<double>(mse.data(), mse.data() + mse.size())}};
}

}  // namespace

Command add_eval(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("eval", "Evaluate a model on a dataset (accuracy, confusion matrix, or MSE)");
  auto o = std::make_shared<EvalOptions>();
  sub->add_option("model", o->model, "Model file (.onnx or .nnc)")->required();
  sub->add_option("--data", o->data, "fashion-mnist, fashion-mnist-train, an IDX images file, or a CSV file")
      ->required();
  sub->add_option("--columns", o->columns, "Column spec (TOML) of a CSV regression dataset: evaluates its test part");
  sub->add_option("--samples", o->samples, "Sample range A:B (inclusive)");
  sub->add_option("--outputs", o->outputs, "Write one CSV row per sample: index, label, predicted, outputs");
  sub->add_option("--network", o->network, "Which network to run: auto (quantized if present), float, quantized")
      ->check(CLI::IsMember({"auto", "float", "quantized"}));
  return {sub, [o, &globals] {
            const Model m = load_model(o->model);
            const bool quantized = o->network == "quantized" || (o->network == "auto" && m.qnetwork);
            if (quantized && !m.qnetwork) throw InputError(o->model, "model", "has no quantized network");
            const auto [data, first] =
                select_samples(o->data, o->samples, quantized ? m.qnetwork->input_size : m.network.input_size,
                               o->columns, globals.seed);
            const Matrix Y = run_network(m, quantized, data, globals);
            if (!o->outputs.empty()) write_outputs(o->outputs, data, first, Y, quantized);
            std::ostringstream text;
            text << "model: " << o->model << " (" << (quantized ? "quantized" : "float") << " network)\n"
                 << "data: " << data.name << ", samples " << first << ".." << first + data.size() - 1 << " ("
                 << data.size() << ")\n";
            nlohmann::json doc{{"model", o->model}, {"network", quantized ? "quantized" : "float"},
                               {"data", data.name}, {"first", first}};
            if (!o->columns.empty()) doc["columns"] = o->columns;
            doc["result"] = data.labels.empty() ? regression_report(data, Y, text) : classification_report(data, Y, text);
            emit(globals, doc, text.str());
            return 0;
          }};
}

}  // namespace nncert::cli
