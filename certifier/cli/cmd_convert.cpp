// `nncert convert IN OUT`: between .onnx and .nnc (by extension), written atomically.
#include "certifier/cli/command.hpp"

#include "certifier/core/digest.hpp"
#include "formats/model_file.hpp"

namespace nncert::cli {

Command add_convert(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("convert", "Convert a model between .onnx and .nnc");
  auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>();
  sub->add_option("input", *in, "Input model (.onnx or .nnc)")->required();
  sub->add_option("output", *out, "Output model (.onnx or .nnc)")->required();
  return {sub, [in, out, &globals] {
            const Model m = load_model(*in);
            std::string dropped;
            save_model(m, *out, &dropped);
            if (!dropped.empty()) human_out(globals) << "note: ONNX cannot hold " << dropped << "; not written\n";
            emit(globals, {{"input", *in}, {"output", *out}, {"digest", digest(m.network)}, {"dropped", dropped}},
                 "wrote " + *out + " (float digest sha256:" + digest(m.network) + ")\n");
            return 0;
          }};
}

}  // namespace nncert::cli
