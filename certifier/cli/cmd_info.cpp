// `nncert info MODEL`: layers, shapes, parameters, sparsity, digest, quantization, certificates.
#include "certifier/cli/command.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/qsemantics.hpp"
#include "formats/model_file.hpp"

#include <iomanip>
#include <sstream>

namespace nncert::cli {

namespace {

std::size_t nonzero_weights(const Layer& layer) {
  if (const auto* d = std::get_if<Dense>(&layer)) return static_cast<std::size_t>((d->W.array() != 0).count());
  return 0;
}

nlohmann::json describe_network(const Network& net, std::ostream& text) {
  const auto widths = layer_widths(net);
  nlohmann::json layers = nlohmann::json::array();
  text << "float network: " << net.input_size << " inputs -> " << widths.back() << " outputs, "
       << net.layers.size() << " layers, " << parameter_count(net) << " parameters\n";
  text << "   #  layer        in    out   weights  nonzero\n";
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& layer = net.layers[i];
    nlohmann::json j{{"index", i}, {"kind", layer_kind(layer)}, {"inputs", widths[i]}, {"outputs", widths[i + 1]}};
    text << std::setw(4) << i << "  " << std::left << std::setw(10) << layer_kind(layer) << std::right
         << std::setw(5) << widths[i] << std::setw(7) << widths[i + 1];
    if (const auto* d = std::get_if<Dense>(&layer)) {
      const std::size_t nz = nonzero_weights(layer);
      const auto total = static_cast<std::size_t>(d->W.size());
      j["weights"] = total;
      j["nonzero_weights"] = nz;
      j["sparsity"] = total ? 1.0 - static_cast<double>(nz) / static_cast<double>(total) : 0.0;
      text << std::setw(10) << total << std::setw(9) << nz << " (" << std::fixed << std::setprecision(1)
           << 100.0 * static_cast<double>(nz) / static_cast<double>(std::max<std::size_t>(total, 1)) << "%)";
      text.unsetf(std::ios::fixed);
    }
    text << "\n";
    layers.push_back(j);
  }
  const std::string dg = digest(net);
  text << "digest (float): sha256:" << dg << "\n";
  return {{"inputs", net.input_size}, {"outputs", widths.back()}, {"parameters", parameter_count(net)},
          {"layers", layers}, {"digest", dg}};
}

nlohmann::json describe_qnetwork(const QNetwork& q, std::ostream& text) {
  nlohmann::json layers = nlohmann::json::array();
  const std::int64_t bound = accumulator_bound(q);
  text << "quantized network: input " << to_string(q.cx) << ", accumulator " << to_string(q.accumulator)
       << " (proven |acc| <= " << bound << ")\n";
  text << "   #     in    out  weights          bias             output          relu\n";
  for (std::size_t l = 0; l < q.layers.size(); ++l) {
    const QLayer& layer = q.layers[l];
    text << std::setw(4) << l << std::setw(7) << layer.inputs << std::setw(7) << layer.outputs << "  " << std::left
         << std::setw(17) << to_string(layer.cw) << std::setw(17) << to_string(layer.cb) << std::setw(16)
         << to_string(layer.cy) << (layer.relu ? "yes" : "no") << std::right << "\n";
    layers.push_back({{"inputs", layer.inputs}, {"outputs", layer.outputs}, {"weights", to_string(layer.cw)},
                      {"bias", to_string(layer.cb)}, {"output", to_string(layer.cy)}, {"relu", layer.relu}});
  }
  const std::string dg = digest(q);
  text << "digest (quantized): sha256:" << dg << "\n";
  return {{"input", to_string(q.cx)}, {"accumulator", to_string(q.accumulator)}, {"accumulator_bound", bound},
          {"layers", layers}, {"digest", dg}};
}

nlohmann::json describe_certificates(const Model& m, std::ostream& text) {
  const std::string float_digest = digest(m.network);
  const std::string q_digest = m.qnetwork ? digest(*m.qnetwork) : "";
  nlohmann::json certs = nlohmann::json::array();
  text << "certificates: " << m.certificates.size() << "\n";
  for (const Certificate& c : m.certificates) {
    // DESIGN §5: a certificate whose digest does not match the weights in the file is invalid.
    const bool valid = c.weights_digest == (c.network == "quantized" ? q_digest : float_digest);
    text << "  " << (valid ? "" : "[INVALID: digest mismatch] ") << c.property << ": " << c.verdict << " by "
         << c.method << " (" << c.seconds << " s, " << c.tool_version << ")\n";
    certs.push_back({{"property", c.property}, {"method", c.method}, {"verdict", c.verdict}, {"bound", c.bound},
                     {"seconds", c.seconds}, {"tool_version", c.tool_version}, {"network", c.network},
                     {"weights_digest", c.weights_digest}, {"valid", valid}});
  }
  return certs;
}

}  // namespace

Command add_info(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("info", "Describe a model: layers, shapes, parameters, digest, certificates");
  auto path = std::make_shared<std::string>();
  sub->add_option("model", *path, "Model file (.onnx or .nnc)")->required();
  return {sub, [path, &globals] {
            const Model m = load_model(*path);
            std::ostringstream text;
            text << "model: " << *path << "\n";
            if (!m.provenance.source.empty()) text << "source: " << m.provenance.source << "\n";
            nlohmann::json doc{{"model", *path}, {"source", m.provenance.source}};
            doc["network"] = describe_network(m.network, text);
            doc["qnetwork"] = m.qnetwork ? describe_qnetwork(*m.qnetwork, text) : nlohmann::json(nullptr);
            if (!m.qnetwork) text << "quantized network: none\n";
            doc["certificates"] = describe_certificates(m, text);
            emit(globals, doc, text.str());
            return 0;
          }};
}

}  // namespace nncert::cli
