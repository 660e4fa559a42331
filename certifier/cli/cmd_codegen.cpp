// `nncert codegen MODEL.nnc -o DIR`: the certified QNetwork as dependency-free integer C++
// (DESIGN §6), with its ROM/RAM budget.
#include "certifier/cli/command.hpp"

#include "codegen/codegen.hpp"
#include "formats/atomic_file.hpp"
#include "formats/model_file.hpp"

#include <filesystem>
#include <iomanip>
#include <sstream>

namespace nncert::cli {

namespace {

struct CodegenOptions {
  std::string model, out;
  codegen::Options gen;
  bool dense = false;
};

nlohmann::json codegen_report(const codegen::Generated& g, std::ostream& text) {
  nlohmann::json layers = nlohmann::json::array();
  text << "   #     in    out  layout  nonzero  weights   bias      shift  ROM bytes\n";
  for (std::size_t l = 0; l < g.layers.size(); ++l) {
    const auto& r = g.layers[l];
    text << std::setw(4) << l << std::setw(7) << r.inputs << std::setw(7) << r.outputs << "  " << std::left
         << std::setw(8) << (r.sparse ? "csr" : "dense") << std::right << std::setw(7) << r.nonzero << "  "
         << std::left << std::setw(10) << codegen::c_name(r.weight_type) << std::setw(10)
         << codegen::c_name(r.bias_type) << std::right << std::setw(5)
         << r.shift << std::setw(11) << r.rom_bytes << "\n";
    layers.push_back({{"inputs", r.inputs}, {"outputs", r.outputs}, {"sparse", r.sparse}, {"nonzero", r.nonzero},
                      {"weight_type", codegen::c_name(r.weight_type)}, {"bias_type", codegen::c_name(r.bias_type)},
                      {"shift", r.shift},
                      {"rom_bytes", r.rom_bytes}});
  }
  text << "accumulator " << codegen::c_name(g.accumulator) << ", input " << codegen::c_name(g.input_type)
       << ", output " << codegen::c_name(g.output_type)
       << ", activations " << codegen::c_name(g.activation_type) << "\n";
  text << "ROM " << g.rom_bytes << " bytes (constant arrays), RAM " << g.ram_bytes << " bytes (activation buffers)\n";
  return {{"accumulator", codegen::c_name(g.accumulator)},
          {"input_type", codegen::c_name(g.input_type)},
          {"output_type", codegen::c_name(g.output_type)},
          {"activation_type", codegen::c_name(g.activation_type)}, {"rom_bytes", g.rom_bytes}, {"ram_bytes", g.ram_bytes},
          {"weight_bytes", g.weight_bytes}, {"digest", g.digest}, {"layers", layers}};
}

}  // namespace

Command add_codegen(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("codegen", "Generate integer-only C++11 inference code from a quantized model");
  auto o = std::make_shared<CodegenOptions>();
  sub->add_option("model", o->model, "Model file (.nnc with a quantized network)")->required();
  sub->add_option("-o,--output", o->out, "Output folder (created if needed)")->required();
  sub->add_option("--name", o->gen.name, "C identifier prefix of the API and file names")->default_val("model");
  sub->add_option("--namespace", o->gen.ns, "C++ namespace around the API (e.g. acme::nn)");
  sub->add_flag("--dense", o->dense, "Never use the sparse layout for pruned layers");
  return {sub, [o, &globals] {
            o->gen.allow_sparse = !o->dense;
            const Model m = load_model(o->model);
            const codegen::Generated g = codegen::generate(m, o->gen);
            std::filesystem::create_directories(o->out);
            nlohmann::json files = nlohmann::json::array();
            for (const auto& f : g.files) {
              write_file_atomic((std::filesystem::path(o->out) / f.name).string(), f.text);
              files.push_back((std::filesystem::path(o->out) / f.name).string());
            }
            std::ostringstream text;
            text << "wrote " << g.files.size() << " files to " << o->out << " (" << o->gen.name << "_infer, "
                 << o->gen.name << "_predict)\n";
            nlohmann::json doc{{"model", o->model}, {"output", o->out}, {"name", o->gen.name}, {"files", files}};
            doc["code"] = codegen_report(g, text);
            emit(globals, doc, text.str());
            return 0;
          }};
}

}  // namespace nncert::cli
