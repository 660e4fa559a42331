// `nncert bounds MODEL --box LO:HI[,LO:HI...] | --vnnlib FILE`: per-layer pre-activation bounds of
// the folded float network by interval propagation or DeepPoly (certifier/verify).
#include "certifier/cli/command.hpp"

#include "certifier/core/error.hpp"
#include "certifier/verify/deeppoly.hpp"
#include "formats/model_file.hpp"
#include "formats/vnnlib.hpp"

#include <charconv>
#include <iomanip>
#include <sstream>

namespace nncert::cli {

namespace {

struct BoundsOptions {
  std::string model, box, vnnlib, method = "deeppoly";
};

Box parse_box(const std::string& spec, std::size_t n) {
  std::vector<std::pair<double, double>> ranges;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string item = spec.substr(start, comma - start);
    const auto colon = item.find(':');
    auto num = [&](const std::string& s) {
      double v = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
        throw InputError("--box", "item " + std::to_string(ranges.size()) + " '" + item + "'", "expected LO:HI with finite numbers");
      return v;
    };
    if (colon == std::string::npos) throw InputError("--box", "item " + std::to_string(ranges.size()) + " '" + item + "'", "expected LO:HI");
    const double lo = num(item.substr(0, colon)), hi = num(item.substr(colon + 1));
    if (lo > hi) throw InputError("--box", "item " + std::to_string(ranges.size()) + " '" + item + "'", "lo > hi");
    ranges.push_back({lo, hi});
    start = comma + 1;
  }
  if (ranges.size() != 1 && ranges.size() != n)
    throw InputError("--box", std::to_string(ranges.size()) + " ranges",
                     "expected one range (for every input) or " + std::to_string(n));
  Box box{Vector(static_cast<Eigen::Index>(n)), Vector(static_cast<Eigen::Index>(n))};
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = ranges[ranges.size() == 1 ? 0 : i];
    box.lo[static_cast<Eigen::Index>(i)] = r.first;
    box.hi[static_cast<Eigen::Index>(i)] = r.second;
  }
  return box;
}

}  // namespace

Command add_bounds(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("bounds", "Per-layer bounds of the float network over an input box");
  auto o = std::make_shared<BoundsOptions>();
  sub->add_option("model", o->model, "Model file (.onnx or .nnc)")->required();
  sub->add_option("--box", o->box, "Input box: LO:HI for every input, or LO:HI,LO:HI,... one per input");
  sub->add_option("--vnnlib", o->vnnlib, "Take the box from a VNN-LIB property (its first input box)");
  sub->add_option("--method", o->method, "interval or deeppoly")
      ->check(CLI::IsMember({"interval", "deeppoly"}))
      ->default_val("deeppoly");
  return {sub, [o, &globals] {
            const Model m = load_model(o->model);
            if (o->box.empty() == o->vnnlib.empty()) throw InputError("bounds", "options", "give exactly one of --box or --vnnlib");
            const ReluChain chain = to_relu_chain(m.network);
            const Box box = o->vnnlib.empty()
                                ? parse_box(o->box, chain.input_size)
                                : property_from_vnnlib(load_vnnlib(o->vnnlib, chain.input_size, chain.output_size()),
                                                       o->vnnlib)
                                      .cases.front()
                                      .box;
            const std::vector<Bounds> pre =
                o->method == "interval" ? interval_bounds(chain, box) : deeppoly(chain, box).pre;
            std::ostringstream text;
            text << "bounds by " << o->method << " on the folded network (" << chain.depth()
                 << " affine layers, ReLU between them); pre-activation values, widened outward\n";
            nlohmann::json layers = nlohmann::json::array();
            text << std::setprecision(6);
            for (std::size_t l = 0; l < pre.size(); ++l) {
              const bool last = l + 1 == pre.size();
              const auto unstable = ((pre[l].lo.array() < 0) && (pre[l].hi.array() > 0)).count();
              text << "layer " << l << (last ? " (output)" : "") << ": " << pre[l].lo.size() << " neurons";
              if (!last) text << ", " << unstable << " unstable ReLUs";
              text << "\n";
              for (Eigen::Index j = 0; j < pre[l].lo.size(); ++j)
                text << "  " << std::setw(4) << j << "  [" << pre[l].lo[j] << ", " << pre[l].hi[j] << "]\n";
              layers.push_back({{"layer", l},
                                {"output", last},
                                {"lo", std::vector<double>(pre[l].lo.data(), pre[l].lo.data() + pre[l].lo.size())},
                                {"hi", std::vector<double>(pre[l].hi.data(), pre[l].hi.data() + pre[l].hi.size())},
                                {"unstable", last ? 0 : unstable}});
            }
            emit(globals, {{"model", o->model}, {"method", o->method}, {"layers", layers}}, text.str());
            return 0;
          }};
}

}  // namespace nncert::cli
