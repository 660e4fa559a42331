// `nncert conform MODEL.nnc --target T`: bit-exact conformance of the generated code on a real
// (or emulated) target (DESIGN §6); the engine is conform/conformance.hpp, this file its report.
#include "certifier/cli/app.hpp"
#include "certifier/cli/command.hpp"
#include "certifier/cli/progress.hpp"

#include "certifier/core/error.hpp"
#include "codegen/codegen.hpp"
#include "conform/conformance.hpp"
#include "formats/model_file.hpp"

#include <iomanip>
#include <sstream>

namespace nncert::cli {

namespace {

struct ConformOptions {
  std::string model, target = "host", data, counterexamples, name = "model", work, cflags;
  std::size_t vectors = 1000;
  bool count_instructions = false;
};

int run_conform(const ConformOptions& o, const Globals& globals) {
  conform::ConformRequest request;
  request.targets = conform::choose_targets(o.target);
  request.work = o.work;
  request.cflags = o.cflags;
  request.count_instructions = o.count_instructions;
  const Model m = load_model(o.model);
  if (!m.qnetwork) throw InputError(o.model, "model", "has no quantized network (run `nncert quantize` first)");
  const QNetwork& net = *m.qnetwork;
  codegen::Options co;
  co.name = o.name;
  const codegen::Generated g = codegen::generate(m, co);
  const conform::Vectors v = conform::make_vectors(net, {o.vectors, o.data, o.counterexamples, globals.seed});
  ProgressBar bar("conform", request.targets.size(), !globals.json);
  request.on_target = [&](std::size_t done, const std::string& name) { bar.update(done, name); };
  const conform::ConformReport report = conform::run_conformance(net, g, co, v, request);
  bar.finish();
  const auto& results = report.targets;
  const std::size_t macs = report.macs;

  std::ostringstream text;
  std::size_t total_mismatches = 0;
  text << "model " << o.model << " (sha256:" << g.digest.substr(0, 16) << "...), " << v.x.size() << " vectors: "
       << v.dataset << " dataset, " << v.corners << " corners, " << v.random << " random (seed " << globals.seed
       << "), " << v.counterexamples << " counterexamples\n";
  text << "target       vectors  mismatches  ROM bytes  RAM bytes  build s   run s  output digest\n";
  std::ostringstream counted;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : results) {
    total_mismatches += r.mismatches;
    text << std::left << std::setw(11) << r.target << std::right << std::setw(9) << r.vectors << std::setw(12)
         << r.mismatches << std::setw(11) << g.rom_bytes << std::setw(11) << g.ram_bytes << std::fixed
         << std::setprecision(1) << std::setw(9) << r.build_seconds << std::setw(8) << r.run_seconds << "  "
         << r.digest << "\n";
    text.unsetf(std::ios::fixed);
    if (!r.first_mismatch.empty()) text << "  first mismatch on " << r.target << ": " << r.first_mismatch << "\n";
    nlohmann::json row{{"target", r.target}, {"vectors", r.vectors}, {"mismatches", r.mismatches},
                       {"mismatched_values", r.mismatched_values}, {"rom_bytes", g.rom_bytes}, {"ram_bytes", g.ram_bytes},
                       {"build_seconds", r.build_seconds}, {"run_seconds", r.run_seconds}, {"output_digest", r.digest}};
    if (o.count_instructions) {
      if (r.instructions) {
        const double per_mac = macs ? *r.instructions / static_cast<double>(macs) : 0.0;
        row["instructions_per_inference"] = *r.instructions;
        row["instructions_per_mac"] = per_mac;
        counted << std::left << std::setw(11) << r.target << std::right << std::fixed << std::setprecision(1)
                << std::setw(16) << *r.instructions << std::setprecision(3) << std::setw(12) << per_mac << "\n";
        counted.unsetf(std::ios::fixed);
      } else {
        row["instructions_per_inference"] = nullptr;
        row["instructions_per_mac"] = nullptr;
        counted << std::left << std::setw(11) << r.target << "  not counted (runs natively, not under QEMU)\n";
      }
    }
    rows.push_back(std::move(row));
  }
  if (o.count_instructions)
    text << "executed instructions (" << macs << " MACs per inference" << (o.cflags.empty() ? "" : ", flags " + o.cflags)
         << ")\ntarget     per inference     per MAC\n" << counted.str();
  text << (total_mismatches ? "MISMATCH: the generated code differs from the verified network\n"
                            : "conformant: every output integer equals the reference evaluator's\n");
  nlohmann::json doc{{"model", o.model},
                     {"digest", g.digest},
                     {"accumulator", codegen::c_name(g.accumulator)},
                     {"vectors", {{"total", v.x.size()}, {"dataset", v.dataset}, {"corners", v.corners},
                                  {"random", v.random}, {"counterexamples", v.counterexamples}}},
                     {"macs_per_inference", macs},
                     {"targets", rows},
                     {"mismatches", total_mismatches},
                     {"conformant", total_mismatches == 0}};
  emit(globals, doc, text.str());
  return total_mismatches ? kFalsified : kOk;
}

}  // namespace

Command add_conform(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("conform", "Build the generated code for a target and check it bit for bit");
  auto o = std::make_shared<ConformOptions>();
  sub->add_option("model", o->model, "Model file (.nnc with a quantized network)")->required();
  sub->add_option("--target", o->target, "host, armv7, riscv64, cortex-m3, cortex-m4, cortex-m55 or all")->default_val("host");
  sub->add_flag("--count-instructions", o->count_instructions,
                "Also count executed instructions per inference and per MAC under QEMU (a TCG plugin; 1x vs 11x)");
  sub->add_option("--cflags", o->cflags, "Extra compiler flags for the target build, after its own (e.g. -O2)");
  sub->add_option("--vectors", o->vectors, "Dataset + random vectors (corners and counterexamples come on top)")
      ->default_val(1000);
  sub->add_option("--data", o->data, "Dataset for half of the vectors: fashion-mnist or a CSV/IDX path");
  sub->add_option("--counterexamples", o->counterexamples,
                  "Also run every counterexample of a results file written by `nncert verify --results`");
  sub->add_option("--name", o->name, "C identifier of the generated model")->default_val("model");
  sub->add_option("--work", o->work, "Keep the generated sources, builds and outputs in this folder");
  return {sub, [o, &globals] { return run_conform(*o, globals); }};
}

}  // namespace nncert::cli
